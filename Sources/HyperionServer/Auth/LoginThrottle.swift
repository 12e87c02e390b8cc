import Foundation

/// Failed-login counting per email and per client address over a sliding window, in memory per instance.
/// Over the limit, logins answer 429 with `Retry-After` until the oldest failure leaves the window.
public final class LoginThrottle: Sendable {
    /// Failures allowed per email in the window.
    public let perEmail: Int
    /// Failures allowed per client address in the window.
    public let perAddress: Int
    /// Window length in seconds.
    public var window: TimeInterval { events.window }
    private let events: SlidingWindow

    /// Creates a throttle (defaults: 5 per email, 20 per address, 15 minutes).
    public init(perEmail: Int = 5, perAddress: Int = 20, window: TimeInterval = 15 * 60) {
        self.perEmail = perEmail
        self.perAddress = perAddress
        events = SlidingWindow(window: window)
    }

    /// Starts a login attempt: seconds to wait when this email or address is blocked, else nil with the attempt
    /// already counted as a failure. Counting before the password check (not after it) is what stops a burst of
    /// parallel guesses: each one finds the earlier ones counted, so at most the limit get through to bcrypt.
    /// A successful login takes its attempt back with ``recordSuccess(email:address:)``.
    public func beginAttempt(email: String, address: String, now: Date = Date()) -> Int? {
        events.admit([("e:" + email, perEmail), ("a:" + address, perAddress)], now: now)
    }

    /// A login succeeded: forgets the email's failures and takes the attempt back from the address.
    public func recordSuccess(email: String, address: String) {
        events.forget("e:" + email)
        events.takeBack("a:" + address)
    }
}
