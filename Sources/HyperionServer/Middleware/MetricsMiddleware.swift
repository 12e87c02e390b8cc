import Dispatch
import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers
import Prometheus

/// Records `http_requests_total{method,endpoint,status}`, `http_request_duration_seconds{method,endpoint}`
/// and `http_requests_in_progress{method,endpoint}`. `endpoint` is the route template; every unmatched
/// path shares the label `unmatched` so random URLs cannot blow up the series count.
struct HTTPMetricsMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let metrics: HTTPMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        let series = metrics.series(method: request.method, endpoint: context.route)
        series.inProgress.increment()
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            series.inProgress.decrement()
            throw error
        }
        series.inProgress.decrement()
        series.counter(status: response.status.code).increment()
        let elapsed = Int64(DispatchTime.now().uptimeNanoseconds - start)
        series.duration.recordNanoseconds(elapsed)
        series.latencies.withLockedValue { $0.add(.nanoseconds(elapsed)) }
        return response
    }
}

/// The metric objects per method and route, made once: asking the registry on every request costs
/// label formatting and a lock per metric, which showed up as a large share of a request's time.
final class HTTPMetrics: Sendable {
    static let buckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500),
        .seconds(5), .seconds(10),
    ]

    final class Series: Sendable {
        let labels: [(String, String)]
        let method: String
        let endpoint: String
        /// Recent durations, for `/api/v1/stats`.
        let latencies = NIOLockedValueBox(LatencyRing())
        let inProgress: Gauge
        let duration: DurationHistogram
        private let counters = NIOLockedValueBox<[Int: Counter]>([:])
        private let registry: PrometheusCollectorRegistry

        init(registry: PrometheusCollectorRegistry, method: String, endpoint: String) {
            self.registry = registry
            self.method = method
            self.endpoint = endpoint
            labels = [("method", method), ("endpoint", endpoint)]
            inProgress = registry.makeGauge(descriptor: .named("http_requests_in_progress", help: "Requests being served"), labels: labels)
            duration = registry.makeDurationHistogram(descriptor: .named("http_request_duration_seconds", help: "Time to the response's head, by route"),
                                                      labels: labels, buckets: HTTPMetrics.buckets)
        }

        func counter(status: Int) -> Counter {
            counters.withLockedValue { counters in
                if let counter = counters[status] { return counter }
                let counter = registry.makeCounter(descriptor: .named("http_requests_total", help: "Responses, by route and status"), labels: labels + [("status", String(status))])
                counters[status] = counter
                return counter
            }
        }
    }

    private struct Key: Hashable {
        let method: String
        let endpoint: String
    }

    private let registry: PrometheusCollectorRegistry
    private let cache = NIOLockedValueBox<[Key: Series]>([:])

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// Every method and route answered so far, with its recent latency.
    func latencies() -> [(method: String, endpoint: String, summary: LatencyRing.Summary)] {
        cache.withLockedValue { Array($0.values) }.map { ($0.method, $0.endpoint, $0.latencies.withLockedValue(\.summary)) }
            .filter { $0.summary.count > 0 }
    }

    /// The methods that keep their own label; any other (a client may send any token as a method) counts as `OTHER`,
    /// so the series stay bounded.
    static let knownMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    func series(method: HTTPRequest.Method, endpoint: String) -> Series {
        let key = Key(method: Self.knownMethods.contains(method.rawValue) ? method.rawValue : "OTHER", endpoint: endpoint)
        return cache.withLockedValue { cache in
            if let series = cache[key] { return series }
            let series = Series(registry: registry, method: key.method, endpoint: key.endpoint)
            cache[key] = series
            return series
        }
    }
}

extension MetricNameDescriptor {
    /// A metric of a full name (unit suffix included) with its `# HELP` text.
    static func named(_ name: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
