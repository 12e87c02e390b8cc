import Foundation
import Prometheus

/// This instance's own measurements: the metric families behind `/metrics` that are more than HTTP, and the recent
/// latencies `/api/v1/stats` summarises.
final class Telemetry: Sendable {
    let answers: AnswerMetrics
    let llm: LLMMetrics
    let ingestion: IngestionMetrics
    /// The store's pool and the indexes' sizes, read at each scrape.
    let store: StoreMetrics
    /// The LLM queue's depth and workers, read at each scrape; only when there is a queue.
    let llmQueue: LLMQueueMetrics?
    /// Requests per method and route, with their recent latency.
    let http: HTTPMetrics
    /// When this instance started.
    let startedAt = Date()

    init(registry: PrometheusCollectorRegistry, llmQueue: Bool = false) {
        answers = AnswerMetrics(registry: registry)
        llm = LLMMetrics(registry: registry)
        ingestion = IngestionMetrics(registry: registry)
        store = StoreMetrics(registry: registry)
        self.llmQueue = llmQueue ? LLMQueueMetrics(registry: registry) : nil
        http = HTTPMetrics(registry: registry)
    }
}
