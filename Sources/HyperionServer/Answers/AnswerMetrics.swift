import HyperionCore
import NIOConcurrencyHelpers
import Prometheus

/// Prometheus metrics of retrieval and answering: `rag_query_duration_seconds{phase}`,
/// `rag_query_cache_hits_total`, `rag_query_cache_misses_total`, `rag_queries_total{status}`,
/// `llm_tokens_total{provider,kind}` and `llm_provider_errors_total{provider,kind}`.
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
    private let registry: PrometheusCollectorRegistry
    private let counters = NIOLockedValueBox<[String: Counter]>([:])

    /// Help text of the counters made on demand (one text per name, as Prometheus requires).
    static let help = [
        "rag_queries_total": "Queries answered, by outcome",
        "llm_provider_errors_total": "LLM provider failures, by provider and kind",
        "llm_tokens_total": "Tokens reported by LLM providers, by provider and kind",
    ]

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        cacheHits = registry.makeCounter(descriptor: .named("rag_query_cache_hits_total", help: "Retrievals answered from the query cache"))
        cacheMisses = registry.makeCounter(descriptor: .named("rag_query_cache_misses_total", help: "Retrievals that searched the indexes"))
        let duration = MetricNameDescriptor.named("rag_query_duration_seconds", help: "Time a query spent in each phase")
        retrieval = registry.makeDurationHistogram(descriptor: duration, labels: [("phase", "retrieval")], buckets: Self.buckets)
        generation = registry.makeDurationHistogram(descriptor: duration, labels: [("phase", "generation")], buckets: Self.buckets)
        total = registry.makeDurationHistogram(descriptor: duration, labels: [("phase", "total")], buckets: Self.buckets)
    }

    private func counter(_ name: String, _ labels: [(String, String)]) -> Counter {
        let key = name + labels.map { "|\($0.0)=\($0.1)" }.joined()
        return counters.withLockedValue { counters in
            if let counter = counters[key] { return counter }
            let counter = registry.makeCounter(descriptor: .named(name, help: Self.help[name] ?? ""), labels: labels)
            counters[key] = counter
            return counter
        }
    }

    func query(status: String) { counter("rag_queries_total", [("status", status)]).increment() }

    func tokens(provider: String, prompt: Int, completion: Int) {
        counter("llm_tokens_total", [("provider", provider), ("kind", "prompt")]).increment(by: Int64(prompt))
        counter("llm_tokens_total", [("provider", provider), ("kind", "completion")]).increment(by: Int64(completion))
    }

    func providerError(provider: String, kind: String) {
        counter("llm_provider_errors_total", [("provider", provider), ("kind", kind)]).increment()
    }
}

extension AnswerMetrics: AnswerObserver {
    func retrieved(in duration: Duration) { retrieval.record(duration) }

    func finished(_ query: QueryRecord, generation: Duration, total: Duration) {
        self.generation.record(generation)
        self.total.record(total)
        self.query(status: query.status.rawValue)
        if let usage = query.usage, let provider = query.provider {
            tokens(provider: provider, prompt: usage.promptTokens, completion: usage.completionTokens)
        }
    }

    func providerFailed(_ error: ProviderError) { providerError(provider: error.provider, kind: error.kind.rawValue) }
}
