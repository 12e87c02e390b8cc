import Foundation

/// Where a stored query stands.
public enum QueryStatus: String, Sendable, Codable, CaseIterable {
    /// Retrieving or generating.
    case running
    case completed
    /// The provider failed; `error` says how.
    case failed
    /// The client went away before the answer was complete.
    case cancelled
}

/// A source as stored with a query and returned by the API: enough to show and to open it.
public struct SourceReference: Sendable, Hashable, Codable {
    public var n: Int
    public var chunkID: String
    public var documentID: String
    public var title: String
    public var page: Int?
    public var score: Double
    /// The passage (sources) or its start (citations).
    public var snippet: String

    /// Creates a reference.
    public init(n: Int, chunkID: String, documentID: String, title: String, page: Int?, score: Double, snippet: String) {
        self.n = n
        self.chunkID = chunkID
        self.documentID = documentID
        self.title = title
        self.page = page
        self.score = score
        self.snippet = snippet
    }

    /// A retrieved source, with its whole passage as the snippet.
    public init(_ source: SourcePassage) {
        self.init(n: source.n, chunkID: source.chunkID, documentID: source.documentID, title: source.title, page: source.page,
                  score: source.score, snippet: source.text)
    }

    /// A citation, with its short snippet.
    public init(_ citation: Citation) {
        self.init(n: citation.n, chunkID: citation.source.chunkID, documentID: citation.source.documentID, title: citation.source.title,
                  page: citation.source.page, score: citation.source.score, snippet: citation.snippet)
    }

    enum CodingKeys: String, CodingKey {
        case n, title, page, score, snippet
        case chunkID = "chunk_id"
        case documentID = "document_id"
    }
}

/// One question asked of a RAG model, with its answer and how it was made. Stored for every query,
/// failed ones included, so nothing a user asked is lost.
public struct QueryRecord: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var userID: UUID
    public var modelID: UUID
    public var sessionID: UUID?
    /// The question as asked.
    public var query: String
    /// The question used for retrieval (a follow-up rewritten to stand alone), when it differs.
    public var retrievalQuery: String?
    public var answer: String
    public var status: QueryStatus
    /// Why it failed (the error envelope's detail).
    public var error: String?
    /// Configured provider name; nil for the extractive answerer.
    public var provider: String?
    /// Model at the provider.
    public var llmModel: String?
    public var mode: RetrievalMode
    public var topK: Int
    public var sources: [SourceReference]
    public var citations: [SourceReference]
    public var usage: TokenUsage?
    public var retrievalMilliseconds: Double
    public var generationMilliseconds: Double
    public var createdAt: Date
    public var finishedAt: Date?

    /// Whether the answer was extracted (no LLM).
    public var isExtractive: Bool { provider == nil }

    /// Creates a record.
    public init(id: UUID = UUID(), userID: UUID, modelID: UUID, sessionID: UUID? = nil, query: String, retrievalQuery: String? = nil,
                answer: String = "", status: QueryStatus = .running, error: String? = nil, provider: String? = nil, llmModel: String? = nil,
                mode: RetrievalMode, topK: Int, sources: [SourceReference] = [], citations: [SourceReference] = [], usage: TokenUsage? = nil,
                retrievalMilliseconds: Double = 0, generationMilliseconds: Double = 0, createdAt: Date = Date(), finishedAt: Date? = nil) {
        self.id = id
        self.userID = userID
        self.modelID = modelID
        self.sessionID = sessionID
        self.query = query
        self.retrievalQuery = retrievalQuery
        self.answer = answer
        self.status = status
        self.error = error
        self.provider = provider
        self.llmModel = llmModel
        self.mode = mode
        self.topK = topK
        self.sources = sources
        self.citations = citations
        self.usage = usage
        self.retrievalMilliseconds = retrievalMilliseconds
        self.generationMilliseconds = generationMilliseconds
        self.createdAt = createdAt
        self.finishedAt = finishedAt
    }
}

/// A conversation with a RAG model: its messages give follow-up questions their context.
public struct ChatSession: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var userID: UUID
    /// The RAG model the session talks to.
    public var modelID: UUID
    public var title: String
    public var createdAt: Date
    public var updatedAt: Date

    /// Creates a session.
    public init(id: UUID = UUID(), userID: UUID, modelID: UUID, title: String, createdAt: Date = Date(), updatedAt: Date = Date()) {
        self.id = id
        self.userID = userID
        self.modelID = modelID
        self.title = title
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// One message of a session.
public struct SessionMessage: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var sessionID: UUID
    public var role: ChatRole
    public var content: String
    /// The query that produced (or asked) it.
    public var queryID: UUID?
    public var createdAt: Date

    /// Creates a message.
    public init(id: UUID = UUID(), sessionID: UUID, role: ChatRole, content: String, queryID: UUID? = nil, createdAt: Date = Date()) {
        self.id = id
        self.sessionID = sessionID
        self.role = role
        self.content = content
        self.queryID = queryID
        self.createdAt = createdAt
    }
}
