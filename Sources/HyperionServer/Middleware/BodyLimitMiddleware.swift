import HTTPTypes
import Hummingbird

/// Rejects a declared `Content-Length` over the limit before any handler reads the body.
/// Bodies without a length are bounded where they are collected (``JSONBody``, ``MultipartForm``).
/// File uploads have their own, larger limit.
struct BodyLimitMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let limit: Int
    let uploadLimit: Int

    static func isUpload(_ request: Request) -> Bool {
        guard request.method == .post else { return false }
        let path = request.uri.path
        return path == "/api/v1/upload" || (path.hasPrefix("/api/v1/models/") && path.hasSuffix("/documents"))
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let limit = Self.isUpload(request) ? uploadLimit : self.limit
        if let length = request.headers.value(.contentLength) {
            guard let bytes = Int(length), bytes >= 0 else { throw APIError.malformed("Content-Length is not a number") }
            if bytes > limit {
                // Clients that send the whole body before reading (Python's http.client, for one) only see the 413
                // if a modest body is read first; a huge one is refused at once, unread (it used to be drained up to
                // 64 MB before the answer), and `Connection: close` tells the client to stop.
                if bytes <= Request.drainLimit { try await request.discardBody() }
                throw APIError.tooLarge(limit: limit)
            }
        }
        return try await next(request, context)
    }
}

extension Request {
    /// Most bytes of an unwanted body read before answering (see ``discardBody(upTo:)``).
    static let drainLimit = 16 << 20

    /// Reads and drops an unread body. Hummingbird 2.28 stalls a keep-alive connection whose handler
    /// answered without reading a multi-megabyte body (clients that send the whole body before reading
    /// the answer then time out), so early answers consume the body first.
    func discardBody(upTo limit: Int = Request.drainLimit) async throws {
        var seen = 0
        for try await chunk in body {
            seen += chunk.readableBytes
            if seen > limit { break }
        }
    }
}
