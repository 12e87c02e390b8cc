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
        context.identityBox.identity = identity
        context.logger[metadataKey: "user_id"] = .string(identity.user.id.uuidString.lowercased())
        return try await next(request, context)
    }

    static func credential(in request: Request) -> String? {
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                let token = parts[1].trimmingCharacters(in: .whitespaces)
                return token.isEmpty ? nil : token
            }
            return nil
        }
        if let key = request.headers[.xAPIKey]?.trimmingCharacters(in: .whitespaces), !key.isEmpty { return key }
        return nil
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
