import Hummingbird
import Prometheus

/// `GET /metrics` in the Prometheus text format, optionally behind a bearer token.
struct MetricsController {
    let registry: PrometheusCollectorRegistry
    let token: String?
    /// Sets the gauges that are read rather than counted (the job queue's depth) just before each scrape.
    var refresh: @Sendable () async -> Void = {}

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/metrics") { request, _ in
            if let token {
                guard let header = request.headers[.authorization], Self.constantTimeEquals(header, "Bearer \(token)") else {
                    throw APIError(.unauthorized, code: "unauthorized", detail: "metrics require a bearer token", headers: [.wwwAuthenticate: "Bearer"])
                }
            }
            await refresh()
            var buffer: [UInt8] = []
            buffer.reserveCapacity(16 * 1024)
            registry.emit(into: &buffer)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: buffer))
            )
        }
    }

    /// Compares without an early exit so the token cannot be guessed byte by byte from timings.
    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for index in 0..<max(x.count, y.count) {
            difference |= (index < x.count ? x[index] : 0) ^ (index < y.count ? y[index] : 0)
        }
        return difference == 0
    }
}
