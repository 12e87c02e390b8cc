import HTTPTypes
import Hummingbird

/// Headers every response carries: no MIME sniffing, no referrer leaks, no framing, and a Content-Security-Policy
/// that allows nothing (API responses are data, never rendered). Pages set their own: the web UI one with no
/// inline script or style, Swagger UI (`/docs`) ``docsCSP``.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    static let csp = "default-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"
    /// Swagger UI's page needs inline styles and data: images (it sets them itself); nothing inline in scripts.
    static let docsCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

    // Built once: a field made per response validates its value again each time.
    static let noSniff = HTTPField(name: .xContentTypeOptions, value: "nosniff")
    static let noReferrer = HTTPField(name: .referrerPolicy, value: "no-referrer")
    static let deny = HTTPField(name: .xFrameOptions, value: "DENY")
    static let policy = HTTPField(name: .contentSecurityPolicy, value: csp)

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers.set(Self.noSniff)
        response.headers.set(Self.noReferrer)
        response.headers.set(Self.deny)
        if !response.headers.contains(.contentSecurityPolicy) { response.headers.append(Self.policy) }
        return response
    }
}

extension HTTPField.Name {
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}
