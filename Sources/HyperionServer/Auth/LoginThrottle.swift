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

    /// Starts a login attempt: seconds to wait when this email or address is blocked, else nil with the attempt
    /// already counted as a failure. Counting before the password check (not after it) is what stops a burst of
    /// parallel guesses: each one finds the earlier ones counted, so at most the limit get through to bcrypt.
    /// A successful login takes its attempt back with ``recordSuccess(email:address:)``.
    public func beginAttempt(email: String, address: String, now: Date = Date()) -> Int? {
        state.withLockedValue { state in
            var wait: TimeInterval = 0
            for (key, limit) in [("e:" + email, perEmail), ("a:" + address, perAddress)] {
                let recent = (state[key] ?? []).filter { now.timeIntervalSince($0) < window }
                state[key] = recent
                if recent.count >= limit, let oldest = recent.first {
                    wait = max(wait, window - now.timeIntervalSince(oldest))
                }
            }
            if wait > 0 { return max(1, Int(wait.rounded(.up))) }
            state["e:" + email, default: []].append(now)
            state["a:" + address, default: []].append(now)
            if state.count > 100_000 {  // bound memory under a spray of random emails
                state = state.filter { $0.value.contains { now.timeIntervalSince($0) < window } }
            }
            return nil
        }
    }

    /// A login succeeded: forgets the email's failures and takes the attempt back from the address.
    public func recordSuccess(email: String, address: String) {
        state.withLockedValue { state in
            state.removeValue(forKey: "e:" + email)
            if var attempts = state["a:" + address], !attempts.isEmpty {
                attempts.removeLast()
                state["a:" + address] = attempts.isEmpty ? nil : attempts
            }
        }
    }
}
