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
        // Like a driver call on a hung connection: it neither answers nor notices cancellation until released.
        let (released, release) = AsyncStream<Void>.makeStream()
        let finished = Mutex(false)
        await #expect(throws: TimedOut.self) {
            try await withDeadline(.milliseconds(100), timeout: { TimedOut() }) { () async -> Int in
                for await _ in released {}
                finished.withLock { $0 = true }
                return 1
            }
        }
        #expect(!finished.withLock { $0 }, "the caller went on while the body still hung")
        release.finish()
    }
}
