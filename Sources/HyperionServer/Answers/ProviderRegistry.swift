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

    init(settings: AnswerSettings, injected: [String: any ChatModel] = [:], store: Store?, secrets: SecretBox?, metrics: LLMMetrics? = nil, logger: Logger) {
        func metered(_ model: any ChatModel) -> any ChatModel { metrics.map { MeteredChatModel(base: model, metrics: $0) } ?? model }
        var fixed: [String: Entry] = [:]
        for provider in settings.providers {
            fixed[provider.name] = Entry(name: provider.name, kind: provider.kind.rawValue, source: .configuration,
                                         model: metered(makeChatModel(provider, logger: logger)), settings: provider)
        }
        for (name, model) in injected { fixed[name] = Entry(name: name, kind: "in-process", source: .builtIn, model: metered(model)) }
        self.metrics = metrics
        self.fixed = fixed
        self.settings = settings
        self.store = store
        self.secrets = secrets
        self.logger = logger
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
                stored[record.name] = Entry(name: record.name, kind: record.kind, source: .api, model: metrics.map { MeteredChatModel(base: model, metrics: $0) } ?? model,
                                            settings: settings, record: record)
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
