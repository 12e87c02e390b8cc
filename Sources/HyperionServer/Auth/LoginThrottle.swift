import Foundation
import NIOConcurrencyHelpers

/// Failed-login counting per email and per client address over a sliding window, in memory per instance.
/// Over the limit, logins answer 429 with `Retry-After` until the oldest failure leaves the window.
public final class LoginThrottle: Sendable {
    /// Failures allowed per email in the window.
    public let perEmail: Int
    /// Failures allowed per client address in the window.
    public let perAddress: Int
    /// Window length in seconds.
    public let window: TimeInterval
    private let state = NIOLockedValueBox<[String: [Date]]>([:])

    /// Creates a throttle (defaults: 5 per email, 20 per address, 15 minutes).
    public init(perEmail: Int = 5, perAddress: Int = 20, window: TimeInterval = 15 * 60) {
        self.perEmail = perEmail
        self.perAddress = perAddress
        self.window = window
    }

    /// Seconds to wait when this email or address is blocked, nil when a login may be tried.
    public func retryAfter(email: String, address: String, now: Date = Date()) -> Int? {
        state.withLockedValue { state in
            var wait: TimeInterval = 0
            for (key, limit) in [("e:" + email, perEmail), ("a:" + address, perAddress)] {
                let recent = (state[key] ?? []).filter { now.timeIntervalSince($0) < window }
                state[key] = recent
                if recent.count >= limit, let oldest = recent.first {
                    wait = max(wait, window - now.timeIntervalSince(oldest))
                }
            }
            return wait > 0 ? max(1, Int(wait.rounded(.up))) : nil
        }
    }

    /// Records a failed login.
    public func recordFailure(email: String, address: String, now: Date = Date()) {
        state.withLockedValue { state in
            state["e:" + email, default: []].append(now)
            state["a:" + address, default: []].append(now)
            if state.count > 100_000 {  // bound memory under a spray of random emails
                state = state.filter { $0.value.contains { now.timeIntervalSince($0) < window } }
            }
        }
    }

    /// Forgets an email's failures after a successful login.
    public func recordSuccess(email: String) {
        _ = state.withLockedValue { $0.removeValue(forKey: "e:" + email) }
    }
}
