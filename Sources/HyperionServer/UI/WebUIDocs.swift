/// The web UI's routes in the OpenAPI document (HTML pages and static files, no credentials needed:
/// the pages' scripts call the API with the user's token).
enum WebUIDocs {
    typealias D = OpenAPIDocument

    static let html: JSONValue = ["description": "HTML page", "content": ["text/html": ["schema": ["type": "string"]]]]
    static let redirect: JSONValue = ["description": "To the web UI", "headers": ["Location": ["schema": ["type": "string"]]]]

    /// The UI's own page-not-found (an id that is no UUID, an address that is no page).
    static let notFound: JSONValue = ["description": "The UI's own page-not-found", "content": ["text/html": ["schema": ["type": "string"]]]]

    static func page(_ path: String, _ id: String, _ summary: String, parameters: [JSONValue] = []) -> APIOperation {
        var spec: [(String, JSONValue)] = [("summary", .string(summary)), ("tags", ["ui"]), ("operationId", .string(id))]
        if !parameters.isEmpty { spec.append(("parameters", .array(parameters))) }
        spec.append(("responses", D.responses(parameters.isEmpty ? [("200", html)] : [("200", html), ("404", notFound)])))
        return APIOperation("get", path, .object(spec))
    }

    static let operations: [APIOperation] = [
        APIOperation("get", "/", ["summary": "Redirect to the web UI", "tags": ["ui"], "operationId": "root", "responses": D.responses([("303", redirect)])]),
        page("/ui", "uiModels", "Web UI: knowledge bases"),
        page("/ui/login", "uiLogin", "Web UI: sign in, or create the admin account on an empty install"),
        page("/ui/chat", "uiChat", "Web UI: chat with streamed answers and citations"),
        page("/ui/history", "uiHistory", "Web UI: the questions you asked, with answers and citations"),
        page("/ui/keys", "uiKeys", "Web UI: create (shown once) and revoke API keys"),
        page("/ui/admin", "uiAdmin", "Web UI: users (create, roles, disable, reset passwords), system status and audit log (administrators)"),
        page("/ui/account", "uiAccount", "Web UI: change your password, sign out everywhere"),
        page("/ui/models/{id}", "uiModel", "Web UI: a knowledge base's documents and uploads",
             parameters: [["name": "id", "in": "path", "required": true, "schema": ["type": "string", "format": "uuid"]]]),
        APIOperation("get", "/ui/assets/{name}", [
            "summary": "Web UI scripts and stylesheet", "tags": ["ui"], "operationId": "uiAsset",
            "parameters": [["name": "name", "in": "path", "required": true, "schema": ["type": "string"]]],
            "responses": D.responses([("200", ["description": "The file", "content": [
                "text/javascript": ["schema": ["type": "string"]], "text/css": ["schema": ["type": "string"]],
            ]])]),
        ]),
    ]
}
