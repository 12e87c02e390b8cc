import HyperionCore

/// OpenAPI operations and schemas of accounts, API keys, user administration and the audit log.
enum AuthDocs {
    typealias D = OpenAPIDocument

    static func object(_ required: [String], _ properties: [(String, JSONValue)]) -> JSONValue {
        ["type": "object", "required": .array(required.map { .string($0) }), "properties": .object(properties)]
    }

    static let string: JSONValue = ["type": "string"]
    static let nullableString: JSONValue = ["type": ["string", "null"]]
    static let timestamp: JSONValue = ["type": "string", "format": "date-time"]
    static let uuid: JSONValue = ["type": "string", "format": "uuid"]
    static let role: JSONValue = ["type": "string", "enum": ["admin", "user"]]
    static let password: JSONValue = ["type": "string", "minLength": 8, "maxLength": 72, "description": "8 to 72 bytes (bcrypt's limit)"]

    static func list(_ item: String) -> JSONValue {
        object(["items", "total", "skip", "limit"], [
            ("items", ["type": "array", "items": D.ref(item)]), ("total", ["type": "integer"]),
            ("skip", ["type": "integer"]), ("limit", ["type": "integer"]),
        ])
    }

    static let schemas: [(String, JSONValue)] = [
        ("SignupRequest", object(["email", "password"], [
            ("email", ["type": "string", "format": "email", "maxLength": 254]),
            ("password", password),
            ("full_name", ["type": "string", "maxLength": 200]),
        ])),
        ("LoginRequest", object(["email", "password"], [
            ("email", string), ("password", string),
            ("cookie", ["type": "boolean", "description": "Put the refresh token in the HttpOnly session cookie instead of the body (the web UI)"]),
        ])),
        ("LoginForm", object(["username", "password"], [("username", string), ("password", string)])),
        ("RefreshRequest", object(["refresh_token"], [("refresh_token", string)])),
        ("UpdateMeRequest", object([], [("full_name", nullableString)])),
        ("ChangePasswordRequest", object(["current_password", "new_password"], [("current_password", string), ("new_password", password)])),
        ("ResetPasswordRequest", object(["new_password"], [("new_password", password)])),
        ("CreateAPIKeyRequest", object(["name"], [("name", ["type": "string", "minLength": 1, "maxLength": 100]), ("expires_at", timestamp)])),
        ("CreateUserRequest", object(["email", "password"], [
            ("email", ["type": "string", "format": "email"]), ("password", password), ("full_name", string), ("role", role),
        ])),
        ("UpdateUserRequest", object([], [("role", role), ("is_disabled", ["type": "boolean"]), ("full_name", nullableString)])),
        ("User", object(["id", "email", "role", "is_disabled", "created_at", "updated_at"], [
            ("id", uuid), ("email", string), ("full_name", nullableString), ("role", role),
            ("is_disabled", ["type": "boolean"]), ("created_at", timestamp), ("updated_at", timestamp),
        ])),
        ("Token", object(["access_token", "token_type", "expires_in"], [
            ("access_token", string), ("token_type", ["type": "string", "enum": ["bearer"]]),
            ("expires_in", ["type": "integer"]),
            ("refresh_token", ["type": "string", "description": "Absent when it went into the session cookie"]),
        ])),
        ("APIKey", object(["id", "name", "prefix", "created_at"], [
            ("id", uuid), ("name", string), ("prefix", string), ("created_at", timestamp),
            ("last_used_at", ["type": ["string", "null"], "format": "date-time"]),
            ("expires_at", ["type": ["string", "null"], "format": "date-time"]),
        ])),
        ("APIKeyCreated", object(["id", "name", "prefix", "key", "created_at"], [
            ("id", uuid), ("name", string), ("prefix", string), ("key", ["type": "string", "description": "Shown only once"]),
            ("created_at", timestamp), ("expires_at", ["type": ["string", "null"], "format": "date-time"]),
        ])),
        ("AuditEvent", object(["id", "type", "created_at"], [
            ("id", uuid), ("type", ["type": "string", "enum": .array(AuditEvent.Kind.allCases.map { .string($0.rawValue) })]),
            ("user_id", ["type": ["string", "null"], "format": "uuid"]), ("actor_id", ["type": ["string", "null"], "format": "uuid"]),
            ("email", nullableString), ("client_address", nullableString), ("detail", nullableString), ("created_at", timestamp),
        ])),
        ("UserList", list("User")),
        ("APIKeyList", list("APIKey")),
        ("AuditEventList", list("AuditEvent")),
    ]

    static func jsonBody(_ schema: String) -> JSONValue {
        ["required": true, "content": ["application/json": ["schema": D.ref(schema)]]]
    }

    static let pageParameters: [JSONValue] = [
        ["name": "skip", "in": "query", "schema": ["type": "integer", "minimum": 0, "default": 0]],
        ["name": "limit", "in": "query", "schema": ["type": "integer", "minimum": 1, "maximum": 100, "default": 20]],
    ]

    static let sessionHeader: JSONValue = ["name": "X-Hyperion-Session", "in": "header", "required": true, "schema": string,
                                           "description": "Any value; proves the request is not a cross-site form"]
    static let idParameter: JSONValue = ["name": "id", "in": "path", "required": true, "schema": uuid]
    static let noContent: JSONValue = ["description": "Done"]

    static func op(
        _ method: String, _ path: String, _ id: String, _ summary: String, tag: String, access: APIAccess,
        body: JSONValue? = nil, parameters: [JSONValue] = [], success: [(String, JSONValue)]
    ) -> APIOperation {
        var spec: [(String, JSONValue)] = [
            ("operationId", .string(id)), ("summary", .string(summary)), ("tags", [.string(tag)]),
            ("x-hyperion-access", .string(access.rawValue)), ("security", access.security),
        ]
        if let body { spec.append(("requestBody", body)) }
        if !parameters.isEmpty { spec.append(("parameters", .array(parameters))) }
        spec.append(("responses", D.responses(success)))
        return APIOperation(method, path, .object(spec))
    }

    static let operations: [APIOperation] = [
        op("post", "/api/v1/auth/signup", "signup", "Create an account (the first one becomes admin)", tag: "auth", access: .public,
           body: jsonBody("SignupRequest"), success: [("201", D.json("The new user", D.ref("User")))]),
        op("post", "/api/v1/auth/register", "register", "Alias of signup", tag: "auth", access: .public,
           body: jsonBody("SignupRequest"), success: [("201", D.json("The new user", D.ref("User")))]),
        op("post", "/api/v1/auth/login", "login", "Sign in with email and password (JSON or OAuth2 password form)", tag: "auth", access: .public,
           body: ["required": true, "content": [
               "application/json": ["schema": D.ref("LoginRequest")],
               "application/x-www-form-urlencoded": ["schema": D.ref("LoginForm")],
           ]],
           success: [("200", D.json("Access and refresh tokens", D.ref("Token")))]),
        op("post", "/api/v1/auth/refresh", "refresh", "Exchange a refresh token for a new pair (single use)", tag: "auth", access: .public,
           body: jsonBody("RefreshRequest"), success: [("200", D.json("A new pair", D.ref("Token")))]),
        op("post", "/api/v1/auth/logout", "logout", "Revoke the refresh token's session family", tag: "auth", access: .public,
           body: jsonBody("RefreshRequest"), success: [("204", noContent)]),
        op("post", "/api/v1/auth/session", "refreshSession",
           "Exchange the session cookie for an access token (the web UI; needs the X-Hyperion-Session header; rotates the cookie)",
           tag: "auth", access: .public, parameters: [sessionHeader], success: [("200", D.json("An access token", D.ref("Token")))]),
        op("delete", "/api/v1/auth/session", "endSession", "Sign the session cookie out (revokes it and clears the cookie)",
           tag: "auth", access: .public, parameters: [sessionHeader], success: [("204", noContent)]),
        op("post", "/api/v1/auth/logout-all", "logoutAll", "Revoke every session of the caller", tag: "auth", access: .user,
           success: [("204", noContent)]),
        op("get", "/api/v1/auth/me", "me", "The caller", tag: "auth", access: .user, success: [("200", D.json("The caller", D.ref("User")))]),
        op("patch", "/api/v1/auth/me", "updateMe", "Change the caller's name", tag: "auth", access: .user,
           body: jsonBody("UpdateMeRequest"), success: [("200", D.json("The caller", D.ref("User")))]),
        op("post", "/api/v1/auth/me/password", "changePassword", "Change the caller's password (signs out every session)", tag: "auth",
           access: .user, body: jsonBody("ChangePasswordRequest"), success: [("204", noContent)]),
        op("post", "/api/v1/auth/api-keys", "createApiKey", "Create an API key (shown once)", tag: "api-keys", access: .user,
           body: jsonBody("CreateAPIKeyRequest"), success: [("201", D.json("The key", D.ref("APIKeyCreated")))]),
        op("get", "/api/v1/auth/api-keys", "listApiKeys", "The caller's active API keys", tag: "api-keys", access: .user,
           parameters: pageParameters, success: [("200", D.json("A page of keys", D.ref("APIKeyList")))]),
        op("delete", "/api/v1/auth/api-keys/{id}", "revokeApiKey", "Revoke an API key", tag: "api-keys", access: .user,
           parameters: [idParameter], success: [("204", noContent)]),
        op("get", "/api/v1/users", "listUsers", "Users (admin)", tag: "users", access: .admin,
           parameters: pageParameters + [
               ["name": "email", "in": "query", "schema": string, "description": "Substring of the email"],
               ["name": "role", "in": "query", "schema": role],
               ["name": "disabled", "in": "query", "schema": ["type": "boolean"]],
           ],
           success: [("200", D.json("A page of users", D.ref("UserList")))]),
        op("post", "/api/v1/users", "createUser", "Create a user with a role (admin)", tag: "users", access: .admin,
           body: jsonBody("CreateUserRequest"), success: [("201", D.json("The new user", D.ref("User")))]),
        op("get", "/api/v1/users/{id}", "getUser", "One user (admin)", tag: "users", access: .admin,
           parameters: [idParameter], success: [("200", D.json("The user", D.ref("User")))]),
        op("patch", "/api/v1/users/{id}", "updateUser", "Change role, disabled flag or name (admin)", tag: "users", access: .admin,
           body: jsonBody("UpdateUserRequest"), parameters: [idParameter], success: [("200", D.json("The user", D.ref("User")))]),
        op("post", "/api/v1/users/{id}/password", "resetPassword", "Set a user's password (admin; signs out all their sessions)",
           tag: "users", access: .admin, body: jsonBody("ResetPasswordRequest"), parameters: [idParameter], success: [("204", noContent)]),
        op("delete", "/api/v1/users/{id}", "deleteUser", "Delete a user (admin)", tag: "users", access: .admin,
           parameters: [idParameter], success: [("204", noContent)]),
    ]
}

/// Who may call an operation; recorded in the document as `x-hyperion-access` and checked by a test.
enum APIAccess: String {
    case `public`, user, admin

    var security: JSONValue {
        self == .public ? [] : [["bearerAuth": []], ["apiKeyHeader": []], ["oauth2Password": []]]
    }
}
