import Foundation
import HyperionCore

/// Makes rate limiters for ``RateLimiterConformance``. Every check uses keys of its own, so one limiter may serve
/// several checks.
public struct RateLimiterHarness: Sendable {
    let make: @Sendable () async throws -> any RateLimiter

    /// A harness over a factory of limiters.
    public init(make: @escaping @Sendable () async throws -> any RateLimiter) { self.make = make }
}

/// What every ``RateLimiter`` must do: admit exactly `limit` events per window, say how many remain and when a slot
/// frees, count under all rules or none, let a window slide, take back and forget, and hold its limit under a burst
/// of parallel events.
public enum RateLimiterConformance {
    /// Every check of the suite.
    public static let checks: [ConformanceCheck<RateLimiterHarness>] = [
        .init("admits exactly the limit, counting down what remains, then refuses with a wait inside the window") { harness in
            let limiter = try await harness.make()
            let rule = RateLimitRule(key: fresh(), limit: 3, window: .seconds(60))
            for expected in [2, 1, 0] {
                let decision = await limiter.admit([rule])
                try expect(decision.allowed, "event \(3 - expected) of 3 refused")
                try expectEqual(decision.remaining, expected, "remaining")
                try expectEqual(decision.limit, 3, "limit")
                try expect((1...60).contains(decision.resetSeconds), "reset \(decision.resetSeconds) s outside 1...60")
            }
            let refused = await limiter.admit([rule])
            try expect(!refused.allowed, "the 4th event of 3 was admitted")
            try expectEqual(refused.remaining, 0, "remaining when refused")
            try expect((1...60).contains(refused.retryAfter ?? 0), "Retry-After \(String(describing: refused.retryAfter)) outside 1...60")
        },
        .init("keys are independent; a limit of 0 admits nothing") { harness in
            let limiter = try await harness.make()
            let a = RateLimitRule(key: fresh(), limit: 1, window: .seconds(60))
            let b = RateLimitRule(key: fresh(), limit: 1, window: .seconds(60))
            try expect(await limiter.admit([a]).allowed, "a's first event")
            try expect(await limiter.admit([b]).allowed, "b's first event, after a's")
            try expect(!(await limiter.admit([a]).allowed), "a's second event")
            try expect(!(await limiter.admit([RateLimitRule(key: fresh(), limit: 0, window: .seconds(60))]).allowed), "limit 0")
        },
        .init("several rules count all or nothing; the decision describes the tightest rule") { harness in
            let limiter = try await harness.make()
            let tight = RateLimitRule(key: fresh(), limit: 1, window: .seconds(60))
            let loose = RateLimitRule(key: fresh(), limit: 5, window: .seconds(60))
            let first = await limiter.admit([tight, loose])
            try expect(first.allowed, "the first event under both")
            try expectEqual(first.limit, 1, "the decision's rule (the tighter one)")
            try expectEqual(first.remaining, 0, "remaining under the tighter rule")
            for _ in 0..<3 { try expect(!(await limiter.admit([tight, loose]).allowed), "an event over the tight rule") }
            // Refused events were not counted under the loose rule: 1 used, 4 left, so this leaves 3.
            let after = await limiter.admit([loose])
            try expect(after.allowed, "the loose rule alone")
            try expectEqual(after.remaining, 3, "remaining under the loose rule after refusals")
        },
        .init("take back frees the newest event; forget frees them all") { harness in
            let limiter = try await harness.make()
            let rule = RateLimitRule(key: fresh(), limit: 2, window: .seconds(60))
            _ = await limiter.admit([rule])
            _ = await limiter.admit([rule])
            try expect(!(await limiter.admit([rule]).allowed), "over the limit")
            await limiter.takeBack(rule.key)
            try expect(await limiter.admit([rule]).allowed, "after taking one back")
            try expect(!(await limiter.admit([rule]).allowed), "over the limit again")
            await limiter.forget(rule.key)
            try expectEqual(await limiter.admit([rule]).remaining, 1, "remaining after forget")
            await limiter.takeBack(fresh())  // an unknown key is no error
        },
        .init("the window slides: events older than the window stop counting") { harness in
            let limiter = try await harness.make()
            let rule = RateLimitRule(key: fresh(), limit: 2, window: .milliseconds(2000))
            let started = ContinuousClock.now
            try expect(await limiter.admit([rule]).allowed, "first")
            try expect(await limiter.admit([rule]).allowed, "second")
            let refused = await limiter.admit([rule])
            // Only conclusive while the window has not passed yet (a starved machine can take that long).
            if ContinuousClock.now - started < .milliseconds(1500) {
                try expect(!refused.allowed, "third within the window")
                try expect((1...2).contains(refused.retryAfter ?? 0), "Retry-After \(String(describing: refused.retryAfter)) of a 2 s window")
            }
            try await Task.sleep(for: .milliseconds(2300))
            try expect(await limiter.admit([rule]).allowed, "after the window moved on")
        },
        .init("a burst of parallel events admits exactly the limit") { harness in
            let limiter = try await harness.make()
            let rule = RateLimitRule(key: fresh(), limit: 10, window: .seconds(60))
            let admitted = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<60 { group.addTask { await limiter.admit([rule]).allowed } }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            try expectEqual(admitted, 10, "events admitted out of 60 parallel ones")
        },
        .init("under a large limit a steady caller is counted exactly: remaining steps down by one, take back gives one back") { harness in
            let limiter = try await harness.make()
            let rule = RateLimitRule(key: fresh(), limit: 50, window: .seconds(60))
            for expected in stride(from: 49, through: 0, by: -1) {
                let decision = await limiter.admit([rule])
                try expect(decision.allowed, "event \(50 - expected) of 50 refused")
                try expectEqual(decision.remaining, expected, "remaining")
                if expected == 20 {
                    await limiter.takeBack(rule.key)
                    try expectEqual(await limiter.admit([rule]).remaining, 20, "remaining after taking one back")
                }
            }
            let refused = await limiter.admit([rule])
            try expect(!refused.allowed, "the 51st event of 50 was admitted")
            try expect((1...60).contains(refused.retryAfter ?? 0), "Retry-After \(String(describing: refused.retryAfter))")
        },
        .init("a burst of parallel events under a large limit admits exactly the limit") { harness in
            let limiter = try await harness.make()
            let rule = RateLimitRule(key: fresh(), limit: 200, window: .seconds(60))
            // Warm the key first: a busy caller is the one that may be served ahead.
            for _ in 0..<20 { _ = await limiter.admit([rule]) }
            let admitted = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<600 { group.addTask { await limiter.admit([rule]).allowed } }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            try expectEqual(admitted, 180, "events admitted out of 600 parallel ones after 20 sequential")
        },
    ]

    private static func fresh() -> String { "conformance:" + UUID().uuidString }
}
