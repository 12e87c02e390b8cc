import Configuration
import Foundation
import HyperionCore
import HyperionRabbitMQ
import HyperionStorage
import Logging
import ServiceLifecycle
import Tracing

/// `hyperion worker`: takes generations from the LLM queue (`llm.queue = rabbitmq`) and answers them with the
/// providers of the same configuration, and those an administrator added at run time (read from the shared store).
///
/// On SIGTERM it stops taking jobs, finishes those in hand, then closes; a worker killed outright leaves its jobs to
/// the queue, which delivers them to another worker.
public struct LLMWorkerService: Service {
    let source: RabbitMQChatSource
    let worker: ChatJobWorker
    let store: Store?
    let broker: String
    /// Seconds jobs in hand get to finish after SIGTERM.
    public let gracePeriod: Int
    public let logger: Logger
    /// Where spans go (`tracing.otlp_endpoint`): each job is a span in the trace of the request that queued it.
    let tracing: TraceRecorder?
    /// Exports the spans; run it beside the worker, started before it (so it stops after it).
    public let tracingService: (any Service)?

    public func run() async throws {
        logger.info("Hyperion LLM worker is consuming", metadata: ["broker": "\(broker)", "concurrency": "\(worker.concurrency)"])
        let context = tracing?.bound() ?? ServiceContext.current ?? .topLevel
        await withGracefulShutdownHandler {
            await ServiceContext.$current.withValue(context) { await worker.run() }
        } onGracefulShutdown: { [source] in
            Task { await source.close() }
        }
        await source.shutdown()
        try? await store?.close()
        logger.info("Hyperion LLM worker stopped")
    }
}

/// Builds the worker from configuration: the queue (`llm.queue` must be `rabbitmq`), the configured providers, and
/// the store when it can be opened (for providers added at run time; without it, the configured ones only).
public func buildWorker(reader: ConfigReader, logSink: LogSink = .stdout) async throws -> LLMWorkerService {
    let settings = try ServerSettings(reader: reader)
    let logger = makeLogger(settings: settings, sink: logSink)
    guard let rabbitMQ = settings.llmQueue.rabbitMQ else {
        throw HyperionError.invalid("llm.queue", "must be rabbitmq for `hyperion worker` (with rabbitmq.url)")
    }
    var store: Store?
    do {
        let opened = try await Store.open(settings.store, logger: logger)
        store = opened
    } catch {
        logger.warning("LLM worker: the store cannot be opened; only configured providers answer", metadata: ["error": "\(error)"])
    }
    let providers = ProviderRegistry(settings: settings.answers, store: store, secrets: settings.secrets, logger: logger)
    try? await providers.reload()
    let refresher = ProviderRefresher(registry: providers)
    let source = RabbitMQChatSource(settings: rabbitMQ, deliveryLimit: settings.llmQueue.deliveryLimit, logger: logger)
    let worker = ChatJobWorker(source: source, models: { await refresher.model(named: $0) }, concurrency: settings.llmQueue.workerConcurrency,
                               maxAttempts: settings.llmQueue.workerMaxAttempts, logger: logger)
    let tracing: (recorder: TraceRecorder, service: any Service)?
    do {
        tracing = try TracingBackend.make(settings: settings.tracing, logger: logger)
    } catch {
        try? await store?.close()
        throw HyperionError.invalid("tracing.otlp_endpoint", "tracing cannot start: \(error)")
    }
    return LLMWorkerService(source: source, worker: worker, store: store, broker: rabbitMQ.description, gracePeriod: settings.gracePeriod, logger: logger,
                            tracing: tracing?.recorder, tracingService: tracing?.service)
}

/// Reads the stored providers again when a job names one this worker does not know, or its list is older than ten
/// seconds (a provider changed at run time reaches the workers without a restart).
actor ProviderRefresher {
    let registry: ProviderRegistry
    private var readAt = ContinuousClock.now

    init(registry: ProviderRegistry) { self.registry = registry }

    func model(named name: String) async -> (any ChatModel)? {
        if let model = registry.model(named: name), ContinuousClock.now - readAt < .seconds(10) { return model }
        try? await registry.reload()
        readAt = ContinuousClock.now
        return registry.model(named: name)
    }
}
