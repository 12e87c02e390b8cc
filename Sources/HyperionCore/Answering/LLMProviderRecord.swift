import Foundation

/// An LLM connection added at run time (by an administrator, through the API or the web UI), as stored. Its API key
/// is kept only encrypted (`apiKeyCiphertext`); the server decrypts it in memory to talk to the provider.
public struct LLMProviderRecord: Sendable, Equatable, Identifiable {
    public var id: UUID
    /// Unique among every provider, configured or stored; what knowledge bases and requests name.
    public var name: String
    /// `openai`, `ollama` or `anthropic`.
    public var kind: String
    public var baseURL: String
    /// The model used when a request names none.
    public var model: String?
    /// The encrypted API key, if the provider needs one.
    public var apiKeyCiphertext: String?
    public var connectTimeoutMilliseconds: Int
    public var firstTokenTimeoutMilliseconds: Int
    public var totalTimeoutMilliseconds: Int
    public var createdBy: UUID?
    public var createdAt: Date
    public var updatedAt: Date

    /// Creates a record.
    public init(id: UUID = UUID(), name: String, kind: String, baseURL: String, model: String? = nil, apiKeyCiphertext: String? = nil,
                connectTimeoutMilliseconds: Int = 5_000, firstTokenTimeoutMilliseconds: Int = 60_000, totalTimeoutMilliseconds: Int = 300_000,
                createdBy: UUID? = nil, createdAt: Date = Date(), updatedAt: Date = Date()) {
        self.id = id
        self.name = name
        self.kind = kind
        self.baseURL = baseURL
        self.model = model
        self.apiKeyCiphertext = apiKeyCiphertext
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.firstTokenTimeoutMilliseconds = firstTokenTimeoutMilliseconds
        self.totalTimeoutMilliseconds = totalTimeoutMilliseconds
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
