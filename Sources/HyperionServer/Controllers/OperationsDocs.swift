/// OpenAPI operations of the operational routes (health, readiness, metrics, docs).
enum OperationsDocs {
    typealias D = OpenAPIDocument

    static let operations: [APIOperation] = [
        APIOperation("get", "/health", [
            "summary": "Liveness: the process answers (no I/O)", "tags": ["operations"], "operationId": "health",
            "responses": D.responses([("200", D.json("Alive", D.ref("Health")))]),
        ]),
        APIOperation("get", "/ready", [
            "summary": "Readiness: store reachable, migrations current, components ready", "tags": ["operations"],
            "operationId": "ready",
            "responses": D.responses([
                ("200", D.json("Ready", D.ref("Ready"))),
                ("503", D.errorResponse),
            ]),
        ]),
        APIOperation("get", "/metrics", [
            "summary": "Prometheus metrics", "tags": ["operations"], "operationId": "metrics",
            "security": [[:], ["metricsToken": []]],
            "responses": D.responses([
                ("200", ["description": "Prometheus text format", "content": ["text/plain": ["schema": ["type": "string"]]]]),
            ]),
        ]),
        APIOperation("get", "/openapi.json", [
            "summary": "This OpenAPI document", "tags": ["operations"], "operationId": "openapi",
            "responses": D.responses([("200", D.json("OpenAPI 3.1 document", ["type": "object"]))]),
        ]),
        APIOperation("get", "/docs", [
            "summary": "Swagger UI", "tags": ["operations"], "operationId": "docs",
            "responses": D.responses([
                ("200", ["description": "HTML page", "content": ["text/html": ["schema": ["type": "string"]]]]),
            ]),
        ]),
        APIOperation("get", "/docs/{file}", [
            "summary": "Swagger UI static files", "tags": ["operations"], "operationId": "docsAsset",
            "parameters": [["name": "file", "in": "path", "required": true, "schema": ["type": "string"]]],
            "responses": D.responses([
                ("200", ["description": "Static file", "content": ["*/*": ["schema": ["type": "string"]]]]),
            ]),
        ]),
    ]
}
