import Dispatch
import Hummingbird
import Prometheus

/// Records `http_requests_total{method,endpoint,status}`, `http_request_duration_seconds{method,endpoint}`
/// and `http_requests_in_progress{method,endpoint}`. `endpoint` is the route template; every unmatched
/// path shares the label `unmatched` so random URLs cannot blow up the series count.
struct HTTPMetricsMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let registry: PrometheusCollectorRegistry
    let routes: RouteTable

    static let buckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500),
        .seconds(5), .seconds(10),
    ]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        let method = request.method.rawValue
        let endpoint = routes.match(request.uri.path)?.template ?? "unmatched"
        let labels = [("method", method), ("endpoint", endpoint)]
        let inProgress = registry.makeGauge(name: "http_requests_in_progress", labels: labels)
        inProgress.increment()
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            inProgress.decrement()
            throw error
        }
        inProgress.decrement()
        registry.makeCounter(name: "http_requests_total", labels: labels + [("status", String(response.status.code))]).increment()
        registry.makeDurationHistogram(name: "http_request_duration_seconds", labels: labels, buckets: Self.buckets)
            .recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - start))
        return response
    }
}
