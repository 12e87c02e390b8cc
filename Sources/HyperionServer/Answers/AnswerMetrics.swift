import HyperionCore
import NIOConcurrencyHelpers
import Prometheus

/// Prometheus metrics of retrieval and answering: `rag_query_duration_seconds{phase}`,
/// `rag_retrieval_duration_seconds{mode}`, `rag_query_cache_hits_total`, `rag_query_cache_misses_total` and
/// `rag_queries_total{status}`. LLM calls are counted by ``LLMMetrics``.
final class AnswerMetrics: Sendable {
    static let buckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
    ]

    let cacheHits: Counter
    let cacheMisses: Counter
    let retrieval: DurationHistogram
    let generation: DurationHistogram
    let total: DurationHistogram
    private let retrievalByMode: [RetrievalMode: DurationHistogram]
    /// Retrieval times per mode, for `/api/v1/stats`.
    let latencies = LatencyBook<RetrievalMode>()
    private let families: MetricFamilies

    /// Help text of the counters made on demand (one text per name, as Prometheus requires).
    static let help = [
        "rag_queries_total": "Queries answered, by outcome",
    ]

    init(registry: PrometheusCollectorRegistry) {
        families = MetricFamilies(registry: registry, help: Self.help)
        cacheHits = registry.makeCounter(descriptor: .named("rag_query_cache_hits_total", help: "Retrievals answered from the query cache"))
        cacheMisses = registry.makeCounter(descriptor: .named("rag_query_cache_misses_total", help: "Retrievals that searched the indexes"))
        let duration = MetricNameDescriptor.named("rag_query_duration_seconds", help: "Time a query spent in each phase")
        retrieval = registry.makeDurationHistogram(descriptor: duration, labels: [("phase", "retrieval")], buckets: Self.buckets)
        generation = registry.makeDurationHistogram(descriptor: duration, labels: [("phase", "generation")], buckets: Self.buckets)
        total = registry.makeDurationHistogram(descriptor: duration, labels: [("phase", "total")], buckets: Self.buckets)
        let byMode = MetricNameDescriptor.named("rag_retrieval_duration_seconds", help: "Time a query's retrieval took, by mode")
        retrievalByMode = Dictionary(uniqueKeysWithValues: RetrievalMode.allCases.map {
            ($0, registry.makeDurationHistogram(descriptor: byMode, labels: [("mode", $0.rawValue)], buckets: Self.buckets))
        })
    }

    func query(status: String) { families.counter("rag_queries_total", [("status", status)]).increment() }
}

extension AnswerMetrics: AnswerObserver {
    func retrieved(in duration: Duration, mode: RetrievalMode) {
        retrieval.record(duration)
        retrievalByMode[mode]?.record(duration)
        latencies.record(mode, duration)
    }

    func finished(_ query: QueryRecord, generation: Duration, total: Duration) {
        self.generation.record(generation)
        self.total.record(total)
        self.query(status: query.status.rawValue)
    }

    // Counted by the metered chat model, which sees every call.
    func providerFailed(_ error: ProviderError) {}
}
