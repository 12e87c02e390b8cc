import HyperionCore
import HyperionRedis
import Logging
import Prometheus
import ServiceLifecycle

/// The request budgets of authenticated routes; nil where no role has a limit.
struct RequestBudgets: Sendable {
    /// Every authenticated request.
    var requests: RateLimitMiddleware?
    /// Requests that may run an LLM, on top of ``requests``.
    var llm: RateLimitMiddleware?

    /// No budgets.
    static let none = RequestBudgets()
}

/// What the instances share: Redis when `redis.url` is set (rate-limit and login windows, the user-state bus), this
/// process's memory otherwise.
public struct SharedState: Sendable {
    /// The Redis client, when configured.
    let redis: RedisClient?
    /// Sliding windows: request budgets, login throttling, signups.
    let limiter: any RateLimiter
    /// User-state and revocation broadcasts.
    let bus: any ClusterBus
    /// The configured per-caller budgets.
    let budgets: RequestBudgets
    /// Whether `/ready` fails while Redis is down.
    let strict: Bool

    /// Everything in this process (fresh each time): what tests get by default.
    public static var local: SharedState {
        SharedState(redis: nil, limiter: InMemoryRateLimiter(), bus: LocalClusterBus(), budgets: .none, strict: false)
    }

    /// Builds the shared state `settings` configure. Nothing connects yet: Redis is reached at first use, and a
    /// server whose Redis is down starts and serves (degraded).
    static func make(settings: SharedStateSettings, registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), logger: Logger) -> SharedState {
        let redis = settings.redis.map { RedisClient(settings: $0, logger: logger) }
        let limiter: any RateLimiter = redis.map { RedisRateLimiter(client: $0) } ?? InMemoryRateLimiter()
        let bus: any ClusterBus = redis.map { RedisClusterBus(client: $0, logger: logger) } ?? LocalClusterBus()
        let requests = RateLimitMiddleware(budget: "requests", limiter: limiter, limits: settings.requestsPerMinute, registry: registry)
        let llm = RateLimitMiddleware(budget: "llm", limiter: limiter, limits: settings.llmRequestsPerMinute, registry: registry)
        return SharedState(redis: redis, limiter: limiter, bus: bus,
                           budgets: RequestBudgets(requests: requests.isActive ? requests : nil, llm: llm.isActive ? llm : nil),
                           strict: settings.strict)
    }

    /// `/ready`'s check of Redis: degraded (200) while it is down, unless `redis.strict` is set.
    var readiness: [ReadinessCheck] {
        guard let redis else { return [] }
        return [ReadinessCheck(name: "redis", critical: strict) {
            do { try await redis.probe() } catch {
                throw ReadinessFailure("unavailable (\(redis.settings.displayName)): serving without it: per-instance limits, no cross-instance revocation")
            }
        }]
    }

    /// Closes the bus and the connection.
    func shutdown() async {
        if let bus = bus as? RedisClusterBus { await bus.shutdown() }
        redis?.close()
    }
}

/// Applies what other instances broadcast: a changed user's cached state is dropped, so their next request is
/// checked against the store (disabled, role, session epoch). After the bus reconnects, every cached user is
/// dropped, since changes published meanwhile were missed.
struct ClusterListener: Service {
    let shared: SharedState
    let cache: UserStateCache
    /// Stops the queries generating here when asked through another instance.
    var answers: AnswerService?
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await delivery in shared.bus.events() {
                switch delivery {
                case .event(.userChanged(let id)): cache.invalidate(id)
                case .event(.stopQuery(let id)): _ = answers?.stopHere(id)
                case .event(.providersChanged): await reloadProviders()
                case .resync:
                    cache.removeAll()
                    await reloadProviders()
                }
            }
        }
        await shared.shutdown()
    }

    private func reloadProviders() async {
        do { try await answers?.providers.reload() } catch {
            logger.warning("LLM providers could not be read again", metadata: ["error": "\(error)"])
        }
    }
}
