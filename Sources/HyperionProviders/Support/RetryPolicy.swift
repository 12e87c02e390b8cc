import Foundation

/// Exponential backoff with full jitter: attempt n waits a random time in [0, base · 2ⁿ], at most
/// `cap`; a `Retry-After` from the provider wins when it is longer (it is never ignored).
struct RetryPolicy: Sendable {
    var maxRetries: Int
    var baseDelay: Duration
    var cap: Duration = .seconds(20)

    func delay(attempt: Int, retryAfter: Double?) -> Duration {
        let ceiling = min(baseDelay * (1 << min(attempt, 16)), cap)
        let jittered = ceiling * Double.random(in: 0...1)
        guard let retryAfter, retryAfter > 0 else { return jittered }
        return max(jittered, .milliseconds(Int64(min(retryAfter, 120) * 1000)))
    }

    /// `Retry-After` as seconds: a number, or an HTTP date.
    static func parseRetryAfter(_ value: String?) -> Double? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Double(value) { return max(0, seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return max(0, date.timeIntervalSinceNow)
    }
}
