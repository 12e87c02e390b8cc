import Synchronization

/// The in-process ``RateLimiter``: a log of event times per key, exact over the sliding window. Memory is bounded: keys
/// whose events have all left their window are dropped when the table grows large.
public final class InMemoryRateLimiter: RateLimiter {
    private let state = Mutex<[String: [ContinuousClock.Instant]]>([:])
    /// Table size at which the next sweep runs: doubled when a sweep frees little, so a table of live keys is not
    /// swept on every call.
    private let nextSweep: Mutex<Int>
    private let clock: @Sendable () -> ContinuousClock.Instant
    /// Keys kept before stale ones are swept (a spray of random keys must not grow memory without bound).
    private let sweepAbove: Int

    /// Creates an empty limiter; tests pass a `clock` they move by hand.
    public init(sweepAbove: Int = 100_000, clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.clock = clock
        self.sweepAbove = sweepAbove
        nextSweep = Mutex(sweepAbove)
    }

    public func admit(_ rules: [RateLimitRule]) async -> RateLimitDecision {
        admitNow(rules)
    }

    /// ``admit(_:)`` without suspending, for callers that are not async.
    public func admitNow(_ rules: [RateLimitRule]) -> RateLimitDecision {
        let now = clock()
        return state.withLock { state in
            var outcomes: [RateLimitDecision] = []
            for rule in rules {
                // Pruned in place: a copy of the array per request would cost as much as the budget is long.
                let (count, oldest) = Self.prune(&state[rule.key, default: []], now: now, window: rule.window)
                let untilFree = oldest.map { rule.window - (now - $0) } ?? rule.window
                if count >= rule.limit {
                    let wait = rule.limit == 0 ? rule.window : untilFree
                    outcomes.append(RateLimitDecision(allowed: false, limit: rule.limit, remaining: 0,
                                                      resetSeconds: Self.seconds(wait), retryAfter: Self.seconds(wait)))
                } else {
                    outcomes.append(RateLimitDecision(allowed: true, limit: rule.limit, remaining: rule.limit - count - 1,
                                                      resetSeconds: Self.seconds(untilFree)))
                }
            }
            let decision = RateLimitDecision.combine(outcomes) ?? RateLimitDecision(allowed: true, limit: 0, remaining: 0, resetSeconds: 1)
            if decision.allowed {
                for rule in rules { state[rule.key, default: []].append(now) }
                if state.count > nextSweep.withLock({ $0 }) {
                    let longest = rules.map(\.window).max() ?? .zero
                    state = state.filter { _, events in events.last.map { now - $0 < max(longest, .seconds(3600)) } ?? false }
                    let kept = state.count
                    nextSweep.withLock { $0 = max(sweepAbove, 2 * kept) }
                }
            }
            return decision
        }
    }

    /// Drops the events that left the window; returns how many remain and the oldest of them.
    private static func prune(_ events: inout [ContinuousClock.Instant], now: ContinuousClock.Instant, window: Duration)
        -> (count: Int, oldest: ContinuousClock.Instant?) {
        if let cut = events.firstIndex(where: { now - $0 < window }) {
            if cut > 0 { events.removeFirst(cut) }
        } else if !events.isEmpty {
            events.removeAll(keepingCapacity: true)
        }
        return (events.count, events.first)
    }

    public func takeBack(_ key: String) async { takeBackNow(key) }

    /// ``takeBack(_:)`` without suspending.
    public func takeBackNow(_ key: String) {
        state.withLock { state in
            guard var events = state[key], !events.isEmpty else { return }
            events.removeLast()
            state[key] = events.isEmpty ? nil : events
        }
    }

    public func forget(_ key: String) async { forgetNow(key) }

    /// ``forget(_:)`` without suspending.
    public func forgetNow(_ key: String) {
        _ = state.withLock { $0.removeValue(forKey: key) }
    }

    /// Keys with events held (for tests of the sweep).
    var trackedKeys: Int { state.withLock { $0.count } }

    /// Whole seconds, rounded up, at least 1: how `Retry-After` and `RateLimit-Reset` count.
    public static func seconds(_ duration: Duration) -> Int {
        let (whole, fraction) = duration.components
        return max(1, Int(whole) + (fraction > 0 ? 1 : 0))
    }
}
