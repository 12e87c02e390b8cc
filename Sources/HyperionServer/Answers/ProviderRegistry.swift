import Foundation
import HyperionCore
import HyperionProviders
import HyperionStorage
import Logging
import Synchronization

/// Every LLM provider this server can use: those of the configuration (read-only), those an administrator added at
/// run time (stored, API keys encrypted by ``SecretBox``), and in-memory ones tests inject; with the default
/// provider, which an administrator may also change at run time. ``reload()`` reads the store again: after a change
/// here, and on every instance when the cluster bus says providers changed.
final class ProviderRegistry: Sendable {
    /// Where a provider comes from.
    enum Source: String, Sendable { case configuration, api = "runtime", builtIn = "in-process" }

    struct Entry: Sendable {
        var name: String
        var kind: String
        var source: Source
        var model: any ChatModel
        var settings: ProviderSettings?
        var record: LLMProviderRecord?
    }

    private struct State {
        var stored: [String: Entry] = [:]
        var defaultOverride: String?
        /// Stored providers that could not be loaded (their key does not decrypt), by name.
        var broken: [String: String] = [:]
    }

    /// The store key of the default provider chosen at run time.
    static let defaultKey = "llm.default_provider"

    let fixed: [String: Entry]
    let settings: AnswerSettings
    let store: Store?
    let secrets: SecretBox?
    let logger: Logger
    private let state = Mutex(State())

    /// Counts every call of every provider; nil counts nothing.
    let metrics: LLMMetrics?

    /// The LLM queue generations go through (`llm.queue`); nil: this process calls the providers.
    let queue: (any ChatJobBroker)?

    init(settings: AnswerSettings, injected: [String: any ChatModel] = [:], store: Store?, secrets: SecretBox?, metrics: LLMMetrics? = nil,
         queue: (any ChatJobBroker)? = nil, logger: Logger) {
        func wrapped(_ name: String, _ model: any ChatModel, _ provider: ProviderSettings?) -> any ChatModel {
            Self.wrap(name, model, provider, queue: queue, metrics: metrics)
        }
        var fixed: [String: Entry] = [:]
        for provider in settings.providers {
            fixed[provider.name] = Entry(name: provider.name, kind: provider.kind.rawValue, source: .configuration,
                                         model: wrapped(provider.name, makeChatModel(provider, logger: logger), provider), settings: provider)
        }
        for (name, model) in injected { fixed[name] = Entry(name: name, kind: "in-process", source: .builtIn, model: wrapped(name, model, nil)) }
        self.queue = queue
        self.metrics = metrics
        self.fixed = fixed
        self.settings = settings
        self.store = store
        self.secrets = secrets
        self.logger = logger
    }

    /// A provider's model as this process uses it: through the LLM queue when there is one (a worker calls the
    /// provider; listing its models stays a direct call), and counted by the LLM metrics.
    static func wrap(_ name: String, _ model: any ChatModel, _ provider: ProviderSettings?, queue: (any ChatJobBroker)?, metrics: LLMMetrics?) -> any ChatModel {
        var routed = model
        if let queue {
            // The provider's own waits, counted from queueing: time in the queue is time the caller waits.
            routed = QueuedChatModel(providerName: name, defaultModel: model.defaultModel, broker: queue,
                                     firstTokenTimeout: provider?.firstTokenTimeout ?? .seconds(60),
                                     totalTimeout: provider?.totalTimeout ?? .seconds(300), base: model, traceParent: { Spans.traceParent() })
        }
        return metrics.map { MeteredChatModel(base: routed, metrics: $0) } ?? routed
    }

    /// The sealed-secret context of a stored provider's API key: a ciphertext only opens in its own row.
    static func keyContext(_ id: UUID) -> String { "llm_provider:\(id.lowercasedString):api_key" }

    /// Reads the stored providers and the default again.
    func reload() async throws {
        guard let store else { return }
        let records = try await store.llmProviders.all()
        let chosen = try await store.serverSettings.value(Self.defaultKey)
        var stored: [String: Entry] = [:]
        var broken: [String: String] = [:]
        for record in records where fixed[record.name] == nil {
            do {
                let settings = try providerSettings(record)
                let model = makeChatModel(settings, logger: logger)
                stored[record.name] = Entry(name: record.name, kind: record.kind, source: .api,
                                            model: Self.wrap(record.name, model, settings, queue: queue, metrics: metrics), settings: settings, record: record)
            } catch {
                broken[record.name] = (error as? HyperionError)?.message ?? "\(error)"
                logger.error("LLM provider cannot be used", metadata: ["provider": "\(record.name)", "reason": "\(broken[record.name]!)"])
            }
        }
        state.withLock { $0 = State(stored: stored, defaultOverride: chosen, broken: broken) }
    }

    /// The client settings of a stored provider, its key decrypted.
    func providerSettings(_ record: LLMProviderRecord) throws -> ProviderSettings {
        guard let kind = ProviderKind(rawValue: record.kind), let url = URL(string: record.baseURL) else {
            throw HyperionError(.unavailable, code: "provider_unusable", message: "provider '\(record.name)' has an unknown kind or address")
        }
        var apiKey: String?
        if let sealed = record.apiKeyCiphertext {
            guard let secrets else {
                throw HyperionError(.unavailable, code: "secret_key_missing",
                                    message: "provider '\(record.name)': its API key is encrypted and no secrets.master_key is configured")
            }
            apiKey = try secrets.open(sealed, context: Self.keyContext(record.id))
        }
        return ProviderSettings(name: record.name, kind: kind, baseURL: url, apiKey: apiKey, defaultModel: record.model,
                                connectTimeout: .milliseconds(record.connectTimeoutMilliseconds),
                                firstTokenTimeout: .milliseconds(record.firstTokenTimeoutMilliseconds),
                                totalTimeout: .milliseconds(record.totalTimeoutMilliseconds))
    }

    /// Every usable provider by name.
    var entries: [String: Entry] { state.withLock { $0.stored }.merging(fixed) { _, fixed in fixed } }

    /// Stored providers that failed to load, with why.
    var broken: [String: String] { state.withLock { $0.broken } }

    /// Names of every usable provider.
    var names: Set<String> { Set(entries.keys) }

    /// The chat model of a provider.
    func model(named name: String) -> (any ChatModel)? { fixed[name]?.model ?? state.withLock { $0.stored[name]?.model } }

    /// The provider used when a knowledge base or request names none (nil: extractive answers): the one chosen at run
    /// time when it still exists, else the configuration's `llm.default_provider`.
    var defaultProvider: String? {
        let chosen = state.withLock { $0.defaultOverride }
        if let chosen {
            if chosen == AnswerSettings.extractive { return nil }
            if model(named: chosen) != nil { return chosen }
        }
        return settings.defaultProvider
    }

    /// Which models callers may name, from the current providers.
    var policy: ModelPolicy { ModelPolicy(providers: entries.mapValues(\.model), allowedModels: settings.allowedModels, defaultProvider: defaultProvider) }
}
