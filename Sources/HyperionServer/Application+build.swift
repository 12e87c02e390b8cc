import Configuration
import Foundation
import Hummingbird
import HyperionCore
import HyperionEmbedding
import HyperionProviders
import HyperionStorage
import HyperionRabbitMQ
import HyperionRedis
import Logging
import Prometheus
import ServiceLifecycle
import Tracing

/// Hyperion's version, reported by `/health`, `/openapi.json` and `hyperion version`.
public let hyperionVersion = "0.1.0"

/// Everything the router needs, built once at start-up from configuration.
public struct AppDependencies: Sendable {
    /// Validated server settings.
    public var settings: ServerSettings
    /// The open, migrated store.
    public var store: Store
    /// Prometheus registry behind `/metrics`.
    public var registry: PrometheusCollectorRegistry
    /// Accounts and tokens.
    public var auth: AuthService
    /// RAG models, documents, jobs and search.
    public var knowledge: KnowledgeService
    /// Queries, sessions, generation and LLM providers.
    var answers: AnswerService
    /// Extra readiness checks registered by components.
    public var readinessChecks: [ReadinessCheck]
    /// The index catalog's engines (closed at shutdown).
    let indexEngines: IndexEngines
    /// Redis or this process's memory: rate limits, login windows, the user-state bus.
    let shared: SharedState
    /// How far the in-process indexes follow the change log, when a shared query cache needs to know.
    var followerPosition: FollowerPosition?
    /// This process's recent log lines (`log.buffer_lines`), for the logs API.
    var logs: LogRing?
    /// This instance's measurements behind `/metrics` and `/api/v1/stats`.
    let telemetry: Telemetry
    /// Error reports to Sentry (`sentry.dsn`), when configured.
    var sentry: SentryReporter?
    /// Where spans go (`tracing.otlp_endpoint`), when tracing is on.
    var tracing: TraceRecorder?
    /// The LLM queue generations go through (`llm.queue`), when there is one.
    let llmQueue: (any ChatJobBroker)?

    /// Creates the dependencies.
    init(settings: ServerSettings, store: Store, registry: PrometheusCollectorRegistry, auth: AuthService,
         knowledge: KnowledgeService, answers: AnswerService, indexEngines: IndexEngines, readinessChecks: [ReadinessCheck] = [],
         shared: SharedState = .local, followerPosition: FollowerPosition? = nil, telemetry: Telemetry, llmQueue: (any ChatJobBroker)? = nil) {
        self.telemetry = telemetry
        self.llmQueue = llmQueue
        self.indexEngines = indexEngines
        self.shared = shared
        self.followerPosition = followerPosition
        self.answers = answers
        self.settings = settings
        self.store = store
        self.registry = registry
        self.auth = auth
        self.knowledge = knowledge
        self.readinessChecks = readinessChecks
    }

    /// The embedder the settings ask for: the in-process model (its folder must exist) or the hashing twin.
    public static func makeEmbedder(settings: ServerSettings) throws -> any DocumentEmbedder {
        if settings.embedding.provider == "hashing" { return HashingEmbedder() }
        if let remote = settings.embedding.remote {
            return try RemoteEmbedder(kind: remote.kind, transport: ProviderTransport(settings: remote.provider), dimension: remote.dimension,
                                      batchSize: remote.batchSize, maxTokens: remote.maxTokens)
        }
        let folder = settings.embedding.modelPath
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("config.json").path) else {
            throw HyperionError(.unavailable, code: "embedding_model_missing",
                                message: "no embedding model at \(folder.path): run `hyperion models pull` (or set embedding.model_path, or embedding.provider=hashing to try without one)")
        }
        do {
            return try SentenceEmbedder(modelFolder: folder, threads: settings.embedding.threads)
        } catch {
            throw HyperionError(.unavailable, code: "embedding_model_unusable", message: "the embedding model at \(folder.path) cannot be loaded: \(error)")
        }
    }

    /// Builds the knowledge and answer services with their providers: the configured ones, plus
    /// `chatModels` (by name; tests pass in-memory twins). With `llmQueue`, every provider is reached through it.
    public static func make(settings: ServerSettings, store: Store, registry: PrometheusCollectorRegistry, auth: AuthService,
                            embedder: any DocumentEmbedder, chatModels: [String: any ChatModel] = [:], shared: SharedState = .local,
                            llmQueue: (any ChatJobBroker)? = nil, logger: Logger) throws -> AppDependencies {
        let telemetry = Telemetry(registry: registry, llmQueue: llmQueue != nil)
        let metrics = telemetry.answers
        let providers = ProviderRegistry(settings: settings.answers, injected: chatModels, store: store, secrets: settings.secrets,
                                         metrics: telemetry.llm, queue: llmQueue, logger: logger)
        let engines = try IndexEngines.make(settings: settings, store: store, dimension: embedder.dimension, logger: logger)
        // With Redis the query cache is shared; keyed by the change log, and stored only when this instance's indexes are
        // caught up with it.
        let sharedCache = shared.redis.map {
            RedisQueryCache(client: $0, capacity: settings.answers.cacheSize, ttl: .seconds(settings.answers.cacheTTLSeconds))
        }
        let follower = sharedCache != nil && engines.local != nil ? FollowerPosition(0) : nil
        let knowledge = KnowledgeService.make(settings: settings, store: store, embedder: embedder, catalog: engines.catalog, logger: logger, metrics: metrics,
                                              providers: providers,
                                              sharedCache: sharedCache, follower: follower)
        let answers = AnswerService(store: store, knowledge: knowledge, providers: providers, settings: settings.answers,
                                    metrics: metrics, bus: shared.bus, logger: logger)
        return AppDependencies(settings: settings, store: store, registry: registry, auth: auth, knowledge: knowledge, answers: answers,
                               indexEngines: engines, readinessChecks: engines.readiness + shared.readiness, shared: shared,
                               followerPosition: follower, telemetry: telemetry, llmQueue: llmQueue)
    }

    /// Builds the account machinery from settings: signing keys (generated on first start when none is
    /// configured), token service, bcrypt hasher, login throttle and user-state cache.
    /// Without `shared`, the one the settings configure: `hyperion users disable` then reaches running servers through
    /// Redis like a change made through the API.
    public static func makeAuth(settings: ServerSettings, store: Store, hasher: PasswordHasher? = nil, shared: SharedState? = nil) async throws -> AuthService {
        let shared = shared ?? SharedState.make(settings: settings.shared, logger: Logger(label: "hyperion"))
        let keys = try SigningKeys.load(settings: settings.auth, dataDirectory: settings.dataDirectory)
        return AuthService(
            store: store, settings: settings.auth, hasher: hasher ?? PasswordHasher(cost: settings.auth.bcryptCost),
            tokens: await TokenService.make(keys: keys, settings: settings.auth), cache: UserStateCache(), limiter: shared.limiter, bus: shared.bus
        )
    }
}

/// Builds the application from configuration: validates settings, opens and migrates the store,
/// and wires middleware and controllers. Fails fast with a ``HyperionError`` naming the bad key.
/// `passwordHasher` replaces the configured bcrypt cost and `embedder` the configured embedding model;
/// tests pass cheap ones, servers never do. `chatModels` adds (or replaces) providers by name. `tracer` traces with
/// that tracer instead of the one `tracing.otlp_endpoint` configures (tests pass an in-memory one). `llmQueue` sends
/// generations through that queue instead of the one `llm.queue` configures (tests pass the in-memory twin).
public func buildApplication(
    reader: ConfigReader,
    logSink: LogSink = .stdout,
    registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
    passwordHasher: PasswordHasher? = nil,
    embedder: (any DocumentEmbedder)? = nil,
    chatModels: [String: any ChatModel] = [:],
    tracer: (any Tracer)? = nil,
    llmQueue: (any ChatJobBroker)? = nil
) async throws -> some ApplicationProtocol {
    let settings = try ServerSettings(reader: reader)
    let embedder = try embedder ?? AppDependencies.makeEmbedder(settings: settings)
    let logs = settings.logBufferLines > 0 ? LogRing(capacity: settings.logBufferLines) : nil
    let logger = makeLogger(settings: settings, sink: logSink, ring: logs)
    try FileManager.default.createDirectory(at: settings.dataDirectory, withIntermediateDirectories: true)
    let store = try await Store.open(settings.store, logger: logger)
    let shared = SharedState.make(settings: settings.shared, registry: registry, logger: logger)
    do {
        try await Migrator(store: store, logger: logger).migrate()
    } catch {
        try? await store.close()
        throw error
    }
    let auth: AuthService
    do {
        auth = try await AppDependencies.makeAuth(settings: settings, store: store, hasher: passwordHasher, shared: shared)
    } catch {
        try? await store.close()
        throw error
    }
    // The LLM queue connects now, so the first requests find it ready; it closes when the server stops.
    let rabbitMQ = llmQueue == nil ? settings.llmQueue.rabbitMQ.map {
        RabbitMQChatBroker(settings: $0, maxDepth: settings.llmQueue.maxDepth, deliveryLimit: settings.llmQueue.deliveryLimit, logger: logger)
    } : nil
    rabbitMQ?.start()
    var dependencies: AppDependencies
    do {
        dependencies = try AppDependencies.make(settings: settings, store: store, registry: registry, auth: auth, embedder: embedder,
                                                chatModels: chatModels, shared: shared, llmQueue: llmQueue ?? rabbitMQ, logger: logger)
        if let rabbitMQ { dependencies.readinessChecks.append(.llmQueue(rabbitMQ)) }
    } catch {
        try? await store.close()
        throw error
    }
    dependencies.logs = logs
    let tracing: (recorder: TraceRecorder, service: (any Service)?)?
    if let tracer {
        tracing = (TraceRecorder(tracer: tracer, recordsContent: settings.tracing.recordContent, sampleRatio: settings.tracing.sampleRatio), nil)
    } else {
        do {
            tracing = try TracingBackend.make(settings: settings.tracing, logger: logger).map { ($0.recorder, $0.service) }
        } catch {
            try? await store.close()
            throw HyperionError.invalid("tracing.otlp_endpoint", "tracing cannot start: \(error)")
        }
    }
    dependencies.tracing = tracing?.recorder
    dependencies.sentry = settings.sentry.dsn.map {
        SentryReporter(dsn: $0, settings: settings.sentry, logs: logs, registry: registry, logger: logger)
    }
    // LLM connections added at run time (a key that no longer decrypts leaves that provider out, logged).
    try await dependencies.answers.providers.reload()
    let knowledge = dependencies.knowledge
    // Queries left running by a crashed process never finish: record them as failed. Only those older than
    // any generation may take, so another instance's queries in flight are left alone.
    let longest = settings.answers.providers.map { Int($0.totalTimeout.components.seconds) }.max() ?? 0
    try? await dependencies.store.queries.failStale(before: Date().addingTimeInterval(-Double(max(longest, 300) + 60)))
    // Where this instance starts following the index change log: read before anything loads an index.
    let followedCatalog = dependencies.indexEngines.local
    let logEnd = followedCatalog == nil ? 0 : (try? await dependencies.store.indexChanges.latest()) ?? 0
    dependencies.followerPosition?.advance(to: logEnd)
    let router = buildRouter(dependencies, logger: logger)
    // HTTPS natively when `tls.*` names a certificate (read again on SIGHUP), else plain HTTP.
    let certificates: TLSCertificates?
    do {
        certificates = try settings.tls.isEnabled ? TLSCertificates(settings: settings.tls) : nil
    } catch {
        try? await store.close()
        throw error
    }
    var app = Application(
        router: router,
        server: try TLSCertificates.serverBuilder(certificates, idleTimeout: settings.idleTimeout),
        configuration: ApplicationConfiguration(address: .hostname(settings.host, port: settings.port), serverName: "Hyperion"),
        onServerRunning: { channel in
            logger.info(
                "Hyperion is serving",
                metadata: [
                    "address": "\(channel.localAddress?.description ?? "?")", "scheme": "\(certificates == nil ? "http" : "https")",
                    "docs": "/docs", "openapi": "/openapi.json",
                    "store": "\(settings.store)", "compute": "\(ComputeKernels.summary)",
                ]
            )
        },
        logger: logger
    )
    // Services stop in reverse order (the server first): the store must outlive the workers that use it,
    // so a job still running at shutdown can record where it got to before the store closes.
    // Added first, so it stops last: the reports of whatever fails while the rest stops still go out.
    if let sentry = dependencies.sentry { app.addServices(sentry) }
    // Next to last: the spans of whatever still runs while the rest stops are exported before it goes.
    if let service = tracing?.service { app.addServices(service) }
    if let certificates { app.addServices(TLSReloadService(certificates: certificates, logger: logger)) }
    if let rabbitMQ { app.addServices(LLMQueueService(broker: rabbitMQ)) }
    app.addServices(
        StoreService(store: store, logger: logger),
        ClusterListener(shared: shared, cache: auth.cache, answers: dependencies.answers, logger: logger),
        IndexFollowerService(follower: followedCatalog.map {
            IndexFollower(store: store, catalog: $0, dimension: dependencies.knowledge.embedder.dimension, start: logEnd,
                          position: dependencies.followerPosition, logger: logger)
        }),
        IndexEngineService(engines: dependencies.indexEngines, logger: logger),
        knowledge.worker(settings: settings.ingestion, engineRetryFor: settings.vectors.retryForSeconds, tracing: dependencies.tracing,
                         observer: IngestionObservers([dependencies.telemetry.ingestion] + (dependencies.sentry.map { [SentryJobObserver(reporter: $0)] } ?? [])),
                         logger: logger)
    )
    return app
}

/// Creates the process logger from settings.
public func makeLogger(settings: ServerSettings, sink: LogSink = .stdout) -> Logger {
    makeLogger(settings: settings, sink: sink, ring: nil)
}

/// Creates the process logger from settings, keeping its lines in `ring` too (the logs API).
func makeLogger(settings: ServerSettings, sink: LogSink, ring: LogRing?) -> Logger {
    let format = LogLineHandler.Format.resolve(settings.logFormat)
    var logger = Logger(label: "hyperion") { label in
        LogLineHandler(label: label, level: settings.logLevel, format: format, sink: sink, ring: ring)
    }
    logger.logLevel = settings.logLevel
    return logger
}

/// Builds the router: middleware in order, then every controller's routes.
public func buildRouter(_ dependencies: AppDependencies, logger: Logger) -> Router<AppRequestContext> {
    let settings = dependencies.settings
    let routes = RouteTable()
    let router = Router(context: AppRequestContext.self)
    // Outermost first: the id must exist before anything logs; metrics and logs see the final status;
    // headers apply to error responses too; errors become envelopes before any of those see them.
    // One statically typed stack: each middleware calls the next directly instead of through an existential.
    router.addMiddleware {
        RequestIDMiddleware(routes: routes)
        if let recorder = dependencies.tracing { RequestSpanMiddleware(recorder: recorder) }
        HTTPMetricsMiddleware(metrics: dependencies.telemetry.http)
        if settings.accessLog { AccessLogMiddleware() }
        SecurityHeadersMiddleware(tls: settings.tls)
        CORSAllowListMiddleware(allowedOrigins: Set(settings.corsAllowedOrigins))
        ErrorMiddleware(routes: routes, reporter: dependencies.sentry)
        if !settings.trustedProxies.isEmpty { ClientAddressMiddleware(trusted: settings.trustedProxies) }
        BodyLimitMiddleware(limit: settings.maxBodySize, uploadLimit: settings.ingestion.maxRequestSize)
    }

    let migrator = Migrator(store: dependencies.store, logger: logger)
    HealthController(
        version: hyperionVersion,
        checks: [.store(dependencies.store), .migrations(migrator)] + dependencies.readinessChecks
    ).addRoutes(to: router)
    let (telemetry, jobs, store, llmQueue) = (dependencies.telemetry, dependencies.knowledge.jobs, dependencies.store, dependencies.llmQueue)
    MetricsController(registry: dependencies.registry, token: settings.metricsToken) {
        // The queues' depths, the pool and the index sizes are read at each scrape; a store that does not answer
        // leaves the last figures.
        if let summary = try? await jobs.summary() { telemetry.ingestion.queue(summary) }
        await telemetry.store.refresh(store)
        if let llmQueue { await telemetry.llmQueue?.refresh(llmQueue) }
    }.addRoutes(to: router)
    let body = JSONBody(limit: settings.maxBodySize)
    let budgets = dependencies.shared.budgets
    AuthController(auth: dependencies.auth, budgets: budgets, body: body, cookie: SessionCookie(maxAge: settings.auth.refreshTokenTTL))
        .addRoutes(to: router)
    UsersController(auth: dependencies.auth, budgets: budgets, body: body).addRoutes(to: router)
    LogsController(auth: dependencies.auth, budgets: budgets, logs: dependencies.logs).addRoutes(to: router)
    StatsController(auth: dependencies.auth, budgets: budgets, telemetry: dependencies.telemetry, jobs: dependencies.knowledge.jobs)
        .addRoutes(to: router)
    KnowledgeController(auth: dependencies.auth, budgets: budgets, knowledge: dependencies.knowledge, body: body,
                        uploadLimit: settings.ingestion.maxRequestSize).addRoutes(to: router)
    AnswersController(auth: dependencies.auth, budgets: budgets, answers: dependencies.answers, body: body).addRoutes(to: router)
    LLMProvidersController(auth: dependencies.auth, budgets: budgets, answers: dependencies.answers, body: body,
                           outbound: OutboundURLPolicy(allowLinkLocal: settings.allowLinkLocalURLs)).addRoutes(to: router)
    OpenAICompatController(auth: dependencies.auth, budgets: budgets, answers: dependencies.answers, body: body).addRoutes(to: router)
    do {
        try WebUIController(auth: dependencies.auth, signupEnabled: settings.auth.signupEnabled).addRoutes(to: router)
    } catch {
        logger.error("the web UI is not available", metadata: ["error": "\(error)"])
    }
    DocsController(
        documentJSON: openAPIDocumentJSON(),
        assetsDirectory: settings.dataDirectory.appendingPathComponent("assets/swagger-ui")
    ).addRoutes(to: router)

    routes.load(from: router)
    return router
}

/// Every documented operation, from every controller.
public var allOperations: [APIOperation] {
    OperationsDocs.operations + AuthDocs.operations + KnowledgeDocs.operations + AnswersDocs.operations + LogsDocs.operations + WebUIDocs.operations
}

/// The OpenAPI document as JSON bytes.
public func openAPIDocumentJSON() -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes, .prettyPrinted]
    return (try? encoder.encode(OpenAPIDocument.build(version: hyperionVersion, operations: allOperations))) ?? Data("{}".utf8)
}
