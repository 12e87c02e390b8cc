import Foundation
import HyperionCore
import SQLKit

/// The log of queries with their answers, sources and timings.
public struct QueryRepository: Sendable {
    let store: Store

    struct Row: Codable {
        var id: UUID
        var user_id: UUID
        var model_id: UUID
        var session_id: UUID?
        var query: String
        var retrieval_query: String?
        var answer: String
        var status: String
        var error: String?
        var provider: String?
        var llm_model: String?
        var mode: String
        var top_k: Int
        var sources: String
        var citations: String
        var prompt_tokens: Int?
        var completion_tokens: Int?
        var retrieval_ms: Double
        var generation_ms: Double
        var created_at: Date
        var finished_at: Date?

        init(_ q: QueryRecord) {
            id = q.id; user_id = q.userID; model_id = q.modelID; session_id = q.sessionID; query = q.query
            retrieval_query = q.retrievalQuery; answer = q.answer; status = q.status.rawValue; error = q.error
            provider = q.provider; llm_model = q.llmModel; mode = q.mode.rawValue; top_k = q.topK
            sources = JSONText.encode(q.sources); citations = JSONText.encode(q.citations)
            prompt_tokens = q.usage?.promptTokens; completion_tokens = q.usage?.completionTokens
            retrieval_ms = q.retrievalMilliseconds; generation_ms = q.generationMilliseconds
            created_at = q.createdAt; finished_at = q.finishedAt
        }

        var record: QueryRecord {
            QueryRecord(
                id: id, userID: user_id, modelID: model_id, sessionID: session_id, query: query, retrievalQuery: retrieval_query,
                answer: answer, status: QueryStatus(rawValue: status) ?? .failed, error: error, provider: provider, llmModel: llm_model,
                mode: RetrievalMode(rawValue: mode) ?? .hybrid, topK: top_k, sources: JSONText.decode(sources) ?? [],
                citations: JSONText.decode(citations) ?? [],
                usage: prompt_tokens.map { TokenUsage(promptTokens: $0, completionTokens: completion_tokens ?? 0) },
                retrievalMilliseconds: retrieval_ms, generationMilliseconds: generation_ms, createdAt: created_at, finishedAt: finished_at
            )
        }
    }

    /// Stores a new query (usually `running`).
    public func create(_ query: QueryRecord) async throws {
        try await store.database.insert(into: "queries").model(Row(query)).run()
    }

    /// Writes the outcome of a query.
    public func update(_ query: QueryRecord) async throws {
        // .asNil: a cleared optional must become NULL, not be left out of the UPDATE.
        try await store.database.update("queries").set(model: Row(query), nilEncodingStrategy: .asNil).where("id", .equal, query.id).run()
    }

    public func find(id: UUID) async throws -> QueryRecord? {
        try await store.database.select().columns("*").from("queries").where("id", .equal, id).first(decoding: Row.self)?.record
    }

    /// A user's queries, newest first; optionally of one model or one session.
    public func list(userID: UUID?, modelID: UUID? = nil, sessionID: UUID? = nil, page: PageRequest) async throws -> Page<QueryRecord> {
        func filtered(_ q: SQLSelectBuilder) -> SQLSelectBuilder {
            var q = q
            if let userID { q = q.where("user_id", .equal, userID) }
            if let modelID { q = q.where("model_id", .equal, modelID) }
            if let sessionID { q = q.where("session_id", .equal, sessionID) }
            return q
        }
        let rows = try await filtered(store.database.select().columns("*").from("queries"))
            .orderBy("created_at", .descending).orderBy("id").limit(page.limit).offset(page.skip).all(decoding: Row.self)
        let total = try await store.count("queries") { filtered($0) }
        return Page(items: rows.map(\.record), total: total, request: page)
    }

    /// Marks queries left `running` by a crashed process as failed (called at start-up, single instance).
    public func failStale(before date: Date) async throws {
        try await store.database.update("queries").set("status", to: QueryStatus.failed.rawValue)
            .set("error", to: "the server stopped before the answer was complete")
            .where("status", .equal, QueryStatus.running.rawValue).where("created_at", .lessThan, date).run()
    }
}

/// Chat sessions and their messages.
public struct SessionRepository: Sendable {
    let store: Store

    struct Row: Codable {
        var id: UUID
        var user_id: UUID
        var model_id: UUID
        var title: String
        var created_at: Date
        var updated_at: Date

        init(_ s: ChatSession) {
            id = s.id; user_id = s.userID; model_id = s.modelID; title = s.title; created_at = s.createdAt; updated_at = s.updatedAt
        }

        var session: ChatSession { ChatSession(id: id, userID: user_id, modelID: model_id, title: title, createdAt: created_at, updatedAt: updated_at) }
    }

    struct MessageRow: Codable {
        var id: UUID
        var session_id: UUID
        var seq: Int64
        var role: String
        var content: String
        var query_id: UUID?
        var created_at: Date

        var message: SessionMessage {
            SessionMessage(id: id, sessionID: session_id, role: ChatRole(rawValue: role) ?? .user, content: content, queryID: query_id, createdAt: created_at)
        }
    }

    public func create(_ session: ChatSession) async throws {
        try await store.database.insert(into: "sessions").model(Row(session)).run()
    }

    public func find(id: UUID) async throws -> ChatSession? {
        try await store.database.select().columns("*").from("sessions").where("id", .equal, id).first(decoding: Row.self)?.session
    }

    /// A user's sessions, most recently active first.
    public func list(userID: UUID, modelID: UUID? = nil, page: PageRequest) async throws -> Page<ChatSession> {
        func filtered(_ q: SQLSelectBuilder) -> SQLSelectBuilder {
            let q = q.where("user_id", .equal, userID)
            return modelID.map { q.where("model_id", .equal, $0) } ?? q
        }
        let rows = try await filtered(store.database.select().columns("*").from("sessions"))
            .orderBy("updated_at", .descending).orderBy("id").limit(page.limit).offset(page.skip).all(decoding: Row.self)
        let total = try await store.count("sessions") { filtered($0) }
        return Page(items: rows.map(\.session), total: total, request: page)
    }

    /// Renames a session.
    public func rename(id: UUID, title: String) async throws {
        try await store.database.update("sessions").set("title", to: title).set("updated_at", to: Date()).where("id", .equal, id).run()
    }

    /// Deletes a session and its messages (its queries stay in the history, detached).
    public func delete(id: UUID) async throws -> Bool {
        !(try await store.database.delete(from: "sessions").where("id", .equal, id).returning("id").all()).isEmpty
    }

    /// Appends messages in order, in one transaction, and touches the session.
    public func append(_ messages: [SessionMessage], to sessionID: UUID) async throws {
        try await store.transaction { db in
            let row = try await db.raw("SELECT COALESCE(MAX(seq), 0) AS seq FROM session_messages WHERE session_id = \(bind: sessionID)").first()
            let last = try row?.decode(column: "seq", as: Int64.self) ?? 0
            for (offset, message) in messages.enumerated() {
                try await db.insert(into: "session_messages").model(MessageRow(
                    id: message.id, session_id: sessionID, seq: last + 1 + Int64(offset), role: message.role.rawValue, content: message.content,
                    query_id: message.queryID, created_at: message.createdAt
                )).run()
            }
            try await db.update("sessions").set("updated_at", to: Date()).where("id", .equal, sessionID).run()
        }
    }

    /// A page of a session's messages, oldest first.
    public func messages(sessionID: UUID, page: PageRequest) async throws -> Page<SessionMessage> {
        let rows = try await store.database.select().columns("*").from("session_messages").where("session_id", .equal, sessionID)
            .orderBy("seq").limit(page.limit).offset(page.skip).all(decoding: MessageRow.self)
        let total = try await store.count("session_messages") { $0.where("session_id", .equal, sessionID) }
        return Page(items: rows.map(\.message), total: total, request: page)
    }

    /// The latest `limit` messages, oldest first (the history a follow-up sees).
    public func recentMessages(sessionID: UUID, limit: Int) async throws -> [SessionMessage] {
        let rows = try await store.database.select().columns("*").from("session_messages").where("session_id", .equal, sessionID)
            .orderBy("seq", .descending).limit(limit).all(decoding: MessageRow.self)
        return rows.reversed().map(\.message)
    }
}
