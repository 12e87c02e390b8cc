import NIOConcurrencyHelpers
import Prometheus

/// Counters and histograms made on first use per label set, each name with its one `# HELP` text (as Prometheus
/// requires): for families whose label values (a provider, an outcome) are only known as they occur.
final class MetricFamilies: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let help: [String: String]
    private let buckets: [Duration]
    private let counters = NIOLockedValueBox<[String: Counter]>([:])
    private let histograms = NIOLockedValueBox<[String: DurationHistogram]>([:])

    /// Families in `registry`, described by `help` (name → text), histograms with `buckets`.
    init(registry: PrometheusCollectorRegistry, help: [String: String], buckets: [Duration] = []) {
        self.registry = registry
        self.help = help
        self.buckets = buckets
    }

    private static func key(_ name: String, _ labels: [(String, String)]) -> String {
        name + labels.map { "|\($0.0)=\($0.1)" }.joined()
    }

    /// The counter `name{labels}`.
    func counter(_ name: String, _ labels: [(String, String)]) -> Counter {
        counters.withLockedValue { counters in
            let key = Self.key(name, labels)
            if let counter = counters[key] { return counter }
            let counter = registry.makeCounter(descriptor: .named(name, help: help[name] ?? ""), labels: labels)
            counters[key] = counter
            return counter
        }
    }

    /// The duration histogram `name{labels}`.
    func histogram(_ name: String, _ labels: [(String, String)]) -> DurationHistogram {
        histograms.withLockedValue { histograms in
            let key = Self.key(name, labels)
            if let histogram = histograms[key] { return histogram }
            let histogram = registry.makeDurationHistogram(descriptor: .named(name, help: help[name] ?? ""), labels: labels, buckets: buckets)
            histograms[key] = histogram
            return histogram
        }
    }
}
