/// OpenAPI operations and schemas of the logs API, the performance summary and the audit log.
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
        ["name": "trace_id", "in": "query", "schema": ["type": "string", "pattern": "^[0-9a-f]{32}$"],
         "description": "Lines logged within one trace (a request's or an ingestion job's)"],
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
            ("trace_id", ["type": ["string", "null"], "description": "The W3C trace id of the request or job the line belongs to"]),
            ("metadata", ["type": "object", "additionalProperties": A.string, "description": "Every other field of the line; credentials show as ***"]),
        ])),
        ("LogLineList", A.list("LogLine")),
        ("Latency", A.object(["count", "p50_ms", "p95_ms", "p99_ms"], [
            ("count", ["type": "integer", "description": "Samples ever recorded; the percentiles cover the latest 1,024"]),
            ("p50_ms", ["type": "number"]), ("p95_ms", ["type": "number"]), ("p99_ms", ["type": "number"]),
        ])),
        ("Stats", A.object(["version", "started_at", "uptime_seconds", "routes", "retrieval", "llm", "ingestion", "queue"], [
            ("version", A.string), ("started_at", A.timestamp), ("uptime_seconds", ["type": "integer"]),
            ("routes", ["type": "array", "description": "Per route template, busiest first", "items": A.object(["method", "route", "latency"], [
                ("method", A.string), ("route", A.string), ("latency", D.ref("Latency")),
            ])]),
            ("retrieval", ["type": "array", "description": "Per retrieval mode", "items": A.object(["mode", "latency"], [
                ("mode", A.string), ("latency", D.ref("Latency")),
            ])]),
            ("llm", ["type": "array", "description": "Per provider: whole calls that succeeded, and time to the first token",
                     "items": A.object(["provider", "latency"], [
                ("provider", A.string), ("latency", D.ref("Latency")), ("first_token", ["anyOf": [D.ref("Latency"), ["type": "null"]]]),
            ])]),
            ("ingestion", A.object(["documents_last_5_minutes", "documents_last_hour"], [
                ("documents_last_5_minutes", ["type": "integer"]), ("documents_last_hour", ["type": "integer"]),
            ])),
            ("queue", A.object(["queued", "running"], [
                ("queued", ["type": "integer"]), ("running", ["type": "integer"]),
                ("oldest_queued_age_seconds", ["type": ["number", "null"]]),
            ])),
        ])),
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
        A.op("get", "/api/v1/stats", "stats", "This instance's performance: latency per route, retrieval mode and LLM provider; documents ingested lately; the job queue (admin)",
             tag: "logs", access: .admin, success: [("200", D.json("The summary", D.ref("Stats")))]),
        A.op("get", "/api/v1/audit", "auditLog", "Audit events, newest first (admin)", tag: "logs", access: .admin,
             parameters: A.pageParameters + [auditType, ["name": "user_id", "in": "query", "schema": A.uuid]] + timeRange,
             success: [("200", D.json("A page of events", D.ref("AuditEventList")))]),
    ]
}
