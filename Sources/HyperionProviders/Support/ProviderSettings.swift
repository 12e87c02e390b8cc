import Foundation

/// The wire protocols Hyperion speaks to language-model providers.
public enum ProviderKind: String, Sendable, CaseIterable {
    /// `POST {base}/chat/completions`: OpenAI, vLLM, llama.cpp server, LM Studio, IONOS and others.
    case openai
    /// `POST {base}/api/chat`, NDJSON stream.
    case ollama
    /// Anthropic Messages, `POST {base}/v1/messages`, SSE events.
    case anthropic
}

extension ProviderKind {
    /// Where the provider listens unless `llm.<name>.base_url` says otherwise.
    public var defaultBaseURL: String {
        switch self {
        case .openai: "https://api.openai.com/v1"
        case .ollama: "http://127.0.0.1:11434"
        case .anthropic: "https://api.anthropic.com"
        }
    }
}

/// One configured provider: where it is, how to authenticate and how patient to be.
public struct ProviderSettings: Sendable {
    /// The name users and RAG models refer to it by.
    public var name: String
    public var kind: ProviderKind
    /// e.g. `https://api.openai.com/v1`, `http://127.0.0.1:11434`, `https://api.anthropic.com`.
    public var baseURL: URL
    /// Secret; sent as a header, never logged or returned.
    public var apiKey: String?
    /// Model used when a request names none.
    public var defaultModel: String?
    /// Time to open a connection.
    public var connectTimeout: Duration
    /// Time from the request until the first generated token (covers retries).
    public var firstTokenTimeout: Duration
    /// Time for the whole generation.
    public var totalTimeout: Duration
    /// New attempts after the first one, only before the first token.
    public var maxRetries: Int
    /// First backoff; doubled each retry, with full jitter.
    public var retryBaseDelay: Duration
    /// Anthropic's `max_tokens` is mandatory: used when a request sets none.
    public var defaultMaxTokens: Int

    /// Creates settings.
    public init(name: String, kind: ProviderKind, baseURL: URL, apiKey: String? = nil, defaultModel: String? = nil,
                connectTimeout: Duration = .seconds(5), firstTokenTimeout: Duration = .seconds(60), totalTimeout: Duration = .seconds(300),
                maxRetries: Int = 2, retryBaseDelay: Duration = .milliseconds(500), defaultMaxTokens: Int = 1024) {
        self.name = name
        self.kind = kind
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.defaultModel = defaultModel
        self.connectTimeout = connectTimeout
        self.firstTokenTimeout = firstTokenTimeout
        self.totalTimeout = totalTimeout
        self.maxRetries = maxRetries
        self.retryBaseDelay = retryBaseDelay
        self.defaultMaxTokens = defaultMaxTokens
    }

    /// `baseURL` + `path`, without doubling the slash.
    func url(_ path: String) -> String {
        var base = baseURL.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        return base + path
    }
}
