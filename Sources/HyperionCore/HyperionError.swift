/// A domain error with a stable machine-readable code.
///
/// The HTTP layer maps ``Kind`` to a status code and puts ``code`` and ``message`` into the
/// error envelope, so the message must be safe to show to the caller: no internals, no secrets.
public struct HyperionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The broad class of failure; decides the HTTP status.
    public enum Kind: String, Sendable, Equatable {
        /// The input is well-formed but breaks a rule (HTTP 422).
        case validation
        /// The input could not be parsed at all (HTTP 400).
        case badRequest
        /// The thing asked for does not exist, or the caller may not know it exists (HTTP 404).
        case notFound
        /// The request clashes with existing state, e.g. a duplicate (HTTP 409).
        case conflict
        /// The caller is not authenticated (HTTP 401).
        case unauthorized
        /// The caller is authenticated but not allowed (HTTP 403).
        case forbidden
        /// A dependency is not available right now (HTTP 503).
        case unavailable
        /// Too many attempts; try again after ``HyperionError/retryAfter`` seconds (HTTP 429).
        case tooManyRequests
        /// More data than a limit or quota allows (HTTP 413).
        case payloadTooLarge
        /// Content of a kind or encoding that is not read, e.g. an image uploaded as a document (HTTP 415).
        case unsupportedMediaType
        /// An outside provider (LLM, embedder) failed or answered nonsense (HTTP 502).
        case upstream
        /// An outside provider did not answer in time (HTTP 504).
        case upstreamTimeout
    }

    /// The broad class of failure.
    public let kind: Kind
    /// Stable code such as `validation_error` or `user_exists`; clients branch on it.
    public let code: String
    /// Human-readable explanation, safe to return to the caller.
    public let message: String
    /// The offending input field, when there is one.
    public let field: String?
    /// Seconds to wait before retrying, for ``Kind/tooManyRequests``.
    public let retryAfter: Int?

    /// Creates an error.
    public init(_ kind: Kind, code: String, message: String, field: String? = nil, retryAfter: Int? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.field = field
        self.retryAfter = retryAfter
    }

    /// A validation failure naming the field and the reason.
    public static func invalid(_ field: String, _ reason: String) -> HyperionError {
        HyperionError(.validation, code: "validation_error", message: "\(field): \(reason)", field: field)
    }

    /// A missing resource.
    public static func notFound(_ what: String) -> HyperionError {
        HyperionError(.notFound, code: "not_found", message: "\(what) not found")
    }

    public var description: String { "\(code): \(message)" }
}
