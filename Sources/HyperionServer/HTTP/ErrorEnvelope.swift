import Foundation
import HTTPTypes
import Hummingbird
import HyperionCore
import HyperionProviders

/// The body of every error response: `{"detail","code","timestamp","request_id"}` (+ `field` for validation, `trace_id`
/// when the request has a trace).
public struct ErrorEnvelope: Codable, Sendable, Equatable {
    /// Human-readable reason, safe to show.
    public var detail: String
    /// Stable machine-readable code.
    public var code: String
    /// When the error happened (ISO 8601, UTC).
    public var timestamp: String
    /// The request id, to find the matching log lines.
    public var request_id: String
    /// The offending field, for validation errors.
    public var field: String?
    /// The request's W3C trace id, to find its trace (and its log lines).
    public var trace_id: String? = nil
}

/// An error that already knows its HTTP status and code. Thrown by the HTTP layer; domain code throws
/// ``HyperionError``, which ``ErrorMiddleware`` maps to the same shape.
public struct APIError: Error, Sendable {
    /// HTTP status.
    public var status: HTTPResponse.Status
    /// Stable code.
    public var code: String
    /// Human-readable detail.
    public var detail: String
    /// Offending field, when there is one.
    public var field: String?
    /// Extra headers, e.g. `Allow` for 405.
    public var headers: HTTPFields

    /// Creates an API error.
    public init(_ status: HTTPResponse.Status, code: String, detail: String, field: String? = nil, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.detail = detail
        self.field = field
        self.headers = headers
    }

    /// 400: the body could not be parsed.
    public static func malformed(_ detail: String) -> APIError { APIError(.badRequest, code: "malformed_request", detail: detail) }
    /// 413: body over the limit. Answered at once, without reading the rest; `Connection: close` tells the client to
    /// stop sending it (a keep-alive client would otherwise go on uploading what nobody reads).
    public static func tooLarge(limit: Int) -> APIError {
        APIError(.contentTooLarge, code: "payload_too_large", detail: "request body is larger than the limit of \(limit) bytes",
                 headers: [.connection: "close"])
    }
    /// 415: wrong content type.
    public static func unsupportedMediaType(expected: String) -> APIError {
        APIError(.unsupportedMediaType, code: "unsupported_media_type", detail: "content type must be \(expected)")
    }
}

extension HyperionError.Kind {
    /// The HTTP status for this kind of domain error.
    var status: HTTPResponse.Status {
        switch self {
        case .validation: .unprocessableContent
        case .badRequest: .badRequest
        case .notFound: .notFound
        case .conflict: .conflict
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .unavailable: .serviceUnavailable
        case .tooManyRequests: .tooManyRequests
        case .payloadTooLarge: .contentTooLarge
        case .unsupportedMediaType: .unsupportedMediaType
        case .upstream: .badGateway
        case .upstreamTimeout: .gatewayTimeout
        }
    }
}

enum EnvelopeEncoding {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func response(
        status: HTTPResponse.Status, code: String, detail: String, field: String?, requestID: String, headers: HTTPFields = [:]
    ) -> Response {
        let envelope = ErrorEnvelope(
            detail: detail, code: code, timestamp: Date().formatted(.iso8601), request_id: requestID, field: field,
            trace_id: RequestTrace.current?.traceID
        )
        let data = (try? encoder.encode(envelope)) ?? Data("{\"code\":\"internal_error\"}".utf8)
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension ErrorEnvelope {
    /// The envelope for an error met after a stream has started (sent as an SSE `error` event).
    static func from(_ error: any Error, requestID: String) -> ErrorEnvelope {
        // Provider and engine errors speak as the domain errors they map to.
        let mapped: any Error = (error as? ProviderError)?.asHyperionError ?? (error as? IndexEngineError)?.asHyperionError ?? error
        let (detail, code, field): (String, String, String?) = switch mapped {
        case let error as HyperionError: (error.message, error.code, error.field)
        case let error as APIError: (error.detail, error.code, error.field)
        default: ("internal server error", "internal_error", nil)
        }
        return ErrorEnvelope(detail: detail, code: code, timestamp: Date().formatted(.iso8601), request_id: requestID, field: field,
                             trace_id: RequestTrace.current?.traceID)
    }
}
