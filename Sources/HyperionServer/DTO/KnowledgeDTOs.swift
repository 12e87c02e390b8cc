import Foundation
import Hummingbird
import HyperionCore

struct ChunkingDTO: Codable, Sendable {
    var size_tokens: Int?
    var overlap_tokens: Int?
}

struct RetrievalDTO: Codable, Sendable {
    var mode: String?
    var top_k: Int?
}

struct LLMDTO: Codable, Sendable {
    var provider: String?
    var model: String?
    var temperature: Double?
    var system_prompt: String?
    /// Fields sent as an explicit `null`: a PATCH clears them (back to the default), unlike absent ones.
    var cleared: Set<String> = []

    enum CodingKeys: String, CodingKey { case provider, model, temperature, system_prompt }

    init(provider: String?, model: String?, temperature: Double?, system_prompt: String?) {
        self.provider = provider
        self.model = model
        self.temperature = temperature
        self.system_prompt = system_prompt
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        provider = try c.decodeIfPresent(String.self, forKey: .provider)
        model = try c.decodeIfPresent(String.self, forKey: .model)
        temperature = try c.decodeIfPresent(Double.self, forKey: .temperature)
        system_prompt = try c.decodeIfPresent(String.self, forKey: .system_prompt)
        for key in [CodingKeys.provider, .model, .system_prompt] where c.contains(key) {
            if try c.decodeNil(forKey: key) { cleared.insert(key.rawValue) }
        }
    }
}

struct CreateModelRequest: Decodable, Sendable {
    var name: String
    var description: String?
    var visibility: String?
    var embedding: String?
    var chunking: ChunkingDTO?
    var retrieval: RetrievalDTO?
    var llm: LLMDTO?
}

struct UpdateModelRequest: Decodable, Sendable {
    var name: String?
    var description: String?
    var visibility: String?
    var embedding: String?
    var chunking: ChunkingDTO?
    var retrieval: RetrievalDTO?
    var llm: LLMDTO?
}

enum SettingsInput {
    static func visibility(_ raw: String?) throws -> Visibility? {
        guard let raw else { return nil }
        guard let value = Visibility(rawValue: raw) else { throw HyperionError.invalid("visibility", "must be private or shared") }
        return value
    }

    static func mode(_ raw: String?, field: String) throws -> RetrievalMode? {
        guard let raw else { return nil }
        guard let value = RetrievalMode(rawValue: raw) else { throw HyperionError.invalid(field, "must be vector, keyword or hybrid") }
        return value
    }

    /// Applies the optional parts of a request onto a model's settings.
    static func apply(chunking: ChunkingDTO?, retrieval: RetrievalDTO?, llm: LLMDTO?, to model: inout KnowledgeBase) throws {
        if let chunking {
            if let size = chunking.size_tokens { model.chunking.sizeTokens = size }
            if let overlap = chunking.overlap_tokens { model.chunking.overlapTokens = overlap }
        }
        if let retrieval {
            if let mode = try mode(retrieval.mode, field: "retrieval.mode") { model.retrieval.mode = mode }
            if let topK = retrieval.top_k { model.retrieval.topK = topK }
        }
        if let llm {
            if llm.provider != nil || llm.cleared.contains("provider") { model.llm.provider = llm.provider }
            if llm.model != nil || llm.cleared.contains("model") { model.llm.model = llm.model }
            if let temperature = llm.temperature { model.llm.temperature = temperature }
            if llm.system_prompt != nil || llm.cleared.contains("system_prompt") { model.llm.systemPrompt = llm.system_prompt }
        }
    }
}

struct ModelResponse: ResponseEncodable {
    let id: String
    let owner_id: String
    let name: String
    let description: String?
    let visibility: String
    let embedding: String
    let chunking: ChunkingDTO
    let retrieval: RetrievalDTO
    let llm: LLMDTO
    let status: String
    let generation: Int
    let document_count: Int?
    let chunk_count: Int?
    let created_at: String
    let updated_at: String
    let last_trained_at: String?

    init(_ m: KnowledgeBase, documentCount: Int? = nil, chunkCount: Int? = nil) {
        id = m.id.lowercasedString; owner_id = m.ownerID.lowercasedString; name = m.name; description = m.description
        visibility = m.visibility.rawValue; embedding = m.embeddingModel
        chunking = ChunkingDTO(size_tokens: m.chunking.sizeTokens, overlap_tokens: m.chunking.overlapTokens)
        retrieval = RetrievalDTO(mode: m.retrieval.mode.rawValue, top_k: m.retrieval.topK)
        llm = LLMDTO(provider: m.llm.provider, model: m.llm.model, temperature: m.llm.temperature, system_prompt: m.llm.systemPrompt)
        status = m.status.rawValue; generation = m.generation; document_count = documentCount; chunk_count = chunkCount
        created_at = iso8601(m.createdAt); updated_at = iso8601(m.updatedAt); last_trained_at = m.lastTrainedAt.map(iso8601)
    }

    // Explicit so that null settings inside chunking/retrieval/llm are written as null, not omitted.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id); try c.encode(owner_id, forKey: .owner_id); try c.encode(name, forKey: .name)
        try c.encode(description, forKey: .description); try c.encode(visibility, forKey: .visibility)
        try c.encode(embedding, forKey: .embedding); try c.encode(chunking, forKey: .chunking); try c.encode(retrieval, forKey: .retrieval)
        try c.encode(LLMOut(llm), forKey: .llm); try c.encode(status, forKey: .status); try c.encode(generation, forKey: .generation)
        try c.encode(document_count, forKey: .document_count); try c.encode(chunk_count, forKey: .chunk_count)
        try c.encode(created_at, forKey: .created_at); try c.encode(updated_at, forKey: .updated_at)
        try c.encode(last_trained_at, forKey: .last_trained_at)
    }

    enum CodingKeys: String, CodingKey {
        case id, owner_id, name, description, visibility, embedding, chunking, retrieval, llm, status, generation
        case document_count, chunk_count, created_at, updated_at, last_trained_at
    }

    struct LLMOut: Encodable {
        let llm: LLMDTO
        init(_ llm: LLMDTO) { self.llm = llm }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: LLMKeys.self)
            try c.encode(llm.provider, forKey: .provider); try c.encode(llm.model, forKey: .model)
            try c.encode(llm.temperature, forKey: .temperature); try c.encode(llm.system_prompt, forKey: .system_prompt)
        }
        enum LLMKeys: String, CodingKey { case provider, model, temperature, system_prompt }
    }
}

struct DocumentResponse: ResponseEncodable {
    let id: String
    let model_id: String
    let title: String
    let filename: String
    let format: String
    let size_bytes: Int
    let sha256: String
    let status: String
    let error: String?
    let tags: [String]
    let metadata: JSONValue?
    let page_count: Int?
    let chunk_count: Int
    let created_at: String
    let updated_at: String

    init(_ d: DocumentRecord) {
        id = d.id.lowercasedString; model_id = d.modelID.lowercasedString; title = d.title; filename = d.filename
        format = d.format.rawValue; size_bytes = d.sizeBytes; sha256 = d.sha256; status = d.status.rawValue; error = d.error
        tags = d.tags; metadata = d.metadataJSON.flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
        page_count = d.pageCount; chunk_count = d.chunkCount; created_at = iso8601(d.createdAt); updated_at = iso8601(d.updatedAt)
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id); try c.encode(model_id, forKey: .model_id); try c.encode(title, forKey: .title)
        try c.encode(filename, forKey: .filename); try c.encode(format, forKey: .format); try c.encode(size_bytes, forKey: .size_bytes)
        try c.encode(sha256, forKey: .sha256); try c.encode(status, forKey: .status); try c.encode(error, forKey: .error)
        try c.encode(tags, forKey: .tags); try c.encode(metadata, forKey: .metadata); try c.encode(page_count, forKey: .page_count)
        try c.encode(chunk_count, forKey: .chunk_count); try c.encode(created_at, forKey: .created_at); try c.encode(updated_at, forKey: .updated_at)
    }

    enum CodingKeys: String, CodingKey {
        case id, model_id, title, filename, format, size_bytes, sha256, status, error, tags, metadata, page_count, chunk_count, created_at, updated_at
    }
}

struct ChunkResponse: ResponseEncodable {
    let id: String
    let document_id: String
    let ordinal: Int
    let text: String
    let page: Int?
    let heading_path: [String]
    let start_offset: Int
    let end_offset: Int
    let token_count: Int

    init(_ c: ChunkRecord) {
        id = c.id.lowercasedString; document_id = c.documentID.lowercasedString; ordinal = c.ordinal; text = c.text
        page = c.page; heading_path = c.headingPath; start_offset = c.startOffset; end_offset = c.endOffset; token_count = c.tokenCount
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id); try c.encode(document_id, forKey: .document_id); try c.encode(ordinal, forKey: .ordinal)
        try c.encode(text, forKey: .text); try c.encode(page, forKey: .page); try c.encode(heading_path, forKey: .heading_path)
        try c.encode(start_offset, forKey: .start_offset); try c.encode(end_offset, forKey: .end_offset); try c.encode(token_count, forKey: .token_count)
    }

    enum CodingKeys: String, CodingKey { case id, document_id, ordinal, text, page, heading_path, start_offset, end_offset, token_count }
}

struct JobResponse: ResponseEncodable {
    struct Progress: Encodable { let done: Int; let total: Int }
    let id: String
    let kind: String
    let model_id: String
    let status: String
    let progress: Progress
    let error: String?
    let attempts: Int
    let document_ids: [String]
    let created_at: String
    let started_at: String?
    let finished_at: String?

    init(_ j: JobRecord) {
        id = j.id.lowercasedString; kind = j.kind.rawValue; model_id = j.modelID.lowercasedString; status = j.status.rawValue
        progress = Progress(done: j.progressDone, total: j.progressTotal); error = j.error; attempts = j.attempts
        document_ids = j.documentIDs.map { $0.lowercasedString }; created_at = iso8601(j.createdAt)
        started_at = j.startedAt.map(iso8601); finished_at = j.finishedAt.map(iso8601)
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id); try c.encode(kind, forKey: .kind); try c.encode(model_id, forKey: .model_id)
        try c.encode(status, forKey: .status); try c.encode(progress, forKey: .progress); try c.encode(error, forKey: .error)
        try c.encode(attempts, forKey: .attempts); try c.encode(document_ids, forKey: .document_ids); try c.encode(created_at, forKey: .created_at)
        try c.encode(started_at, forKey: .started_at); try c.encode(finished_at, forKey: .finished_at)
    }

    enum CodingKeys: String, CodingKey { case id, kind, model_id, status, progress, error, attempts, document_ids, created_at, started_at, finished_at }
}

struct UploadResponse: ResponseEncodable {
    struct FileError: Encodable { let status: Int; let code: String; let detail: String }
    struct File: Encodable {
        let filename: String
        let status: String
        let document_id: String?
        let error: FileError?
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(filename, forKey: .filename); try c.encode(status, forKey: .status)
            try c.encode(document_id, forKey: .document_id); try c.encode(error, forKey: .error)
        }
        enum CodingKeys: String, CodingKey { case filename, status, document_id, error }
    }
    let job_id: String?
    let documents: [File]

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(job_id, forKey: .job_id); try c.encode(documents, forKey: .documents)
    }
    enum CodingKeys: String, CodingKey { case job_id, documents }
}

struct SearchRequest: Decodable, Sendable {
    struct Filters: Decodable, Sendable {
        var tags: [String]?
        var document_ids: [String]?
        /// Documents whose upload metadata has each of these keys with exactly this value.
        var metadata: [String: JSONValue]?
    }
    var query: String
    var top_k: Int?
    var mode: String?
    var filters: Filters?
}

struct SearchResponse: ResponseEncodable {
    struct Rank: Encodable { let rank: Int; let score: Float }
    struct Hit: Encodable {
        let chunk_id: String
        let document_id: String
        let document_title: String
        let text: String
        let page: Int?
        let heading_path: [String]
        let score: Double
        let vector: Rank?
        let keyword: Rank?

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(chunk_id, forKey: .chunk_id); try c.encode(document_id, forKey: .document_id)
            try c.encode(document_title, forKey: .document_title); try c.encode(text, forKey: .text); try c.encode(page, forKey: .page)
            try c.encode(heading_path, forKey: .heading_path); try c.encode(score, forKey: .score)
            try c.encode(vector, forKey: .vector); try c.encode(keyword, forKey: .keyword)
        }
        enum CodingKeys: String, CodingKey { case chunk_id, document_id, document_title, text, page, heading_path, score, vector, keyword }
    }
    let query: String
    let mode: String
    let results: [Hit]
}
