/// OpenAPI operations and schemas of the logs API and the audit log.
enum LogsDocs {
    typealias D = OpenAPIDocument
    typealias A = AuthDocs

    static let levels: JSONValue = ["type": "string", "enum": ["trace", "debug", "info", "notice", "warning", "error", "critical"]]
    static let lineFilters: [JSONValue] = [
        ["name": "level", "in": "query", "schema": levels, "description": "The least severe level wanted: warning also returns error and critical"],
        ["name": "logger", "in": "query", "schema": ["type": "string", "minLength": 1, "maxLength": 200],
         "description": "A logger's label; hyperion also matches hyperion.redis and the like"],
        ["name": "request_id", "in": "query", "schema": ["type": "string", "minLength": 1, "maxLength": 200]],
        ["name": "user_id", "in": "query", "schema": A.uuid],
    ]
    static let timeRange: [JSONValue] = [
        ["name": "since", "in": "query", "schema": A.timestamp],
        ["name": "until", "in": "query", "schema": A.timestamp],
    ]
    static let auditType: JSONValue = ["name": "type", "in": "query", "schema": A.string, "description": "Audit events of one kind (login, signup, …)"]

    static let schemas: [(String, JSONValue)] = [
        ("LogLine", A.object(["sequence", "timestamp", "level", "logger", "message", "metadata"], [
            ("sequence", ["type": "integer", "description": "Position in this process's log; later lines have larger numbers"]),
            ("timestamp", A.timestamp), ("level", levels), ("logger", A.string), ("message", A.string),
            ("request_id", A.nullableString), ("user_id", A.nullableString),
            ("metadata", ["type": "object", "additionalProperties": A.string, "description": "Every other field of the line; credentials show as ***"]),
        ])),
        ("LogLineList", A.list("LogLine")),
    ]

    static let operations: [APIOperation] = [
        A.op("get", "/api/v1/logs", "logs", "This instance's recent log lines, newest first (admin); kind=audit answers the audit events as /api/v1/audit does",
             tag: "logs", access: .admin,
             parameters: A.pageParameters + [["name": "kind", "in": "query", "schema": ["type": "string", "enum": ["app", "audit"], "default": "app"]]]
                + lineFilters + timeRange + [auditType],
             success: [("200", D.json("A page of log lines (or of audit events with kind=audit)", ["anyOf": [D.ref("LogLineList"), D.ref("AuditEventList")]]))]),
        A.op("get", "/api/v1/logs/stream", "followLogs", "Live tail of this instance's log as server-sent events (admin): each line as a log event, optionally after the last backlog lines",
             tag: "logs", access: .admin,
             parameters: lineFilters + [["name": "backlog", "in": "query", "schema": ["type": "integer", "minimum": 0, "maximum": 1000, "default": 0]]],
             success: [("200", ["description": "Log lines as they are written; comment heartbeats while quiet", "content": [
                 "text/event-stream": ["schema": AnswersDocs.sseEvent("One SSE event: log, a LogLine as JSON", events: ["log"])],
             ]])]),
        A.op("get", "/api/v1/audit", "auditLog", "Audit events, newest first (admin)", tag: "logs", access: .admin,
             parameters: A.pageParameters + [auditType, ["name": "user_id", "in": "query", "schema": A.uuid]] + timeRange,
             success: [("200", D.json("A page of events", D.ref("AuditEventList")))]),
    ]
}
