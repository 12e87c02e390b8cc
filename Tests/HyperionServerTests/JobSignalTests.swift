@testable import HyperionServer
import Synchronization
import Testing

@Suite("Job signal", .timeLimit(.minutes(1)))
struct JobSignalTests {
    /// How long `body` took, in seconds.
    func seconds(_ body: () async -> Void) async -> Double {
        let clock = ContinuousClock()
        let elapsed = await clock.measure { await body() }
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    @Test("a notification wakes every waiter long before its timeout")
    func notifyWakes() async {
        let signal = JobSignal()
        let seen = signal.generation
        let elapsed = await seconds {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<50 { group.addTask { await signal.wait(since: seen, timeout: .seconds(120)) } }
                try? await Task.sleep(for: .milliseconds(100))
                signal.notify()
            }
        }
        #expect(elapsed < 30)
        #expect(signal.generation == seen + 1)
    }

    @Test("a notification between reading the generation and waiting is not slept through")
    func noLostWakeUp() async {
        let signal = JobSignal()
        let seen = signal.generation
        signal.notify()
        let elapsed = await seconds { await signal.wait(since: seen, timeout: .seconds(120)) }
        #expect(elapsed < 30)
    }

    @Test("without a notification the wait ends at its timeout, also when the timeout fires before it parks")
    func timeout() async {
        let signal = JobSignal()
        let elapsed = await seconds { await signal.wait(since: signal.generation, timeout: .milliseconds(200)) }
        #expect(elapsed >= 0.2 && elapsed < 30)
        // A zero timeout races the timer against parking; every one of these must still return.
        for _ in 0..<2_000 { await signal.wait(since: signal.generation, timeout: .zero) }
    }

    @Test("cancelling the waiting task ends the wait")
    func cancellation() async {
        let signal = JobSignal()
        let elapsed = await seconds {
            let waiter = Task { await signal.wait(since: signal.generation, timeout: .seconds(120)) }
            try? await Task.sleep(for: .milliseconds(100))
            waiter.cancel()
            await waiter.value
        }
        #expect(elapsed < 30)
        // Already cancelled before waiting: returns at once.
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            await signal.wait(since: signal.generation, timeout: .seconds(120))
        }
        await early.value
    }

    @Test("notifications racing waits never strand a waiter")
    func racing() async {
        let signal = JobSignal()
        let done = Flag()
        let elapsed = await seconds {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    // Each wait may only end by a notification: a stranded one would take its 600 s.
                    for _ in 0..<2_000 { await signal.wait(since: signal.generation, timeout: .seconds(600)) }
                    done.set()
                }
                group.addTask {
                    while !done.isSet {
                        signal.notify()
                        await Task.yield()
                    }
                }
            }
        }
        // Seconds alone; 30.8 s was seen with every suite running at once on two cores. A stranded wait takes 600 s.
        #expect(elapsed < 300)
    }
}

final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
