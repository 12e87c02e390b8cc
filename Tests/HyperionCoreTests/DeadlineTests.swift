import HyperionCore
import Synchronization
import Testing

@Suite struct DeadlineTests {
    struct TimedOut: Error {}

    @Test func aQuickBodyGivesItsValueOrItsError() async throws {
        #expect(try await withDeadline(.seconds(5), timeout: { TimedOut() }) { 42 } == 42)
        struct Boom: Error {}
        await #expect(throws: Boom.self) { try await withDeadline(.seconds(5), timeout: { TimedOut() }) { () async throws -> Int in throw Boom() } }
    }

    @Test func aBodyThatNeverAnswersDoesNotHoldTheCaller() async throws {
        // Like a driver call on a hung connection: it neither answers nor notices cancellation until released. (An
        // AsyncStream would notice: its iteration ends when the task is cancelled, which made this test flaky.)
        let parked = Mutex<CheckedContinuation<Void, Never>?>(nil)
        let finished = Mutex(false)
        await #expect(throws: TimedOut.self) {
            try await withDeadline(.milliseconds(100), timeout: { TimedOut() }) { () async -> Int in
                await withCheckedContinuation { continuation in parked.withLock { $0 = continuation } }
                finished.withLock { $0 = true }
                return 1
            }
        }
        #expect(!finished.withLock { $0 }, "the caller went on while the body still hung")
        // Release the body so it does not outlive the test.
        while true {
            if let continuation = parked.withLock({ $0.take() }) {
                continuation.resume()
                break
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
