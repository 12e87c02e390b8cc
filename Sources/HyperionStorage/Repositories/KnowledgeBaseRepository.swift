import Foundation
import HyperionCore
import SQLKit

/// RAG models (knowledge bases with their settings).
public struct KnowledgeBaseRepository: Sendable {
    let store: Store

    struct Row: Codable {
        var id: UUID
        var owner_id: UUID
        var name: String
        var description: String?
        var visibility: String
        var embedding_model: String
        var chunk_size: Int
        var chunk_overlap: Int
        var retrieval_mode: String
        var top_k: Int
        var llm_provider: String?
        var llm_model: String?
        var llm_temperature: Double
        var system_prompt: String?
        var status: String
        var generation: Int
        var created_at: Date
        var updated_at: Date
        var last_trained_at: Date?

        init(_ m: KnowledgeBase) {
            id = m.id; owner_id = m.ownerID; name = m.name; description = m.description; visibility = m.visibility.rawValue
            embedding_model = m.embeddingModel; chunk_size = m.chunking.sizeTokens; chunk_overlap = m.chunking.overlapTokens
            retrieval_mode = m.retrieval.mode.rawValue; top_k = m.retrieval.topK; llm_provider = m.llm.provider
            llm_model = m.llm.model; llm_temperature = m.llm.temperature; system_prompt = m.llm.systemPrompt
            status = m.status.rawValue; generation = m.generation; created_at = m.createdAt; updated_at = m.updatedAt
            last_trained_at = m.lastTrainedAt
        }

        var model: KnowledgeBase {
            KnowledgeBase(
                id: id, ownerID: owner_id, name: name, description: description, visibility: Visibility(rawValue: visibility) ?? .private,
                embeddingModel: embedding_model, chunking: ChunkingSettings(sizeTokens: chunk_size, overlapTokens: chunk_overlap),
                retrieval: RetrievalSettings(mode: RetrievalMode(rawValue: retrieval_mode) ?? .hybrid, topK: top_k),
                llm: LLMSettings(provider: llm_provider, model: llm_model, temperature: llm_temperature, systemPrompt: system_prompt),
                status: KnowledgeBaseStatus(rawValue: status) ?? .ready, generation: generation, createdAt: created_at,
                updatedAt: updated_at, lastTrainedAt: last_trained_at
            )
        }
    }

    private func duplicate() -> HyperionError {
        HyperionError(.conflict, code: "model_exists", message: "you already have a RAG model with this name", field: "name")
    }

    /// Stores a new model; a duplicate name for the same owner is a conflict.
    /// What a user owns: RAG models, their documents and those documents' bytes (for quotas).
    public func usage(ownerID: UUID) async throws -> (models: Int, documents: Int, bytes: Int) {
        let models = try await store.count("rag_models") { $0.where("owner_id", .equal, ownerID) }
        let row = try await store.database.raw("""
            SELECT COUNT(*) AS n, CAST(COALESCE(SUM(d.size_bytes), 0) AS BIGINT) AS bytes FROM documents d
            JOIN rag_models m ON m.id = d.model_id WHERE m.owner_id = \(bind: ownerID)
            """).first()
        let documents = try row?.decode(column: "n", as: Int.self) ?? 0
        let bytes = try row?.decode(column: "bytes", as: Int.self) ?? 0
        return (models, documents, bytes)
    }

    public func create(_ model: KnowledgeBase) async throws -> KnowledgeBase {
        do {
            try await store.database.insert(into: "rag_models").model(Row(model)).run()
        } catch where store.dialect.isUniqueViolation(error) {
            throw duplicate()
        }
        return model
    }

    /// The model with this id, if any (no visibility check: the caller decides).
    public func find(id: UUID) async throws -> KnowledgeBase? {
        try await store.database.select().columns("*").from("rag_models").where("id", .equal, id).first(decoding: Row.self)?.model
    }

    /// Only the models `userID` may see: their own and shared ones; admins see all.
    private func visible(_ q: SQLSelectBuilder, userID: UUID, role: Role) -> SQLSelectBuilder {
        role == .admin ? q : q.where { $0.where("owner_id", .equal, userID).orWhere("visibility", .equal, Visibility.shared.rawValue) }
    }

    /// Models the caller may see, newest first: their own and shared ones; admins see all.
    public func list(visibleTo userID: UUID, role: Role, page: PageRequest) async throws -> Page<KnowledgeBase> {
        let rows = try await visible(store.database.select().columns("*").from("rag_models"), userID: userID, role: role)
            .orderBy("created_at", .descending).orderBy("id").limit(page.limit).offset(page.skip).all(decoding: Row.self)
        let total = try await store.count("rag_models") { visible($0, userID: userID, role: role) }
        return Page(items: rows.map(\.model), total: total, request: page)
    }

    /// Names of the models that answer through `provider`, alphabetically (at most `limit`), and how many there are.
    public func names(usingProvider provider: String, limit: Int = 10) async throws -> (names: [String], total: Int) {
        struct Name: Decodable { var name: String }
        let names = try await store.database.select().column("name").from("rag_models").where("llm_provider", .equal, provider)
            .orderBy("name").limit(limit).all(decoding: Name.self).map(\.name)
        let total = try await store.count("rag_models") { $0.where("llm_provider", .equal, provider) }
        return (names, total)
    }

    /// Every model the caller may see, newest first (for lists that are not paged, like `/v1/models`).
    public func all(visibleTo userID: UUID, role: Role) async throws -> [KnowledgeBase] {
        try await visible(store.database.select().columns("*").from("rag_models"), userID: userID, role: role)
            .orderBy("created_at", .descending).orderBy("id").all(decoding: Row.self).map(\.model)
    }

    /// Writes every field of `model` (by id).
    public func update(_ model: KnowledgeBase) async throws {
        do {
            // .asNil: a cleared optional must become NULL, not be left out of the UPDATE.
            try await store.database.update("rag_models").set(model: Row(model), nilEncodingStrategy: .asNil).where("id", .equal, model.id).run()
        } catch where store.dialect.isUniqueViolation(error) {
            throw duplicate()
        }
    }

    /// Sends every model that answers through `provider` back to the default provider (its model name goes too).
    public func clearProvider(_ provider: String) async throws {
        try await store.database.update("rag_models").set("llm_provider", to: SQLLiteral.null).set("llm_model", to: SQLLiteral.null)
            .where("llm_provider", .equal, provider).run()
    }

    /// Sets the status only (e.g. training while a train job runs).
    public func setStatus(id: UUID, _ status: KnowledgeBaseStatus) async throws {
        try await store.database.update("rag_models").set("status", to: status.rawValue).where("id", .equal, id).run()
    }

    /// Deletes the model; its documents, chunks and jobs go with it. Returns false when it did not exist.
    public func delete(id: UUID) async throws -> Bool {
        !(try await store.database.delete(from: "rag_models").where("id", .equal, id).returning("id").all()).isEmpty
    }
}
