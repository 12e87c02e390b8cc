import HyperionCore
import Prometheus

/// The LLM queue as `/metrics` shows it, read at each scrape: requests waiting and workers consuming (over every
/// instance: it is one queue), and whether this instance reaches it.
final class LLMQueueMetrics: Sendable {
    private let depth: Gauge
    private let consumers: Gauge
    private let up: Gauge

    init(registry: PrometheusCollectorRegistry) {
        depth = registry.makeGauge(descriptor: .named("hyperion_llm_queue_depth", help: "LLM requests waiting in the queue for a worker"))
        consumers = registry.makeGauge(descriptor: .named("hyperion_llm_queue_consumers", help: "LLM workers consuming the queue"))
        up = registry.makeGauge(descriptor: .named("hyperion_llm_queue_up", help: "1 when this instance reaches the LLM queue, else 0"))
    }

    /// Asks the broker; a broker that does not answer leaves the last figures and sets `up` to 0.
    func refresh(_ broker: any ChatJobBroker) async {
        guard let status = try? await broker.status() else {
            up.set(0.0)
            return
        }
        depth.set(Double(status.depth))
        consumers.set(Double(status.consumers))
        up.set(1.0)
    }
}
