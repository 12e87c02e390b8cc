import Configuration
import Foundation
import HyperionCore
import HyperionProviders

/// LLM providers and answering settings.
///
/// Providers are named in `llm.providers` (comma-separated); each name has its own keys:
/// `llm.<name>.kind` (openai, ollama or anthropic), `llm.<name>.base_url`, `llm.<name>.api_key` (secret),
/// `llm.<name>.model`, `llm.<name>.connect_timeout`, `llm.<name>.first_token_timeout`, `llm.<name>.timeout`
/// (seconds), `llm.<name>.max_retries` and `llm.<name>.allowed_models`. `llm.default_provider` answers for RAG models that name none;
/// without it they get the extractive answerer. `answer.context_tokens` and `answer.history_tokens`
/// bound the prompt.
public struct AnswerSettings: Sendable {
    /// Configured providers, in the order listed.
    public var providers: [ProviderSettings]
    /// Model names plain users may ask of each provider besides its default (`llm.<name>.allowed_models`; `*` = any).
    public var allowedModels: [String: Set<String>] = [:]
    /// Provider for RAG models that name none; nil means extractive.
    public var defaultProvider: String?
    /// Token budget of the sources in a prompt.
    public var contextTokens: Int
    /// Token budget of the conversation history in a prompt.
    public var historyTokens: Int
    /// Largest answer asked of an LLM.
    public var maxAnswerTokens: Int
    /// Seconds between SSE heartbeat comments.
    public var heartbeatSeconds: Int
    /// Whether the extractive answerer also embeds its shortlisted sentences (better picks, ~100 ms a query on 2 cores).
    public var extractiveSimilarity: Bool
    /// Retrieval results kept by the query cache (0 turns it off).
    public var cacheSize: Int
    /// Seconds a cached retrieval stays valid.
    public var cacheTTLSeconds: Int

    /// The name that always means "no LLM".
    public static let extractive = "extractive"

    /// Reads the keys.
    public init(reader: ConfigReader) throws {
        var providers: [ProviderSettings] = []
        for name in reader.stringList("llm.providers") {
            guard name.range(of: "^[a-z0-9][a-z0-9_]{0,39}$", options: .regularExpression) != nil, name != Self.extractive else {
                throw HyperionError.invalid("llm.providers", "'\(name.prefix(60))' is not a valid provider name (a-z, 0-9 and _, at most 40; not 'extractive')")
            }
            guard !providers.contains(where: { $0.name == name }) else { throw HyperionError.invalid("llm.providers", "'\(name)' is listed twice") }
            providers.append(try Self.provider(name, reader: reader))
            allowedModels[name] = Set(reader.stringList("llm.\(name).allowed_models"))
        }
        self.providers = providers
        defaultProvider = reader.string(forKey: "llm.default_provider").flatMap { $0.isEmpty ? nil : $0 }
        if let name = defaultProvider, name != Self.extractive, !providers.contains(where: { $0.name == name }) {
            throw HyperionError.invalid("llm.default_provider", "'\(name.prefix(60))' is not one of llm.providers")
        }
        if defaultProvider == Self.extractive { defaultProvider = nil }
        contextTokens = try Setting.contextTokens.read(reader)
        historyTokens = try Setting.historyTokens.read(reader)
        maxAnswerTokens = try Setting.maxAnswerTokens.read(reader)
        heartbeatSeconds = try Setting.heartbeat.read(reader)
        extractiveSimilarity = try Setting.extractiveSimilarity.read(reader)
        cacheSize = try Setting.cacheSize.read(reader)
        cacheTTLSeconds = try Setting.cacheTTL.read(reader)
    }

    static func provider(_ name: String, reader: ConfigReader) throws -> ProviderSettings {
        let prefix = "llm.\(name)."
        guard let rawKind = reader.string(forKey: ConfigKey(prefix + "kind")) else {
            throw HyperionError.invalid(prefix + "kind", "is required: openai, ollama or anthropic")
        }
        guard let kind = ProviderKind(rawValue: rawKind.lowercased()) else {
            throw HyperionError.invalid(prefix + "kind", "must be openai, ollama or anthropic, got '\(rawKind.prefix(60))'")
        }
        let rawURL = try reader.strictString(prefix + "base_url", default: kind.defaultBaseURL)
        guard let url = URL(string: rawURL), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw HyperionError.invalid(prefix + "base_url", "must be an http(s) URL, got '\(rawURL.prefix(100))'")
        }
        let apiKey = reader.string(forKey: ConfigKey(prefix + "api_key"), isSecret: true).flatMap { $0.isEmpty ? nil : $0 }
        return ProviderSettings(
            name: name, kind: kind, baseURL: url, apiKey: apiKey,
            defaultModel: reader.string(forKey: ConfigKey(prefix + "model")).flatMap { $0.isEmpty ? nil : $0 },
            connectTimeout: .seconds(try Setting.connectTimeout.read(reader, name: name)),
            firstTokenTimeout: .seconds(try Setting.firstTokenTimeout.read(reader, name: name)),
            totalTimeout: .seconds(try Setting.totalTimeout.read(reader, name: name)),
            maxRetries: try Setting.maxRetries.read(reader, name: name)
        )
    }
}
