import HTTPTypes
import Hummingbird
import HyperionCore
import NIOCore
import NIOHTTP1

/// Turns every error into the envelope with a fitting status. Unknown errors are logged with the
/// request id, reported to Sentry when configured, and answered 500 without internals. An unmatched path that
/// exists under another method answers 405 with `Allow`.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let routes: RouteTable
    /// Where 500s are reported; nil reports nothing.
    var reporter: SentryReporter?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return envelope(error.status, error.code, error.detail, error.field, context, error.headers)
        } catch let error as HyperionError {
            var headers: HTTPFields = [:]
            if let seconds = error.retryAfter { headers[.retryAfter] = String(seconds) }
            if error.kind == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
            return envelope(error.kind.status, error.code, error.message, error.field, context, headers)
        } catch let error as IndexEngineError {
            // Named so an operator sees which engine; the knowledge base was already marked where that applies.
            context.logger.warning("index engine failed", metadata: ["error": "\(error)"])
            let mapped = error.asHyperionError
            return envelope(mapped.kind.status, mapped.code, mapped.message, nil, context, mapped.kind == .unavailable ? [.retryAfter: "5"] : [:])
        } catch let error as HTTPError {
            let unrouted = error.status == .notFound && (context.endpointPath == nil || context.endpointPath == "NotFound")
            if unrouted, let match = routes.match(request.uri.path),
               !match.methods.contains(request.method)
            {
                try? await request.discardBody()
                let allow = match.methods.map(\.rawValue).sorted().joined(separator: ", ")
                return envelope(
                    .methodNotAllowed, "method_not_allowed", "\(request.method.rawValue) is not allowed here; use \(allow)", nil,
                    context, [.allow: allow]
                )
            }
            if unrouted {
                try? await request.discardBody()
                return envelope(.notFound, "not_found", "no route for \(request.method.rawValue) \(request.uri.path.prefix(200))", nil, context)
            }
            let status = error.status
            if status.code >= 500 {
                context.logger.error("request failed", metadata: ["error": "\(error)"])
                reporter?.report(error, request: request, context: context)
                return envelope(status, "internal_error", "internal server error", nil, context)
            }
            let detail = error.body ?? status.reasonPhrase
            return envelope(status, Self.code(for: status), detail, nil, context, error.headers)
        } catch let error as any HTTPResponseError {
            let status = error.status
            if status.code >= 500 {
                context.logger.error("request failed", metadata: ["error": "\(error)"])
                reporter?.report(error, request: request, context: context)
                return envelope(status, "internal_error", "internal server error", nil, context)
            }
            return envelope(status, Self.code(for: status), status.reasonPhrase, nil, context)
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as HTTPParserError {
            // The client closed the connection (or broke the framing) in the middle of its body: nobody is there to
            // read an answer, and it is no server error. Logged as what it is, at notice level, never as a 500.
            context.logger.notice("request body ended early (client gone)", metadata: ["error": "\(error)"])
            return envelope(.badRequest, "incomplete_request", "the request body ended before its declared length", nil, context)
        } catch let error as ChannelError where [.ioOnClosedChannel, .eof, .inputClosed, .outputClosed, .alreadyClosed].contains(error) {
            context.logger.notice("connection closed by the client during the request", metadata: ["error": "\(error)"])
            return envelope(.badRequest, "incomplete_request", "the connection closed during the request", nil, context)
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error).prefix(500))"])
            reporter?.report(error, request: request, context: context)
            return envelope(.internalServerError, "internal_error", "internal server error", nil, context)
        }
    }

    private func envelope(
        _ status: HTTPResponse.Status, _ code: String, _ detail: String, _ field: String?, _ context: Context, _ headers: HTTPFields = [:]
    ) -> Response {
        EnvelopeEncoding.response(status: status, code: code, detail: detail, field: field, requestID: context.requestID, headers: headers)
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "malformed_request"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 409: "conflict"
        case 413: "payload_too_large"
        case 415: "unsupported_media_type"
        case 422: "validation_error"
        case 429: "rate_limited"
        case 503: "unavailable"
        default: "http_\(status.code)"
        }
    }
}
