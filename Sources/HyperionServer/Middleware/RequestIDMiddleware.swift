import Atomics
import Foundation
import HTTPTypes
import Hummingbird

extension HTTPField.Name {
    /// `X-Request-ID`.
    static let requestID = HTTPField.Name("X-Request-ID")!
    /// W3C `traceparent`.
    static let traceparent = HTTPField.Name("traceparent")!
}

/// Accepts a caller's `X-Request-ID` when it is at most 128 characters of `[A-Za-z0-9._-]`, otherwise
/// makes one; echoes it on the response and tags the request's logger with it. Also resolves the
/// route template the metrics and the access log use.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let id = request.headers.value(.requestID).flatMap { Self.isAcceptable($0) ? $0 : nil } ?? Self.generate()
        context.requestID = id
        // Resolve the route template once for metrics and logs.
        context.route = routes.match(request.uri.path)?.template ?? "unmatched"
        // Log lines get the id from the task rather than from a logger metadata write, which would copy the
        // request logger's storage and metadata on every request, most of which log nothing.
        let traceID = request.headers[.traceparent].flatMap { RequestTrace.ids(ofTraceparent: $0)?.traceID }
        var response = try await RequestTrace.$current.withValue(RequestTrace(requestID: id, traceID: traceID)) { try await next(request, context) }
        response.headers[.requestID] = id
        return response
    }

    static func isAcceptable(_ value: String) -> Bool {
        !value.isEmpty && value.utf8.count <= 128
            && value.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x2E || byte == 0x5F || byte == 0x2D
            }
    }

    /// A random per-process prefix plus a counter: unique, and free of the system call a random
    /// UUID per request costs (it showed up in the HTTP benchmark).
    static func generate() -> String {
        let n = counter.loadThenWrappingIncrement(ordering: .relaxed)
        return prefix + String(n, radix: 16)
    }

    static let prefix: String = {
        var generator = SystemRandomNumberGenerator()
        return String(UInt64.random(in: 0...UInt64.max, using: &generator), radix: 16) + "-"
    }()

    static let counter = ManagedAtomic<UInt64>(0)
}
