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
    /// This question only: another LLM provider than the knowledge base's (`extractive` for none) and its model.
    var provider: String?
    var llm_model: String?
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

// MARK: LLM connections

struct CreateProviderRequest: Decodable, Sendable {
    var name: String
    var kind: String
    var base_url: String?
    /// Write-only; stored encrypted.
    var api_key: String?
    var model: String?
    var connect_timeout_ms: Int?
    var first_token_timeout_ms: Int?
    var total_timeout_ms: Int?
}

/// Absent fields stay; `api_key` or `model` sent as null are removed.
struct UpdateProviderRequest: Decodable, Sendable {
    var base_url: String?
    var api_key: String??
    var model: String??
    var connect_timeout_ms: Int?
    var first_token_timeout_ms: Int?
    var total_timeout_ms: Int?

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        base_url = try c.decodeIfPresent(String.self, forKey: .base_url)
        api_key = c.contains(.api_key) ? .some(try c.decodeIfPresent(String.self, forKey: .api_key)) : nil
        model = c.contains(.model) ? .some(try c.decodeIfPresent(String.self, forKey: .model)) : nil
        connect_timeout_ms = try c.decodeIfPresent(Int.self, forKey: .connect_timeout_ms)
        first_token_timeout_ms = try c.decodeIfPresent(Int.self, forKey: .first_token_timeout_ms)
        total_timeout_ms = try c.decodeIfPresent(Int.self, forKey: .total_timeout_ms)
    }
    enum CodingKeys: String, CodingKey { case base_url, api_key, model, connect_timeout_ms, first_token_timeout_ms, total_timeout_ms }

    /// What the request changes, for the audit log: field names, and for the key only set or removed.
    var changedFields: [String] {
        var fields: [String] = []
        if let base_url { fields.append("base_url=\(base_url.prefix(200))") }
        if let api_key { fields.append(api_key == nil ? "key removed" : "key replaced") }
        if let model { fields.append("model=\(model ?? "none")") }
        if connect_timeout_ms != nil || first_token_timeout_ms != nil || total_timeout_ms != nil { fields.append("timeouts") }
        return fields.isEmpty ? ["nothing"] : fields
    }
}

/// A provider as administrators see it: never its key, only whether it has one.
struct ProviderResponse: ResponseEncodable, Sendable {
    let name: String
    let kind: String
    let source: String
    let base_url: String?
    let model: String?
    let has_api_key: Bool
    let is_default: Bool
    let editable: Bool
    let connect_timeout_ms: Int?
    let first_token_timeout_ms: Int?
    let total_timeout_ms: Int?
    /// Why a stored provider cannot be used (its key does not decrypt), when it cannot.
    let error: String?

    init(_ entry: ProviderRegistry.Entry, isDefault: Bool) {
        name = entry.name; kind = entry.kind; source = entry.source.rawValue; is_default = isDefault; editable = entry.source == .api
        base_url = entry.settings?.baseURL.absoluteString; model = entry.settings?.defaultModel ?? entry.model.defaultModel
        has_api_key = entry.record?.apiKeyCiphertext != nil || entry.settings?.apiKey != nil
        connect_timeout_ms = entry.settings.map { Int($0.connectTimeout.milliseconds) }
        first_token_timeout_ms = entry.settings.map { Int($0.firstTokenTimeout.milliseconds) }
        total_timeout_ms = entry.settings.map { Int($0.totalTimeout.milliseconds) }
        error = nil
    }

    init(brokenName: String, reason: String) {
        name = brokenName; kind = "unknown"; source = ProviderRegistry.Source.api.rawValue; base_url = nil; model = nil; has_api_key = true
        is_default = false; editable = true; connect_timeout_ms = nil; first_token_timeout_ms = nil; total_timeout_ms = nil; error = reason
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name); try c.encode(kind, forKey: .kind); try c.encode(source, forKey: .source)
        try c.encode(base_url, forKey: .base_url); try c.encode(model, forKey: .model); try c.encode(has_api_key, forKey: .has_api_key)
        try c.encode(is_default, forKey: .is_default); try c.encode(editable, forKey: .editable)
        try c.encode(connect_timeout_ms, forKey: .connect_timeout_ms); try c.encode(first_token_timeout_ms, forKey: .first_token_timeout_ms)
        try c.encode(total_timeout_ms, forKey: .total_timeout_ms); try c.encode(error, forKey: .error)
    }
    enum CodingKeys: String, CodingKey {
        case name, kind, source, base_url, model, has_api_key, is_default, editable, connect_timeout_ms, first_token_timeout_ms, total_timeout_ms, error
    }
}

struct ProviderListResponse: ResponseEncodable, Sendable {
    let items: [ProviderResponse]
    let default_provider: String
    /// Whether keys can be stored (a master key is configured).
    let secrets_configured: Bool
}

struct DefaultProviderRequest: Decodable, Sendable {
    /// A provider's name, `extractive`, or null for the configuration's default.
    var provider: String?
}

struct DefaultProviderResponse: ResponseEncodable, Sendable {
    let provider: String
}

/// Whether a provider answers, with the models it serves.
struct ProviderTestResponse: ResponseEncodable, Sendable {
    let name: String
    let reachable: Bool
    let models: [String]
    let error: String?
    let milliseconds: Int

    /// At most `timeout`: a test is a quick look (a provider that takes longer to list its models is reported as not answering).
    init(testing model: any ChatModel, name: String, timeout: Duration = .seconds(5)) async {
        self.name = name
        let started = ContinuousClock.now
        let result = await model.models(within: timeout)
        milliseconds = Int((ContinuousClock.now - started).milliseconds)
        switch result {
        case .success(let list): reachable = true; models = list.sorted(); error = nil
        case .failure(let failure): reachable = false; models = []; error = failure.readableMessage
        }
    }
}

struct PullModelRequest: Decodable, Sendable {
    var model: String
}

struct PullProgressEvent: Encodable, Sendable {
    let status: String
    let digest: String?
    let total: Int64?
    let completed: Int64?
}

struct PullDoneEvent: Encodable, Sendable {
    let provider: String
    let model: String
}
