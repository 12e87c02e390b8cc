import HyperionStorage
import Prometheus

/// Gauges of the store read at each scrape: the connection pool's size and what is using or waiting for it
/// (`hyperion_store_pool_connections`, `hyperion_store_operations_in_flight`), and what the indexes hold over every
/// knowledge base (`hyperion_knowledge_bases`, `hyperion_index_documents`, `hyperion_index_chunks`,
/// `hyperion_index_largest_knowledge_base_chunks`). Totals only: a knowledge base's own figures are in its API
/// (`document_count`, `chunk_count`), since an id in a label would grow a series per knowledge base.
final class StoreMetrics: Sendable {
    private let poolSize: Gauge
    private let inFlight: Gauge
    private let knowledgeBases: Gauge
    private let documents: Gauge
    private let chunks: Gauge
    private let largest: Gauge

    init(registry: PrometheusCollectorRegistry) {
        poolSize = registry.makeGauge(descriptor: .named("hyperion_store_pool_connections",
                                                         help: "Connections this instance's store pool may open"))
        inFlight = registry.makeGauge(descriptor: .named("hyperion_store_operations_in_flight",
                                                         help: "Store statements and transactions using or waiting for a pool connection"))
        knowledgeBases = registry.makeGauge(descriptor: .named("hyperion_knowledge_bases", help: "Knowledge bases, over every instance"))
        documents = registry.makeGauge(descriptor: .named("hyperion_index_documents", help: "Documents ingested into every knowledge base"))
        chunks = registry.makeGauge(descriptor: .named("hyperion_index_chunks", help: "Chunks indexed (vectors and keyword entries) over every knowledge base"))
        largest = registry.makeGauge(descriptor: .named("hyperion_index_largest_knowledge_base_chunks",
                                                        help: "Chunks indexed in the largest knowledge base"))
    }

    /// Reads the pool now, and the index totals unless the store does not answer (the last figures stay).
    func refresh(_ store: Store) async {
        poolSize.set(Double(store.poolSize))
        inFlight.set(Double(store.operationsInFlight))
        guard let totals = try? await store.documents.indexTotals() else { return }
        knowledgeBases.set(Double(totals.knowledgeBases))
        documents.set(Double(totals.documents))
        chunks.set(Double(totals.chunks))
        largest.set(Double(totals.largestChunks))
    }
}
