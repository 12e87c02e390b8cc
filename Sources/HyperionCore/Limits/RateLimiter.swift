/// One budget to admit an event under: at most `limit` events per `key` in any `window`.
public struct RateLimitRule: Sendable, Hashable {
    /// What is counted, e.g. `user:<id>` or `login-email:<email>`.
    public var key: String
    /// Events allowed in the window; 0 admits nothing.
    public var limit: Int
    /// Length of the sliding window.
    public var window: Duration

    /// Creates a rule.
    public init(key: String, limit: Int, window: Duration) {
        self.key = key
        self.limit = limit
        self.window = window
    }
}

/// What a limiter decided, described by the rule closest to its limit (the one that refused, when one did): what the
/// `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` and `Retry-After` headers carry.
public struct RateLimitDecision: Sendable, Equatable {
    /// Whether the event was admitted (and counted under every rule).
    public var allowed: Bool
    /// That rule's limit.
    public var limit: Int
    /// Events that rule still admits in the current window.
    public var remaining: Int
    /// Seconds until that rule's oldest counted event leaves the window and frees a slot (at least 1).
    public var resetSeconds: Int
    /// Seconds to wait before an event could be admitted, when refused.
    public var retryAfter: Int?

    /// Creates a decision.
    public init(allowed: Bool, limit: Int, remaining: Int, resetSeconds: Int, retryAfter: Int? = nil) {
        self.allowed = allowed
        self.limit = limit
        self.remaining = remaining
        self.resetSeconds = resetSeconds
        self.retryAfter = retryAfter
    }

    /// Combines per-rule outcomes: refused if any refused (waiting for the longest); otherwise the rule with the
    /// fewest events left.
    public static func combine(_ outcomes: [RateLimitDecision]) -> RateLimitDecision? {
        let refused = outcomes.filter { !$0.allowed }
        if let worst = refused.max(by: { ($0.retryAfter ?? 0) < ($1.retryAfter ?? 0) }) { return worst }
        return outcomes.min { ($0.remaining, -$0.resetSeconds) < ($1.remaining, -$1.resetSeconds) }
    }
}

/// Sliding-window event counting: the seam behind per-user request limits, login throttling and the signup limit.
/// The embedded default is ``InMemoryRateLimiter`` (per instance); Redis implements it so every instance counts in
/// the same windows. `RateLimiterConformance` (HyperionConformance) is what proves an implementation right.
///
/// Methods do not throw: a limiter whose backing service is down falls back to counting in memory rather than
/// failing the request it guards.
public protocol RateLimiter: Sendable {
    /// Admits one event under every rule at once, or under none: check and count are one step, so a burst of
    /// parallel events cannot all pass the check before any is counted.
    func admit(_ rules: [RateLimitRule]) async -> RateLimitDecision
    /// Takes back the newest event counted under `key` (e.g. a login attempt that turned out to succeed).
    func takeBack(_ key: String) async
    /// Forgets every event counted under `key`.
    func forget(_ key: String) async
}
