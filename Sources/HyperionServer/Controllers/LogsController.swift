import Foundation
import Hummingbird
import HyperionCore
import Logging

/// What an operator reads (admin only): this process's recent log lines at `/api/v1/logs` and their live tail at
/// `/api/v1/logs/stream`, and the audit events at `/api/v1/audit` (also `/api/v1/logs?kind=audit`, where they were
/// first served).
struct LogsController {
    let auth: AuthService
    /// Per-caller request budgets of authenticated routes (none unless configured).
    var budgets = RequestBudgets.none
    /// The in-memory log; nil when `log.buffer_lines` is 0.
    let logs: LogRing?
    /// Quiet time after which the live tail sends a comment, so proxies keep it open.
    var heartbeat: Duration = .seconds(15)

    func addRoutes(to router: Router<AppRequestContext>) {
        let admin = router.group("/api/v1")
            .add(middleware: AuthenticationMiddleware(auth: auth))
            .add(limit: budgets.requests)
            .add(middleware: RequireAdminMiddleware())
        admin.get("/audit") { request, _ in try await auditEvents(request) }
        admin.get("/logs") { request, context -> Response in
            switch request.uri.queryParameters["kind"].map(String.init) ?? "app" {
            case "app":
                let filter = try Self.filter(request)
                let page = try request.pageRequest
                let (items, total) = logs?.lines(filter, skip: page.skip, limit: page.limit) ?? ([], 0)
                return try ListResponse(Page(items: items.map(LogLineResponse.init), total: total, request: page))
                    .response(from: request, context: context)
            case "audit":
                return try await auditEvents(request).response(from: request, context: context)
            default:
                throw HyperionError.invalid("kind", "must be app or audit")
            }
        }
        admin.get("/logs/stream") { request, _ -> Response in
            guard let logs else { throw HyperionError.notFound("the in-memory log (log.buffer_lines is 0)") }
            let filter = try Self.filter(request)
            guard filter.since == nil, filter.until == nil else { throw HyperionError.invalid("since", "a live tail takes no time range") }
            let backlog = try request.integerQuery("backlog", default: 0, range: 0...1000)
            // Following starts before the backlog is read, so no line falls between the two.
            let live = logs.follow()
            let recent = backlog > 0 ? logs.lines(filter, skip: 0, limit: backlog).items.reversed() : []
            let newest = recent.last?.sequence ?? 0
            return ServerSentEvents.response(heartbeat: heartbeat) { sink in
                for record in recent { sink.send("log", json: LogLineResponse(record)) }
                for await record in live where record.sequence > newest && filter.matches(record) {
                    sink.send("log", json: LogLineResponse(record))
                }
            }
        }
    }

    private func auditEvents(_ request: Request) async throws -> ListResponse<AuditEventResponse> {
        let query = request.uri.queryParameters
        var filter = AuditFilter()
        if let type = query["type"] {
            guard let kind = AuditEvent.Kind(rawValue: String(type)) else {
                throw HyperionError.invalid("type", "must be one of \(AuditEvent.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            filter.kind = kind
        }
        filter.userID = try request.uuidQuery("user_id")
        filter.since = try request.timestampQuery("since")
        filter.until = try request.timestampQuery("until")
        let page = try await auth.auditEvents(filter, page: try request.pageRequest)
        return ListResponse(page.map(AuditEventResponse.init))
    }

    /// The log filter a request's query describes: `level`, `logger`, `since`, `until`, `request_id`, `user_id`, `trace_id`.
    static func filter(_ request: Request) throws -> LogFilter {
        let query = request.uri.queryParameters
        var filter = LogFilter()
        if let level = query["level"] {
            guard let value = Logger.Level(rawValue: String(level)) else {
                throw HyperionError.invalid("level", "must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            filter.minimumLevel = value
        }
        filter.logger = try query["logger"].map { try text(String($0), "logger") }
        filter.requestID = try query["request_id"].map { try text(String($0), "request_id") }
        filter.userID = try request.uuidQuery("user_id")?.lowercasedString
        filter.traceID = try query["trace_id"].map { value in
            guard RequestTrace.isTraceID(value) else { throw HyperionError.invalid("trace_id", "must be 32 lowercase hexadecimal digits") }
            return String(value)
        }
        filter.since = try request.timestampQuery("since")
        filter.until = try request.timestampQuery("until")
        return filter
    }

    private static func text(_ value: String, _ field: String) throws -> String {
        guard (1...200).contains(value.count) else { throw HyperionError.invalid(field, "must be 1 to 200 characters") }
        return value
    }
}

/// One log line in the logs API.
struct LogLineResponse: Encodable, Sendable {
    var sequence: Int
    var timestamp: String
    var level: String
    var logger: String
    var message: String
    var request_id: String?
    var user_id: String?
    var trace_id: String?
    var metadata: [String: String]

    init(_ record: LogRecord) {
        sequence = record.sequence
        timestamp = iso8601(record.timestamp)
        level = record.level.rawValue
        logger = record.logger
        message = record.message
        request_id = record.requestID
        user_id = record.userID
        trace_id = record.traceID
        metadata = record.metadata
    }
}
