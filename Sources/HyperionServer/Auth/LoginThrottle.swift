import Foundation
import HyperionCore

/// Failed-login counting per email and per client address over a sliding window, on the shared ``RateLimiter`` (so
/// with Redis every instance counts the same failures). Over the limit, logins answer 429 with `Retry-After` until
/// the oldest failure leaves the window.
public struct LoginThrottle: Sendable {
    /// Failures allowed per email in the window.
    public let perEmail: Int
    /// Failures allowed per client address in the window.
    public let perAddress: Int
    /// Window length.
    public let window: Duration
    let limiter: any RateLimiter

    /// Creates a throttle (defaults: 5 per email, 20 per address, 15 minutes).
    public init(limiter: any RateLimiter = InMemoryRateLimiter(), perEmail: Int = 5, perAddress: Int = 20, window: Duration = .seconds(15 * 60)) {
        self.limiter = limiter
        self.perEmail = perEmail
        self.perAddress = perAddress
        self.window = window
    }

    /// Starts a login attempt: seconds to wait when this email or address is blocked, else nil with the attempt
    /// already counted as a failure. Counting before the password check (not after it) is what stops a burst of
    /// parallel guesses: each one finds the earlier ones counted, so at most the limit get through to bcrypt.
    /// A successful login takes its attempt back with ``recordSuccess(email:address:)``.
    public func beginAttempt(email: String, address: String) async -> Int? {
        let decision = await limiter.admit([
            RateLimitRule(key: "login-email:" + email, limit: perEmail, window: window),
            RateLimitRule(key: "login-address:" + address, limit: perAddress, window: window),
        ])
        return decision.allowed ? nil : (decision.retryAfter ?? decision.resetSeconds)
    }

    /// A login succeeded: forgets the email's failures and takes the attempt back from the address.
    public func recordSuccess(email: String, address: String) async {
        await limiter.forget("login-email:" + email)
        await limiter.takeBack("login-address:" + address)
    }
}
