import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HyperionCore
@testable import HyperionServer
import Prometheus
import Testing

@Suite("Performance summary and metrics beyond HTTP")
struct StatsAndMetricsTests {
    @Test("the latency book's percentiles are nearest-rank over the latest samples, per key, with a bounded key count")
    func latencyBook() {
        let book = LatencyBook<String>()
        for milliseconds in 1...100 { book.record("GET /a", .milliseconds(milliseconds)) }
        let a = book.summaries()["GET /a"]
        #expect(a == LatencyRing.Summary(count: 100, p50: 50, p95: 95, p99: 99))
        // Older samples leave the ring: 2,000 slow ones then 1,024 fast ones leave only fast ones.
        for _ in 0..<2000 { book.record("GET /b", .seconds(1)) }
        for _ in 0..<LatencyRing.capacity { book.record("GET /b", .milliseconds(2)) }
        #expect(book.summaries()["GET /b"]?.p99 == 2 && book.summaries()["GET /b"]?.count == 2000 + LatencyRing.capacity)
        for index in 0..<(LatencyBook<String>.maxKeys + 10) { book.record("k\(index)", .milliseconds(1)) }
        #expect(book.summaries().count == LatencyBook<String>.maxKeys)
    }

    @Test("a provider's model names stop making new series after the cap")
    func modelLabels() {
        let metrics = LLMMetrics(registry: PrometheusCollectorRegistry())
        for index in 0..<LLMMetrics.maxModels { #expect(metrics.label(provider: "p", model: "m\(index)") == "m\(index)") }
        #expect(metrics.label(provider: "p", model: "one-too-many") == "other")
        #expect(metrics.label(provider: "p", model: "m0") == "m0")
        #expect(metrics.label(provider: "q", model: "fresh") == "fresh")
    }

    @Test("after an upload and a question: /api/v1/stats and /metrics show routes, retrieval, the LLM, ingestion and the queue")
    func afterWork() async throws {
        let scripted = ScriptedChatModel(providerName: "scripted", defaultModel: "tiny-1") { _ in "Silicon [1]." }
        try await withTestApp(chatModels: ["scripted": scripted]) { client in
            let (token, model) = try await client.readyModel(extra: ["llm": ["provider": "scripted"]])
            for _ in 0..<3 { #expect(try await client.ask(model, "What are photovoltaic cells made of?", token: token).status == .ok) }
            _ = try await client.json(.post, "/api/v1/generate", ["provider": "scripted", "prompt": "hi"], token: token)

            let stats = try await client.json(.get, "/api/v1/stats", token: token)
            #expect(stats.status == .ok, "\(stats.body)")
            let routes = stats.body["routes"] as? [[String: Any]] ?? []
            let query = routes.first { $0["method"] as? String == "POST" && $0["route"] as? String == "/api/v1/query" }
            let latency = query?["latency"] as? [String: Any]
            #expect(latency?["count"] as? Int == 3, "\(routes)")
            #expect((latency?["p50_ms"] as? Double ?? 0) > 0 && (latency?["p95_ms"] as? Double ?? 0) >= (latency?["p50_ms"] as? Double ?? 0))
            let retrieval = stats.body["retrieval"] as? [[String: Any]] ?? []
            #expect((retrieval.first { $0["mode"] as? String == "hybrid" }?["latency"] as? [String: Any])?["count"] as? Int == 3)
            let llm = (stats.body["llm"] as? [[String: Any]] ?? []).first { $0["provider"] as? String == "scripted" }
            #expect((llm?["latency"] as? [String: Any])?["count"] as? Int == 4, "three answers and one generation: \(String(describing: llm))")
            #expect((llm?["first_token"] as? [String: Any])?["count"] as? Int == 4)
            #expect((stats.body["ingestion"] as? [String: Any])?["documents_last_hour"] as? Int == 2)
            let queue = stats.body["queue"] as? [String: Any]
            #expect(queue?["queued"] as? Int == 0 && queue?["running"] as? Int == 0 && queue?["oldest_queued_age_seconds"] == nil)

            let metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            for line in [
                #"hyperion_ingest_documents_total{outcome="ingested"} 2"#,
                #"hyperion_ingest_documents_total{outcome="failed"} 0"#,
                #"hyperion_ingest_phase_duration_seconds_count{phase="embed"} 2"#,
                #"hyperion_ingest_phase_duration_seconds_count{phase="store"} 2"#,
                #"hyperion_jobs_finished_total{kind="ingest",status="succeeded"} 1"#,
                #"hyperion_jobs{status="queued"} 0"#,
                #"hyperion_job_queue_oldest_age_seconds 0"#,
                #"llm_requests_total{provider="scripted",model="tiny-1",outcome="ok"} 4"#,
                #"llm_first_token_seconds_count{provider="scripted",model="tiny-1"} 4"#,
                #"rag_retrieval_duration_seconds_count{mode="hybrid"} 3"#,
            ] {
                #expect(metrics.contains(line + "\n") || metrics.contains(line + ".0\n"), "missing: \(line)")
            }
            #expect(metrics.contains(#"hyperion_embedding_tokens_total "#) && metrics.contains(#"hyperion_ingest_chunks_total "#))

            // The indexes' sizes are totals over every knowledge base (a second, empty one counts as a knowledge
            // base only), the largest one's chunks beside them; the pool's size and use are this instance's.
            _ = try await client.createModel("Empty", token: token)
            let chunks = try #require(try await client.json(.get, "/api/v1/models/\(model)", token: token).body["chunk_count"] as? Int)
            #expect(chunks >= 2)
            let sized = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            for line in [
                "hyperion_knowledge_bases 2", "hyperion_index_documents 2", "hyperion_index_chunks \(chunks)",
                "hyperion_index_largest_knowledge_base_chunks \(chunks)",
            ] {
                #expect(sized.contains(line + "\n") || sized.contains(line + ".0\n"), "missing: \(line)")
            }
            let gauge = { (name: String) in
                sized.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
            }
            #expect((gauge("hyperion_store_pool_connections") ?? 0) >= 2, "the pool opens at least one connection per event loop")
            #expect((gauge("hyperion_store_operations_in_flight") ?? -1) >= 0)
        }
    }

    @Test("a failing provider counts its error kind, once")
    func providerErrors() async throws {
        let down = ScriptedChatModel(providerName: "flaky", defaultModel: "f-1") { _ in
            throw ProviderError(.unreachable, provider: "flaky", message: "cannot reach 10.0.0.1:80")
        }
        try await withTestApp(chatModels: ["flaky": down]) { client in
            try await client.signup("admin@example.com")
            let token = try await client.login("admin@example.com").access
            #expect(try await client.json(.post, "/api/v1/generate", ["provider": "flaky", "prompt": "hi"], token: token).status == .badGateway)
            let metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(metrics.contains(#"llm_provider_errors_total{provider="flaky",kind="unreachable"} 1"#))
            #expect(metrics.contains(#"llm_requests_total{provider="flaky",model="f-1",outcome="unreachable"} 1"#))
        }
    }

    @Test("methods outside HTTP's usual ones share one OTHER label, so a client cannot grow the series")
    func unknownMethods() async throws {
        try await withTestApp { client in
            for method in ["BREW", "PROPFIND", "X-ANYTHING"] {
                let status = try await client.execute(uri: "/health", method: HTTPRequest.Method(method)!) { $0.status }
                #expect(status.code >= 400, "\(method)")
            }
            _ = try await client.execute(uri: "/health", method: .get) { $0.status }
            let metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(metrics.contains(#"http_requests_total{method="OTHER",endpoint="/health",status="405"} 3"#), "\(metrics.split(separator: "\n").filter { $0.contains("/health") })")
            #expect(metrics.contains(#"method="GET",endpoint="/health""#))
            #expect(!metrics.contains("BREW") && !metrics.contains("PROPFIND") && !metrics.contains("X-ANYTHING"))
        }
    }

    @Test("the summary is for admins only")
    func adminsOnly() async throws {
        try await withTestApp { client in
            try await client.signup("admin@example.com")
            try await client.signup("user@example.com")
            let user = try await client.login("user@example.com").access
            #expect(try await client.json(.get, "/api/v1/stats", token: user).status == .forbidden)
            #expect(try await client.json(.get, "/api/v1/stats").status == .unauthorized)
        }
    }
}
