import Foundation
import Hummingbird
import HyperionCore

struct SignupRequest: Decodable {
    let email: String
    let password: String
    let full_name: String?
}

struct LoginRequest: Decodable {
    let email: String
    let password: String
    /// Put the refresh token in the session cookie rather than the body (the web UI).
    let cookie: Bool?
}

struct RefreshRequest: Decodable {
    let refresh_token: String
}

struct UpdateMeRequest: Decodable {
    let full_name: String?
}

struct ChangePasswordRequest: Decodable {
    let current_password: String
    let new_password: String
}

struct ResetPasswordRequest: Decodable {
    let new_password: String
}

struct CreateAPIKeyRequest: Decodable {
    let name: String
    let expires_at: String?
}

struct CreateUserRequest: Decodable {
    let email: String
    let password: String
    let full_name: String?
    let role: Role?
}

/// `PATCH /users/{id}`: absent fields stay; `full_name: null` clears the name.
struct UpdateUserRequest: Decodable {
    let role: Role?
    let is_disabled: Bool?
    let full_name: String??

    enum CodingKeys: String, CodingKey { case role, is_disabled, full_name }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        role = try c.decodeIfPresent(Role.self, forKey: .role)
        is_disabled = try c.decodeIfPresent(Bool.self, forKey: .is_disabled)
        full_name = c.contains(.full_name) ? .some(try c.decodeIfPresent(String.self, forKey: .full_name)) : .none
    }
}

struct UserResponse: ResponseEncodable {
    let id: String
    let email: String
    let full_name: String?
    let role: String
    let is_disabled: Bool
    let created_at: String
    let updated_at: String

    init(_ user: User) {
        id = user.id.lowercasedString
        email = user.email
        full_name = user.fullName
        role = user.role.rawValue
        is_disabled = user.isDisabled
        created_at = iso8601(user.createdAt)
        updated_at = iso8601(user.updatedAt)
    }

    /// Written by hand (same JSON as the `Encodable` form, which lists and other responses use):
    /// `GET /auth/me` is the most frequent authenticated request.
    func response(from request: Request, context: some RequestContext) throws -> Response {
        json.response()
    }

    /// The object's fields in the order `Encodable` writes them.
    var json: JSONObjectWriter {
        var writer = JSONObjectWriter()
        writer.field("id", id)
        writer.field("email", email)
        writer.field("full_name", full_name)
        writer.field("role", role)
        writer.field("is_disabled", is_disabled)
        writer.field("created_at", created_at)
        writer.field("updated_at", updated_at)
        return writer
    }
}

struct TokenResponse: ResponseEncodable {
    let access_token: String
    let token_type = "bearer"
    let expires_in: Int
    /// Absent when the refresh token went into the session cookie.
    let refresh_token: String?

    init(_ pair: TokenPair, includeRefreshToken: Bool = true) {
        access_token = pair.accessToken
        expires_in = pair.expiresIn
        refresh_token = includeRefreshToken ? pair.refreshToken : nil
    }
}

struct APIKeyResponse: ResponseEncodable {
    let id: String
    let name: String
    let prefix: String
    let created_at: String
    let last_used_at: String?
    let expires_at: String?

    init(_ key: APIKeyRecord) {
        id = key.id.lowercasedString
        name = key.name
        prefix = key.prefix
        created_at = iso8601(key.createdAt)
        last_used_at = key.lastUsedAt.map(iso8601)
        expires_at = key.expiresAt.map(iso8601)
    }
}

struct APIKeyCreatedResponse: ResponseEncodable {
    let id: String
    let name: String
    let prefix: String
    let key: String
    let created_at: String
    let expires_at: String?
}

struct AuditEventResponse: ResponseEncodable {
    let id: String
    let type: String
    let user_id: String?
    let actor_id: String?
    let email: String?
    let client_address: String?
    let detail: String?
    let created_at: String

    init(_ event: AuditEvent) {
        id = event.id.lowercasedString
        type = event.kind.rawValue
        user_id = event.userID?.lowercasedString
        actor_id = event.actorID?.lowercasedString
        email = event.email
        client_address = event.clientAddress
        detail = event.detail
        created_at = iso8601(event.createdAt)
    }
}
