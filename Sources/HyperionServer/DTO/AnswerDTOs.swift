import Foundation
import Hummingbird
import HyperionCore

struct QueryRequest: Decodable, Sendable {
    var model_id: String
    var query: String
    var top_k: Int?
    var mode: String?
    var filters: SearchRequest.Filters?
    var session_id: String?
    var stream: Bool?
}

/// A source or citation as the API shows it.
struct SourceDTO: Encodable, Sendable {
    let n: Int
    let document_id: String
    let title: String
    let page: Int?
    let chunk_id: String
    let score: Double
    let snippet: String

    init(_ s: SourceReference) {
        n = s.n; document_id = s.documentID; title = s.title; page = s.page; chunk_id = s.chunkID; score = s.score; snippet = s.snippet
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(n, forKey: .n); try c.encode(document_id, forKey: .document_id); try c.encode(title, forKey: .title)
        try c.encode(page, forKey: .page); try c.encode(chunk_id, forKey: .chunk_id); try c.encode(score, forKey: .score)
        try c.encode(snippet, forKey: .snippet)
    }
    enum CodingKeys: String, CodingKey { case n, document_id, title, page, chunk_id, score, snippet }
}

struct UsageDTO: Encodable, Sendable {
    let prompt_tokens: Int
    let completion_tokens: Int
    let total_tokens: Int
    init(_ u: TokenUsage) { prompt_tokens = u.promptTokens; completion_tokens = u.completionTokens; total_tokens = u.totalTokens }
}

struct TimingsDTO: Encodable, Sendable {
    let retrieval_ms: Double
    let generation_ms: Double
}

/// A stored query with its answer.
struct QueryResponse: ResponseEncodable, Sendable {
    let id: String
    let model_id: String
    let session_id: String?
    let query: String
    let retrieval_query: String?
    let answer: String
    let status: String
    let error: String?
    let extractive: Bool
    let provider: String?
    let llm_model: String?
    let mode: String
    let top_k: Int
    let citations: [SourceDTO]
    let sources: [SourceDTO]
    let usage: UsageDTO?
    let timings: TimingsDTO
    let created_at: String
    let finished_at: String?

    init(_ q: QueryRecord) {
        id = q.id.lowercasedString; model_id = q.modelID.lowercasedString; session_id = q.sessionID?.lowercasedString
        query = q.query; retrieval_query = q.retrievalQuery; answer = q.answer; status = q.status.rawValue; error = q.error
        extractive = q.isExtractive; provider = q.provider; llm_model = q.llmModel; mode = q.mode.rawValue; top_k = q.topK
        citations = q.citations.map(SourceDTO.init); sources = q.sources.map(SourceDTO.init); usage = q.usage.map(UsageDTO.init)
        timings = TimingsDTO(retrieval_ms: (q.retrievalMilliseconds * 1000).rounded() / 1000, generation_ms: (q.generationMilliseconds * 1000).rounded() / 1000)
        created_at = iso8601(q.createdAt); finished_at = q.finishedAt.map(iso8601)
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id); try c.encode(model_id, forKey: .model_id); try c.encode(session_id, forKey: .session_id)
        try c.encode(query, forKey: .query); try c.encode(retrieval_query, forKey: .retrieval_query); try c.encode(answer, forKey: .answer)
        try c.encode(status, forKey: .status); try c.encode(error, forKey: .error); try c.encode(extractive, forKey: .extractive)
        try c.encode(provider, forKey: .provider); try c.encode(llm_model, forKey: .llm_model); try c.encode(mode, forKey: .mode)
        try c.encode(top_k, forKey: .top_k); try c.encode(citations, forKey: .citations); try c.encode(sources, forKey: .sources)
        try c.encode(usage, forKey: .usage); try c.encode(timings, forKey: .timings); try c.encode(created_at, forKey: .created_at)
        try c.encode(finished_at, forKey: .finished_at)
    }
    enum CodingKeys: String, CodingKey {
        case id, model_id, session_id, query, retrieval_query, answer, status, error, extractive, provider, llm_model, mode, top_k
        case citations, sources, usage, timings, created_at, finished_at
    }
}

/// A short form for history lists.
struct QuerySummary: Encodable, Sendable {
    let id: String
    let model_id: String
    let session_id: String?
    let query: String
    let answer: String
    let status: String
    let extractive: Bool
    let citation_count: Int
    let created_at: String

    init(_ q: QueryRecord) {
        id = q.id.lowercasedString; model_id = q.modelID.lowercasedString; session_id = q.sessionID?.lowercasedString
        query = q.query; answer = q.answer; status = q.status.rawValue; extractive = q.isExtractive; citation_count = q.citations.count
        created_at = iso8601(q.createdAt)
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id); try c.encode(model_id, forKey: .model_id); try c.encode(session_id, forKey: .session_id)
        try c.encode(query, forKey: .query); try c.encode(answer, forKey: .answer); try c.encode(status, forKey: .status)
        try c.encode(extractive, forKey: .extractive); try c.encode(citation_count, forKey: .citation_count); try c.encode(created_at, forKey: .created_at)
    }
    enum CodingKeys: String, CodingKey { case id, model_id, session_id, query, answer, status, extractive, citation_count, created_at }
}

struct CreateSessionRequest: Decodable, Sendable {
    var model_id: String
    var title: String?
}

struct UpdateSessionRequest: Decodable, Sendable {
    var title: String
}

struct SessionResponse: ResponseEncodable, Sendable {
    let id: String
    let model_id: String
    let title: String
    let created_at: String
    let updated_at: String

    init(_ s: ChatSession) {
        id = s.id.lowercasedString; model_id = s.modelID.lowercasedString; title = s.title
        created_at = iso8601(s.createdAt); updated_at = iso8601(s.updatedAt)
    }
}

struct MessageResponse: Encodable, Sendable {
    let id: String
    let role: String
    let content: String
    let query_id: String?
    let created_at: String

    init(_ m: SessionMessage) {
        id = m.id.lowercasedString; role = m.role.rawValue; content = m.content; query_id = m.queryID?.lowercasedString
        created_at = iso8601(m.createdAt)
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id); try c.encode(role, forKey: .role); try c.encode(content, forKey: .content)
        try c.encode(query_id, forKey: .query_id); try c.encode(created_at, forKey: .created_at)
    }
    enum CodingKeys: String, CodingKey { case id, role, content, query_id, created_at }
}

struct GenerateRequest: Decodable, Sendable {
    struct Message: Decodable, Sendable { var role: String; var content: String }
    var provider: String?
    var model: String?
    var prompt: String?
    var system: String?
    var messages: [Message]?
    var temperature: Double?
    var top_p: Double?
    var max_tokens: Int?
    var stream: Bool?
}

struct GenerateResponse: ResponseEncodable, Sendable {
    let provider: String
    let model: String?
    let text: String
    let finish_reason: String?
    let usage: UsageDTO?
    let generation_ms: Double

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(provider, forKey: .provider); try c.encode(model, forKey: .model); try c.encode(text, forKey: .text)
        try c.encode(finish_reason, forKey: .finish_reason); try c.encode(usage, forKey: .usage); try c.encode(generation_ms, forKey: .generation_ms)
    }
    enum CodingKeys: String, CodingKey { case provider, model, text, finish_reason, usage, generation_ms }
}

struct ProviderStatusResponse: ResponseEncodable, Sendable {
    struct Provider: Encodable, Sendable {
        let name: String
        let kind: String
        let default_model: String?
        let reachable: Bool
        let models: [String]
        let error: String?

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name); try c.encode(kind, forKey: .kind); try c.encode(default_model, forKey: .default_model)
            try c.encode(reachable, forKey: .reachable); try c.encode(models, forKey: .models); try c.encode(error, forKey: .error)
        }
        enum CodingKeys: String, CodingKey { case name, kind, default_model, reachable, models, error }
    }
    let default_provider: String
    let items: [Provider]
}

extension SearchRequest.Filters {
    /// The index filter these ask for (metadata equality is resolved by the service).
    func searchFilter() throws -> SearchFilter {
        var filter = SearchFilter()
        if let tags { filter.anyTags = Set(tags) }
        if let document_ids {
            filter.documentIDs = Set(try document_ids.map { raw in
                guard let id = UUID(uuidString: raw) else { throw HyperionError.invalid("filters.document_ids", "must be UUIDs") }
                return id.uuidString
            })
        }
        return filter
    }
}

/// `202` of `POST /api/v1/query/{id}/stop`.
struct StopResponse: ResponseEncodable, Sendable {
    let id: String
    let status: String
}
