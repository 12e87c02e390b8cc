import Dispatch
import Hummingbird
import Logging

/// One log line per request: method, route template, status, duration, request id and user.
/// Never headers or bodies, so credentials cannot leak into logs. Probes log at debug level.
struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    static let probes: Set<String> = ["/health", "/ready", "/metrics"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        let response = try await next(request, context)
        let route = context.route
        let level: Logger.Level = Self.probes.contains(route) ? .debug : (response.status.code >= 500 ? .error : .info)
        guard context.logger.logLevel <= level else { return response }
        let metadata: Logger.Metadata = [
            "method": .string(request.method.rawValue),
            "route": .string(route),
            "status": .stringConvertible(Int(response.status.code)),
            "duration_ms": .stringConvertible(Double(DispatchTime.now().uptimeNanoseconds - start) / 1_000_000),
        ]
        context.logger.log(level: level, "request", metadata: metadata)
        return response
    }
}
