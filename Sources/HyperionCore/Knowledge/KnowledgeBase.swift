import Foundation

/// Who can see a RAG model besides its owner.
public enum Visibility: String, Sendable, Codable, CaseIterable {
    /// Only the owner (and admins).
    case `private`
    /// Every signed-in user may read and search it; only the owner (and admins) change it.
    case shared
}

/// Whether a model's index matches its settings.
public enum KnowledgeBaseStatus: String, Sendable, Codable, CaseIterable {
    /// Index built with the current settings (or no documents yet).
    case ready
    /// Embedding or chunking changed: `train` rebuilds the index.
    case needsTraining = "needs_training"
    /// A train job is building a new index generation.
    case training
}

/// How documents are cut into chunks, in the embedding model's tokens.
public struct ChunkingSettings: Sendable, Hashable, Codable {
    /// Target chunk size in tokens.
    public var sizeTokens: Int
    /// Tokens repeated from the end of one chunk at the start of the next.
    public var overlapTokens: Int

    /// Creates settings (defaults: 200 tokens, 40 overlap).
    public init(sizeTokens: Int = 200, overlapTokens: Int = 40) {
        self.sizeTokens = sizeTokens
        self.overlapTokens = overlapTokens
    }

    /// Checks the rules; `maxTokens` is the embedder's window (without its special tokens).
    public func validate(maxTokens: Int) throws {
        guard (16...maxTokens).contains(sizeTokens) else {
            throw HyperionError.invalid("chunking.size_tokens", "must be from 16 to \(maxTokens) (the embedding model's window)")
        }
        guard overlapTokens >= 0, overlapTokens <= sizeTokens / 2 else {
            throw HyperionError.invalid("chunking.overlap_tokens", "must be from 0 to half of size_tokens (\(sizeTokens / 2))")
        }
    }
}

/// How a model's questions are answered from its index.
public struct RetrievalSettings: Sendable, Hashable, Codable {
    /// Which indexes are asked.
    public var mode: RetrievalMode
    /// Chunks retrieved per question.
    public var topK: Int

    /// Creates settings (defaults: hybrid, 5).
    public init(mode: RetrievalMode = .hybrid, topK: Int = 5) {
        self.mode = mode
        self.topK = topK
    }

    /// Checks the rules.
    public func validate() throws {
        try Question.validate(topK: topK, field: "retrieval.top_k")
    }
}

/// Which LLM answers, and how.
public struct LLMSettings: Sendable, Hashable, Codable {
    /// Configured provider name; nil means the extractive answerer.
    public var provider: String?
    /// Model name at the provider.
    public var model: String?
    /// Sampling temperature (0…2).
    public var temperature: Double
    /// System prompt; nil means the built-in one.
    public var systemPrompt: String?

    /// Creates settings.
    public init(provider: String? = nil, model: String? = nil, temperature: Double = 0.2, systemPrompt: String? = nil) {
        self.provider = provider
        self.model = model
        self.temperature = temperature
        self.systemPrompt = systemPrompt
    }

    /// Checks the rules.
    public func validate() throws {
        guard (0...2).contains(temperature) else { throw HyperionError.invalid("llm.temperature", "must be from 0 to 2") }
        if let systemPrompt, systemPrompt.count > 8_000 { throw HyperionError.invalid("llm.system_prompt", "must be at most 8000 characters") }
        if let provider, !(1...100).contains(provider.count) { throw HyperionError.invalid("llm.provider", "must be 1 to 100 characters") }
        if let model, !(1...200).contains(model.count) { throw HyperionError.invalid("llm.model", "must be 1 to 200 characters") }
    }
}

/// A knowledge base with its pipeline settings (the origin documents call it a "RAG model").
public struct KnowledgeBase: Sendable, Equatable, Identifiable {
    public var id: UUID
    /// The user who created it.
    public var ownerID: UUID
    /// Display name, unique per owner.
    public var name: String
    public var description: String?
    public var visibility: Visibility
    /// Embedding model id (e.g. all-MiniLM-L6-v2).
    public var embeddingModel: String
    public var chunking: ChunkingSettings
    public var retrieval: RetrievalSettings
    public var llm: LLMSettings
    public var status: KnowledgeBaseStatus
    /// The index generation searches read.
    public var generation: Int
    public var createdAt: Date
    public var updatedAt: Date
    /// When the last train job finished.
    public var lastTrainedAt: Date?

    /// Creates a model value.
    public init(id: UUID = UUID(), ownerID: UUID, name: String, description: String? = nil, visibility: Visibility = .private,
                embeddingModel: String, chunking: ChunkingSettings = .init(), retrieval: RetrievalSettings = .init(),
                llm: LLMSettings = .init(), status: KnowledgeBaseStatus = .ready, generation: Int = 1,
                createdAt: Date = Date(), updatedAt: Date = Date(), lastTrainedAt: Date? = nil) {
        self.id = id
        self.ownerID = ownerID
        self.name = name
        self.description = description
        self.visibility = visibility
        self.embeddingModel = embeddingModel
        self.chunking = chunking
        self.retrieval = retrieval
        self.llm = llm
        self.status = status
        self.generation = generation
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.lastTrainedAt = lastTrainedAt
    }

    /// Whether `user` may see the model (and everything under it).
    public func isVisible(to userID: UUID, role: Role) -> Bool {
        role == .admin || ownerID == userID || visibility == .shared
    }

    /// Whether `user` may change it, upload to it or delete it.
    public func isWritable(by userID: UUID, role: Role) -> Bool {
        role == .admin || ownerID == userID
    }

    /// Checks name and description.
    public static func validate(name: String, description: String?) throws {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(trimmed.count), trimmed == name else {
            throw HyperionError.invalid("name", "must be 1 to 100 characters without leading or trailing spaces")
        }
        if let description, description.count > 2_000 { throw HyperionError.invalid("description", "must be at most 2000 characters") }
    }
}
