import HTTPTypes
import Hummingbird

/// Headers every response carries: no MIME sniffing, no referrer leaks, no framing, and a Content-Security-Policy
/// that allows nothing (API responses are data, never rendered). Pages set their own: the web UI one with no
/// inline script or style, Swagger UI (`/docs`) ``docsCSP``. With HTTPS served natively, every response also carries
/// `Strict-Transport-Security` (`tls.hsts_max_age`), and requests count as HTTPS (session cookies marked `Secure`).
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    /// Whether this server speaks HTTPS itself.
    var nativeTLS = false
    /// The HSTS field, when sent.
    var hsts: HTTPField?

    /// Headers for a server on plain HTTP, or on HTTPS with `hstsMaxAge` seconds of HSTS (0: none).
    init(tls: TLSSettings? = nil) {
        guard let tls, tls.isEnabled else { return }
        nativeTLS = true
        if tls.hstsMaxAge > 0 { hsts = HTTPField(name: .strictTransportSecurity, value: "max-age=\(tls.hstsMaxAge)") }
    }
    static let csp = "default-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"
    /// Swagger UI's page needs inline styles and data: images (it sets them itself); nothing inline in scripts.
    static let docsCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

    // Built once: a field made per response validates its value again each time.
    static let noSniff = HTTPField(name: .xContentTypeOptions, value: "nosniff")
    static let noReferrer = HTTPField(name: .referrerPolicy, value: "no-referrer")
    static let deny = HTTPField(name: .xFrameOptions, value: "DENY")
    static let policy = HTTPField(name: .contentSecurityPolicy, value: csp)

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if nativeTLS { context.clientUsesHTTPS = true }
        var response = try await next(request, context)
        if let hsts { response.headers.set(hsts) }
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
    static let strictTransportSecurity = HTTPField.Name("Strict-Transport-Security")!
}
