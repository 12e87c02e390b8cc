/// Why a call to an outside model provider (LLM or embedder) failed.
public struct ProviderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The class of failure; decides retries and the HTTP status (502 or 504).
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// No connection could be made, or it broke before an answer.
        case unreachable
        /// Connect, first-token or total time ran out.
        case timeout
        /// 429 after the retries.
        case rateLimited = "rate_limited"
        /// The provider answered with an error status (4xx other than 429, or 5xx after the retries).
        case upstreamStatus = "upstream_status"
        /// The provider's answer could not be understood, or a stream broke off in the middle.
        case badResponse = "bad_response"
    }

    public var kind: Kind
    /// The configured provider name, so a user knows which one failed.
    public var provider: String
    /// What went wrong; never contains keys.
    public var message: String
    /// HTTP status the provider answered, when it did.
    public var status: Int?
    /// Seconds the provider asked us to wait (`Retry-After`).
    public var retryAfter: Double?

    /// Creates an error.
    public init(_ kind: Kind, provider: String, message: String, status: Int? = nil, retryAfter: Double? = nil) {
        self.kind = kind
        self.provider = provider
        self.message = message
        self.status = status
        self.retryAfter = retryAfter
    }

    /// Whether a new attempt may succeed (only ever tried before the first token).
    public var isRetryable: Bool {
        switch kind {
        case .unreachable, .rateLimited: true
        case .upstreamStatus: (status ?? 0) >= 500
        case .timeout, .badResponse: false
        }
    }

    public var description: String { "provider '\(provider)': \(message)" }

    /// The domain error shown to API callers: 504 for timeouts, 502 for everything else.
    public var asHyperionError: HyperionError {
        HyperionError(kind == .timeout ? .upstreamTimeout : .upstream, code: "provider_\(kind.rawValue)", message: description)
    }
}
