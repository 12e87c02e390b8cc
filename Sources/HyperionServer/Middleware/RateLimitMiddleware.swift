import HTTPTypes
import Hummingbird
import HyperionCore
import Prometheus

extension HTTPField.Name {
    static let rateLimitLimit = HTTPField.Name("RateLimit-Limit")!
    static let rateLimitRemaining = HTTPField.Name("RateLimit-Remaining")!
    static let rateLimitReset = HTTPField.Name("RateLimit-Reset")!
}

/// A per-caller request budget over a one-minute sliding window: counted per user for access tokens and per key for
/// API keys, with a limit per role (0 = unlimited). Over it: 429 `rate_limited` with `Retry-After`; every answer
/// within it carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds until a slot frees) of
/// the tightest budget that applied. Sits behind ``AuthenticationMiddleware``; the LLM budget sits inside the
/// general one on routes that may run an LLM, so such a call counts against both.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    /// What the budget covers: `requests` or `llm`; part of the counter's key and of the 429's message.
    let budget: String
    let limiter: any RateLimiter
    let limits: [Role: Int]
    /// `hyperion_rate_limited_total{budget}` in `/metrics`.
    let refused: Prometheus.Counter

    init(budget: String, limiter: any RateLimiter, limits: [Role: Int], registry: PrometheusCollectorRegistry) {
        self.budget = budget
        self.limiter = limiter
        self.limits = limits
        refused = registry.makeCounter(descriptor: .named("hyperion_rate_limited_total", help: "Requests refused by a per-caller budget"),
                                       labels: [("budget", budget)])
    }

    /// Whether any role has a limit (a middleware with none is not installed).
    var isActive: Bool { limits.values.contains { $0 > 0 } }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let identity = context.identity, let limit = limits[identity.user.role], limit > 0 else {
            return try await next(request, context)
        }
        let subject = switch identity.credential {
        case .accessToken: "user:\(identity.user.id.lowercasedString)"
        case .apiKey(let id): "key:\(id.lowercasedString)"
        }
        let decision = await limiter.admit([RateLimitRule(key: "\(budget):\(subject)", limit: limit, window: .seconds(60))])
        var headers: HTTPFields = [
            .rateLimitLimit: String(decision.limit), .rateLimitRemaining: String(decision.remaining), .rateLimitReset: String(decision.resetSeconds),
        ]
        guard decision.allowed else {
            refused.increment()
            try? await request.discardBody()
            let wait = decision.retryAfter ?? decision.resetSeconds
            headers[.retryAfter] = String(wait)
            let what = budget == "llm" ? "LLM-backed requests" : "requests"
            throw APIError(.tooManyRequests, code: "rate_limited",
                           detail: "rate limit of \(decision.limit) \(what) per minute reached; try again in \(wait) seconds", headers: headers)
        }
        var response = try await next(request, context)
        // An inner (tighter) budget already described itself.
        if !response.headers.contains(.rateLimitLimit) {
            for field in headers { response.headers.append(field) }
        }
        return response
    }
}

extension RouterGroup where Context == AppRequestContext {
    /// Adds `middleware` when it limits anything.
    func add(limit middleware: RateLimitMiddleware?) -> RouterGroup<Context> {
        guard let middleware, middleware.isActive else { return self }
        return add(middleware: middleware)
    }
}
