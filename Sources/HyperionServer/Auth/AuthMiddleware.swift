import HTTPTypes
import Hummingbird
import HyperionCore

extension HTTPField.Name {
    /// `X-API-Key`.
    static let xAPIKey = HTTPField.Name("X-API-Key")!
}

/// Requires a valid access token or API key (`Authorization: Bearer …` or `X-API-Key`), and puts the
/// caller's identity into the context. Anything else is 401.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let auth: AuthService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let credential = Self.credential(in: request) else {
            try? await request.discardBody()
            throw HyperionError(.unauthorized, code: "not_authenticated", message: "authentication required: send a bearer token or an API key")
        }
        guard let identity = try await auth.authenticate(credential: credential) else {
            try? await request.discardBody()
            throw HyperionError(.unauthorized, code: "invalid_credentials", message: "the token or API key is invalid, expired or revoked")
        }
        var context = context
        context.identity = identity
        RequestTrace.current?.identity = identity  // names the caller in log lines, the access log's included
        return try await next(request, context)
    }

    static func credential(in request: Request) -> String? {
        if let header = request.headers.value(.authorization) {
            let bytes = header.utf8
            if let space = bytes.firstIndex(of: UInt8(ascii: " ")), isBearer(bytes[..<space]) {
                let token = trimmed(bytes[bytes.index(after: space)...])
                return token.isEmpty ? nil : token
            }
            return nil
        }
        if let header = request.headers.value(.xAPIKey) {
            let key = trimmed(header.utf8[...])
            if !key.isEmpty { return key }
        }
        return nil
    }

    /// The scheme `Bearer`, in any letter case.
    private static func isBearer(_ scheme: Substring.UTF8View) -> Bool {
        scheme.count == 6 && zip(scheme, "bearer".utf8).allSatisfy { $0 | 0x20 == $1 }
    }

    /// `value` without surrounding spaces and tabs (HTTP's optional whitespace). Byte-wise: Foundation's
    /// `trimmingCharacters(in:)` bridges through NSString and was the largest cost of an authenticated request.
    static func trimmed(_ value: Substring.UTF8View) -> String {
        let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = value.firstIndex(where: { !isSpace($0) }), let last = value.lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(Substring(value[first...last]))
    }
}

/// Lets only admins through (403 for everyone else). Must sit behind ``AuthenticationMiddleware``.
struct RequireAdminMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard context.identity?.isAdmin == true else {
            try? await request.discardBody()
            throw HyperionError(.forbidden, code: "admin_only", message: "this operation needs the admin role")
        }
        return try await next(request, context)
    }
}

extension AppRequestContext {
    /// The authenticated caller; routes behind ``AuthenticationMiddleware`` always have one.
    var caller: Identity {
        get throws {
            guard let identity else { throw HyperionError(.unauthorized, code: "not_authenticated", message: "authentication required") }
            return identity
        }
    }
}
