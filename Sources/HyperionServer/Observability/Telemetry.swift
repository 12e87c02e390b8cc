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
    /// Requests per method and route, with their recent latency.
    let http: HTTPMetrics
    /// When this instance started.
    let startedAt = Date()

    init(registry: PrometheusCollectorRegistry) {
        answers = AnswerMetrics(registry: registry)
        llm = LLMMetrics(registry: registry)
        ingestion = IngestionMetrics(registry: registry)
        store = StoreMetrics(registry: registry)
        http = HTTPMetrics(registry: registry)
    }
}
