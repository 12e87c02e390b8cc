import Foundation
import Hummingbird
import HyperionCore

/// `/api/v1/auth/…`: signup, login (JSON or OAuth2 password form), token refresh and logout, the
/// caller's profile and password, and API keys.
struct AuthController {
    let auth: AuthService
    /// Per-caller request budgets of authenticated routes (none unless configured).
    var budgets = RequestBudgets.none
    let body: JSONBody
    /// The web UI's session cookie (its lifetime is the refresh token's).
    let cookie: SessionCookie

    func addRoutes(to router: Router<AppRequestContext>) {
        let open = router.group("/api/v1/auth")
        open.post("/signup") { request, context in try await signup(request, context) }
        open.post("/register") { request, context in try await signup(request, context) }
        open.post("/login") { request, context in try await login(request, context) }
        open.post("/refresh") { request, context in
            let input = try await body.decode(RefreshRequest.self, from: request)
            return TokenResponse(try await auth.refresh(input.refresh_token, clientAddress: context.clientAddress))
        }
        open.post("/logout") { request, _ in
            let input = try await body.decode(RefreshRequest.self, from: request)
            try await auth.logout(refreshToken: input.refresh_token)
            return Response(status: .noContent)
        }
        // The web UI's session: the refresh token in an HttpOnly cookie (see SessionCookie).
        open.post("/session") { request, context in
            try SessionCookie.requireSameOrigin(request)
            guard let token = SessionCookie.token(in: request) else {
                throw HyperionError(.unauthorized, code: "no_session", message: "no session cookie: sign in")
            }
            do {
                let pair = try await auth.refresh(token, clientAddress: context.clientAddress)
                return EditedResponse(headers: [.setCookie: cookie.setting(pair.refreshToken, secure: context.clientUsesHTTPS)],
                                      response: TokenResponse(pair, includeRefreshToken: false))
            } catch let error as HyperionError where error.kind == .unauthorized {
                // A refused cookie is of no further use: drop it so the browser stops sending it.
                throw APIError(.unauthorized, code: error.code, detail: error.message,
                               headers: [.setCookie: cookie.clearing(secure: context.clientUsesHTTPS)])
            }
        }
        open.delete("/session") { request, context in
            try SessionCookie.requireSameOrigin(request)
            if let token = SessionCookie.token(in: request) { try await auth.logout(refreshToken: token) }
            return Response(status: .noContent, headers: [.setCookie: cookie.clearing(secure: context.clientUsesHTTPS)])
        }

        let me = router.group("/api/v1/auth").add(middleware: AuthenticationMiddleware(auth: auth)).add(limit: budgets.requests)
        me.post("/logout-all") { _, context in
            try await auth.logoutAll(userID: try context.caller.user.id)
            return Response(status: .noContent)
        }
        me.get("/me") { _, context in UserResponse(try context.caller.user) }
        me.patch("/me") { request, context in
            let input = try await body.decode(UpdateMeRequest.self, from: request)
            return UserResponse(try await auth.updateProfile(user: try context.caller.user, fullName: input.full_name))
        }
        me.post("/me/password") { request, context in
            let input = try await body.decode(ChangePasswordRequest.self, from: request)
            try await auth.changePassword(user: try context.caller.user, current: input.current_password, new: input.new_password)
            return Response(status: .noContent)
        }
        me.post("/api-keys") { request, context in
            let input = try await body.decode(CreateAPIKeyRequest.self, from: request)
            let expires = try input.expires_at.map { try parseTimestamp($0, field: "expires_at") }
            let (record, key) = try await auth.createAPIKey(user: try context.caller.user, name: input.name, expiresAt: expires)
            return EditedResponse(status: .created, response: APIKeyCreatedResponse(
                id: record.id.lowercasedString, name: record.name, prefix: record.prefix, key: key,
                created_at: iso8601(record.createdAt), expires_at: record.expiresAt.map(iso8601)
            ))
        }
        me.get("/api-keys") { request, context in
            let page = try await auth.apiKeys(of: try context.caller.user, page: try request.pageRequest)
            return ListResponse(page.map(APIKeyResponse.init))
        }
        me.delete("/api-keys/:id") { _, context in
            try await auth.revokeAPIKey(id: try context.uuidParameter("id"), user: try context.caller.user)
            return Response(status: .noContent)
        }
    }

    private func signup(_ request: Request, _ context: AppRequestContext) async throws -> EditedResponse<UserResponse> {
        let input = try await body.decode(SignupRequest.self, from: request)
        let user = try await auth.signup(email: input.email, password: input.password, fullName: input.full_name, clientAddress: context.clientAddress)
        return EditedResponse(status: .created, response: UserResponse(user))
    }

    /// JSON `{email,password}` or the OAuth2 password form (`username`, `password`) Swagger UI sends.
    /// With `"cookie": true` (the web UI) the refresh token goes into the session cookie instead of the body.
    private func login(_ request: Request, _ context: AppRequestContext) async throws -> EditedResponse<TokenResponse> {
        let type = request.headers[.contentType]?.lowercased() ?? ""
        let email: String
        let password: String
        var useCookie = false
        if type.hasPrefix("application/x-www-form-urlencoded") {
            let form = FormDecoding.fields(String(buffer: try await body.collect(request)))
            guard let username = form["username"] else { throw HyperionError.invalid("username", "is required") }
            guard let secret = form["password"] else { throw HyperionError.invalid("password", "is required") }
            (email, password) = (username, secret)
        } else {
            let input = try await body.decode(LoginRequest.self, from: request)
            (email, password, useCookie) = (input.email, input.password, input.cookie ?? false)
        }
        let pair = try await auth.login(email: email, password: password, clientAddress: context.clientAddress)
        guard useCookie else { return EditedResponse(response: TokenResponse(pair)) }
        return EditedResponse(headers: [.setCookie: cookie.setting(pair.refreshToken, secure: context.clientUsesHTTPS)],
                              response: TokenResponse(pair, includeRefreshToken: false))
    }
}

/// `application/x-www-form-urlencoded` parsing (`+` is a space, `%XX` escapes).
enum FormDecoding {
    static func fields(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            guard let name = parts.first else { continue }
            fields[decode(name)] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }
}

extension AppRequestContext {
    /// A path parameter that must be a UUID (422 naming it otherwise).
    func uuidParameter(_ name: String) throws -> UUID {
        guard let text = parameters.get(name), let id = UUID(uuidString: text) else {
            throw HyperionError.invalid(name, "must be a UUID")
        }
        return id
    }
}
