import Foundation

/// One documented operation; controllers list theirs next to the routes they add.
public struct APIOperation: Sendable {
    /// HTTP method, lower-case as OpenAPI writes it.
    public var method: String
    /// Path in OpenAPI form, e.g. `/api/v1/query/{id}`.
    public var path: String
    /// The operation object (summary, parameters, requestBody, responses, security…).
    public var spec: JSONValue

    /// Creates an operation.
    public init(_ method: String, _ path: String, _ spec: JSONValue) {
        self.method = method
        self.path = path
        self.spec = spec
    }
}

/// Builds the OpenAPI 3.1 document from every controller's operations (code-first; a test keeps it
/// equal to the router's routes).
public enum OpenAPIDocument {
    /// The error envelope as a response, for any status.
    public static let errorResponse: JSONValue = [
        "description": "Error envelope",
        "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]],
    ]

    /// Responses every operation can give: the envelope for any error status.
    public static func responses(_ success: [(String, JSONValue)]) -> JSONValue {
        .object(success + [("default", errorResponse)])
    }

    /// A JSON response with a schema.
    public static func json(_ description: String, _ schema: JSONValue) -> JSONValue {
        ["description": .string(description), "content": ["application/json": ["schema": schema]]]
    }

    /// A `$ref` to a component schema.
    public static func ref(_ name: String) -> JSONValue { ["$ref": .string("#/components/schemas/\(name)")] }

    /// The schemas shared by operations.
    static let schemas: JSONValue = [
        "Error": [
            "type": "object",
            "required": ["detail", "code", "timestamp", "request_id"],
            "properties": [
                "detail": ["type": "string", "description": "Human-readable reason"],
                "code": ["type": "string", "description": "Stable machine-readable code"],
                "timestamp": ["type": "string", "format": "date-time"],
                "request_id": ["type": "string", "description": "Echo of X-Request-ID"],
                "field": ["type": "string", "description": "Offending field of a validation error"],
                "trace_id": ["type": "string", "pattern": "^[0-9a-f]{32}$",
                             "description": "The W3C trace id of the request, when tracing is on or the caller sent a traceparent"],
            ],
        ],
        "Health": [
            "type": "object", "required": ["status", "version"],
            "properties": ["status": ["type": "string", "enum": ["ok"]], "version": ["type": "string"]],
        ],
        "Ready": [
            "type": "object", "required": ["status", "checks"],
            "properties": [
                "status": ["type": "string", "enum": ["ready"]],
                "checks": ["type": "object", "additionalProperties": ["type": "string"]],
            ],
        ],
    ]

    /// Assembles the document.
    public static func build(version: String, operations: [APIOperation]) -> JSONValue {
        var paths: [(String, JSONValue)] = []
        for operation in operations {
            let entry: JSONValue = [(operation.method, operation.spec)].reduce(into: JSONValue.object([])) { result, pair in
                result = result.merging(.object([pair]))
            }
            if let index = paths.firstIndex(where: { $0.0 == operation.path }) {
                paths[index].1 = paths[index].1.merging(entry)
            } else {
                paths.append((operation.path, entry))
            }
        }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "Hyperion",
                "version": .string(version),
                "description": "Self-hosted Retrieval-Augmented Generation server. Errors always use the `Error` envelope.",
            ],
            "servers": [["url": "/"]],
            "paths": .object(paths),
            "components": [
                "schemas": schemas.merging(.object(AuthDocs.schemas + KnowledgeDocs.schemas + AnswersDocs.schemas + AnswersDocs.providerSchemas + LogsDocs.schemas)),
                "securitySchemes": [
                    "bearerAuth": ["type": "http", "scheme": "bearer", "description": "An access token (JWT) or an API key (hyp_…)"],
                    "apiKeyHeader": ["type": "apiKey", "in": "header", "name": "X-API-Key"],
                    "oauth2Password": ["type": "oauth2", "flows": ["password": ["tokenUrl": "/api/v1/auth/login", "scopes": [:]]]],
                    "metricsToken": ["type": "http", "scheme": "bearer", "description": "Only when metrics.token is set"],
                ],
            ],
        ]
    }
}
