@testable import HyperionCore
import Synchronization
import Testing

@Suite("In-memory rate limiter")
struct RateLimiterTests {
    /// A clock moved by hand.
    final class ManualClock: Sendable {
        private let now = Mutex(ContinuousClock.now)
        func read() -> ContinuousClock.Instant { now.withLock { $0 } }
        func advance(_ by: Duration) { now.withLock { $0 += by } }
    }

    @Test("a slot frees exactly when the oldest event leaves the window; Reset and Retry-After say when")
    func sliding() {
        let clock = ManualClock()
        let limiter = InMemoryRateLimiter(clock: clock.read)
        let rule = RateLimitRule(key: "u", limit: 2, window: .seconds(60))
        #expect(limiter.admitNow([rule]).resetSeconds == 60)
        clock.advance(.seconds(20))
        #expect(limiter.admitNow([rule]).remaining == 0)
        let refused = limiter.admitNow([rule])
        #expect(!refused.allowed && refused.retryAfter == 40 && refused.resetSeconds == 40)
        clock.advance(.seconds(39))
        #expect(!limiter.admitNow([rule]).allowed)
        clock.advance(.seconds(1))
        let admitted = limiter.admitNow([rule])
        #expect(admitted.allowed && admitted.remaining == 0 && admitted.resetSeconds == 20, "the event at 20 s is now the oldest")
    }

    @Test("a spray of one-off keys does not grow memory without bound")
    func sweep() {
        let clock = ManualClock()
        let limiter = InMemoryRateLimiter(sweepAbove: 1000, clock: clock.read)
        for index in 0..<1000 { _ = limiter.admitNow([RateLimitRule(key: "k\(index)", limit: 1, window: .seconds(1))]) }
        #expect(limiter.trackedKeys == 1000)
        clock.advance(.seconds(7200))
        _ = limiter.admitNow([RateLimitRule(key: "late", limit: 1, window: .seconds(1))])
        #expect(limiter.trackedKeys == 1, "stale keys were swept")
    }
}
