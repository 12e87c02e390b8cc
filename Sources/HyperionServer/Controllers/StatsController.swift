import Foundation
import Hummingbird
import HyperionCore

/// `GET /api/v1/stats` (admin): a performance summary of this instance a person can read: request latency per
/// route, retrieval per mode and LLM calls per provider (p50/p95/p99 over each one's latest 1,024), documents
/// ingested lately, and the job queue (shared by every instance).
struct StatsController {
    let auth: AuthService
    var budgets = RequestBudgets.none
    let telemetry: Telemetry
    let jobs: any JobQueue

    func addRoutes(to router: Router<AppRequestContext>) {
        router.group("/api/v1")
            .add(middleware: AuthenticationMiddleware(auth: auth))
            .add(limit: budgets.requests)
            .add(middleware: RequireAdminMiddleware())
            .get("/stats") { _, _ in try await stats() }
    }

    func stats() async throws -> StatsResponse {
        let now = Date()
        let queue = try await jobs.summary()
        let recent = telemetry.ingestion.recent
        let calls = telemetry.llm.calls.summaries()
        let firstTokens = telemetry.llm.firstTokens.summaries()
        return StatsResponse(
            version: hyperionVersion, started_at: iso8601(telemetry.startedAt), uptime_seconds: Int(now.timeIntervalSince(telemetry.startedAt)),
            routes: telemetry.http.latencies().map { .init(method: $0.method, route: $0.endpoint, latency: .init($0.summary)) }
                .sorted { ($0.latency.count, $1.route) > ($1.latency.count, $0.route) },
            retrieval: telemetry.answers.latencies.summaries().map { .init(mode: $0.key.rawValue, latency: .init($0.value)) }.sorted { $0.mode < $1.mode },
            llm: calls.keys.sorted().map { name in
                .init(provider: name, latency: .init(calls[name]!), first_token: firstTokens[name].map(StatsResponse.Latency.init))
            },
            ingestion: .init(documents_last_5_minutes: recent.count(within: .seconds(300)), documents_last_hour: recent.count(within: .seconds(3600))),
            queue: .init(queued: queue.queued, running: queue.running,
                         oldest_queued_age_seconds: queue.oldestQueuedAt.map { max(0, now.timeIntervalSince($0)) })
        )
    }
}

/// The body of `GET /api/v1/stats`.
struct StatsResponse: ResponseEncodable, Sendable {
    struct Latency: Encodable, Sendable {
        var count: Int
        var p50_ms: Double
        var p95_ms: Double
        var p99_ms: Double

        init(_ summary: LatencyRing.Summary) {
            count = summary.count
            p50_ms = (summary.p50 * 1000).rounded() / 1000
            p95_ms = (summary.p95 * 1000).rounded() / 1000
            p99_ms = (summary.p99 * 1000).rounded() / 1000
        }
    }

    struct Route: Encodable, Sendable {
        var method: String
        var route: String
        var latency: Latency
    }

    struct Retrieval: Encodable, Sendable {
        var mode: String
        var latency: Latency
    }

    struct Provider: Encodable, Sendable {
        var provider: String
        var latency: Latency
        var first_token: Latency?
    }

    struct Ingestion: Encodable, Sendable {
        var documents_last_5_minutes: Int
        var documents_last_hour: Int
    }

    struct Queue: Encodable, Sendable {
        var queued: Int
        var running: Int
        var oldest_queued_age_seconds: Double?
    }

    var version: String
    var started_at: String
    var uptime_seconds: Int
    var routes: [Route]
    var retrieval: [Retrieval]
    var llm: [Provider]
    var ingestion: Ingestion
    var queue: Queue
}
