import HTTPTypes
import Hummingbird

/// CORS for an allow-list of origins. With an empty list (the default) no CORS headers are sent,
/// so browsers allow same-origin use only. Preflights from allowed origins answer 204.
struct CORSAllowListMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let allowedOrigins: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers.value(.origin), allowedOrigins.contains(origin) else {
            return try await next(request, context)
        }
        if request.method == .options, request.headers.contains(.accessControlRequestMethod) {
            var headers: HTTPFields = [:]
            headers[.accessControlAllowOrigin] = origin
            headers[.accessControlAllowMethods] = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
            headers[.accessControlAllowHeaders] = "Authorization, Content-Type, X-Request-ID"
            headers[.accessControlMaxAge] = "600"
            headers[.vary] = "Origin"
            return Response(status: .noContent, headers: headers)
        }
        var response = try await next(request, context)
        response.headers[.accessControlAllowOrigin] = origin
        response.headers[.accessControlExposeHeaders] = "X-Request-ID"
        response.headers[.vary] = "Origin"
        return response
    }
}
