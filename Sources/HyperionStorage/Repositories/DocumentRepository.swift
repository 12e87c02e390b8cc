import Foundation
import HyperionCore
import SQLKit

/// Documents of RAG models and their chunks.
public struct DocumentRepository: Sendable {
    let store: Store

    struct Row: Codable {
        var id: UUID
        var model_id: UUID
        var title: String
        var filename: String
        var format: String
        var sha256: String
        var size_bytes: Int
        var status: String
        var error: String?
        var tags: String
        var metadata: String?
        var page_count: Int?
        var chunk_count: Int
        var created_at: Date
        var updated_at: Date

        init(_ d: DocumentRecord) {
            id = d.id; model_id = d.modelID; title = d.title; filename = d.filename; format = d.format.rawValue
            sha256 = d.sha256; size_bytes = d.sizeBytes; status = d.status.rawValue; error = d.error
            tags = JSONText.encode(d.tags); metadata = d.metadataJSON; page_count = d.pageCount; chunk_count = d.chunkCount
            created_at = d.createdAt; updated_at = d.updatedAt
        }

        var record: DocumentRecord {
            DocumentRecord(
                id: id, modelID: model_id, title: title, filename: filename, format: DocumentFormat(rawValue: format) ?? .text,
                sha256: sha256, sizeBytes: size_bytes, status: DocumentStatus(rawValue: status) ?? .failed, error: error,
                tags: JSONText.decode(tags) ?? [], metadataJSON: metadata, pageCount: page_count, chunkCount: chunk_count,
                createdAt: created_at, updatedAt: updated_at
            )
        }
    }

    /// Stores a new document, or returns the model's existing document with the same content (`created` false).
    public func createOrFind(_ document: DocumentRecord) async throws -> (document: DocumentRecord, created: Bool) {
        do {
            try await store.database.insert(into: "documents").model(Row(document)).run()
            return (document, true)
        } catch where store.dialect.isUniqueViolation(error) {
            guard let existing = try await find(modelID: document.modelID, sha256: document.sha256) else { throw error }
            return (existing, false)
        }
    }

    /// What ``createWithJob(_:job:)`` did with one draft.
    public enum UploadOutcome: Sendable, Equatable {
        /// Stored and queued.
        case created(DocumentRecord)
        /// The model already held this content; a failed one is queued again (that is how a failure is retried).
        case existing(DocumentRecord, requeued: Bool)
    }

    /// Stores an upload's documents and the job that ingests the new (or retried) ones in one transaction: either
    /// every row and the job are written, or nothing is. `job` gets the ids to ingest, in order, and is not called
    /// when there are none.
    public func createWithJob(_ drafts: [DocumentRecord], job: @escaping @Sendable ([UUID]) -> JobRecord) async throws -> (outcomes: [UploadOutcome], job: JobRecord?) {
        let rows = drafts.map(Row.init)
        return try await store.transaction { db in
            var outcomes: [UploadOutcome] = []
            var queued: [UUID] = []
            for (draft, row) in zip(drafts, rows) {
                // ON CONFLICT … DO NOTHING rather than catching the violation: on PostgreSQL an error aborts the transaction.
                let inserted = try await db.insert(into: "documents").model(row).ignoringConflicts(with: ["model_id", "sha256"])
                    .returning("id").all()
                if !inserted.isEmpty {
                    outcomes.append(.created(draft))
                    queued.append(draft.id)
                    continue
                }
                guard var existing = try await db.select().columns("*").from("documents").where("model_id", .equal, draft.modelID)
                    .where("sha256", .equal, draft.sha256).first(decoding: Row.self)?.record else {
                    throw HyperionError(.conflict, code: "upload_conflict", message: "the document changed while it was uploaded; try again")
                }
                let retry = existing.status == .failed && !queued.contains(existing.id)
                if retry {
                    existing.status = .queued
                    existing.error = nil
                    existing.updatedAt = Date()
                    try await db.update("documents").set("status", to: existing.status.rawValue).set("error", to: String?.none)
                        .set("updated_at", to: existing.updatedAt).where("id", .equal, existing.id).run()
                    queued.append(existing.id)
                }
                outcomes.append(.existing(existing, requeued: retry))
            }
            guard !queued.isEmpty else { return (outcomes, nil) }
            let record = job(queued)
            try await db.insert(into: "jobs").model(SQLJobQueue.Row(record)).run()
            return (outcomes, record)
        }
    }

    public func find(id: UUID) async throws -> DocumentRecord? {
        try await store.database.select().columns("*").from("documents").where("id", .equal, id).first(decoding: Row.self)?.record
    }

    public func find(modelID: UUID, sha256: String) async throws -> DocumentRecord? {
        try await store.database.select().columns("*").from("documents").where("model_id", .equal, modelID)
            .where("sha256", .equal, sha256).first(decoding: Row.self)?.record
    }

    /// Documents with these ids (any order).
    public func find(ids: [UUID]) async throws -> [DocumentRecord] {
        guard !ids.isEmpty else { return [] }
        return try await store.database.select().columns("*").from("documents").where("id", .in, ids).all(decoding: Row.self).map(\.record)
    }

    /// A model's documents, newest first, optionally with one status.
    public func list(modelID: UUID, status: DocumentStatus?, page: PageRequest) async throws -> Page<DocumentRecord> {
        func filtered(_ q: SQLSelectBuilder) -> SQLSelectBuilder {
            let q = q.where("model_id", .equal, modelID)
            return status.map { q.where("status", .equal, $0.rawValue) } ?? q
        }
        let rows = try await filtered(store.database.select().columns("*").from("documents"))
            .orderBy("created_at", .descending).orderBy("id").limit(page.limit).offset(page.skip).all(decoding: Row.self)
        let total = try await store.count("documents") { filtered($0) }
        return Page(items: rows.map(\.record), total: total, request: page)
    }

    /// All documents of a model (for training and index rebuilds).
    public func all(modelID: UUID) async throws -> [DocumentRecord] {
        try await store.database.select().columns("*").from("documents").where("model_id", .equal, modelID)
            .orderBy("created_at").orderBy("id").all(decoding: Row.self).map(\.record)
    }

    /// Sets a document's status (and error, title, page count) without touching its chunks.
    public func setStatus(id: UUID, _ status: DocumentStatus, error: String? = nil, title: String? = nil, pageCount: Int? = nil) async throws {
        var update = store.database.update("documents").set("status", to: status.rawValue).set("error", to: error)
            .set("updated_at", to: Date())
        if let title { update = update.set("title", to: title) }
        if let pageCount { update = update.set("page_count", to: pageCount) }
        try await update.where("id", .equal, id).run()
    }

    /// Marks those of `ids` that are still queued or processing as failed with `error`: after a job ends early,
    /// every one of its documents is in a state a user can see and act on (re-upload to retry).
    public func failUnfinished(ids: [UUID], error: String) async throws {
        guard !ids.isEmpty else { return }
        try await store.database.update("documents").set("status", to: DocumentStatus.failed.rawValue).set("error", to: error)
            .set("updated_at", to: Date()).where("id", .in, ids)
            .where("status", .in, [DocumentStatus.queued.rawValue, DocumentStatus.processing.rawValue]).run()
    }

    /// Puts those of `ids` that are processing back to queued (their job will run again).
    public func requeueProcessing(ids: [UUID]) async throws {
        guard !ids.isEmpty else { return }
        try await store.database.update("documents").set("status", to: DocumentStatus.queued.rawValue).set("updated_at", to: Date())
            .where("id", .in, ids).where("status", .equal, DocumentStatus.processing.rawValue).run()
    }

    /// Replaces a document's chunks of one generation and marks it ready, atomically: a job that runs twice
    /// (after a crash) leaves exactly one set of chunks. Returns false when the document was deleted meanwhile.
    public func replaceChunks(documentID: UUID, generation: Int, chunks: [ChunkRecord], title: String?, pageCount: Int?) async throws -> Bool {
        let rows = chunks.map(ChunkRow.init)
        return try await store.transaction { db in
            let exists = try await db.select().column("id").from("documents").where("id", .equal, documentID).first() != nil
            guard exists else { return false }
            try await db.delete(from: "chunks").where("document_id", .equal, documentID).where("generation", .equal, generation).run()
            for batch in stride(from: 0, to: rows.count, by: 200) {
                try await db.insert(into: "chunks").models(Array(rows[batch..<min(batch + 200, rows.count)])).run()
            }
            var update = db.update("documents").set("status", to: DocumentStatus.ready.rawValue).set("error", to: String?.none)
                .set("chunk_count", to: chunks.count).set("updated_at", to: Date())
            if let title { update = update.set("title", to: title) }
            if let pageCount { update = update.set("page_count", to: pageCount) }
            try await update.where("id", .equal, documentID).run()
            var modelID = chunks.first?.modelID
            if modelID == nil {
                modelID = try await db.select().column("model_id").from("documents").where("id", .equal, documentID).first()?
                    .decode(column: "model_id", as: UUID.self)
            }
            if let modelID {
                try await IndexChangeRepository.record(.upsert, knowledgeBase: modelID, generation: generation, documentID: documentID,
                                                       origin: store.origin, in: db)
            }
            return true
        }
    }

    /// Ready documents of a model that have no chunks in `generation` yet (training catches up on them).
    public func missing(modelID: UUID, generation: Int) async throws -> [UUID] {
        let rows = try await store.database.raw("""
            SELECT d.id FROM documents d WHERE d.model_id = \(bind: modelID) AND d.status = 'ready'
            AND NOT EXISTS (SELECT 1 FROM chunks c WHERE c.document_id = d.id AND c.generation = \(bind: generation))
            """).all()
        return try rows.map { try $0.decode(column: "id", as: UUID.self) }
    }

    /// Makes `generation` the model's live one in one transaction and drops every other generation's chunks.
    public func switchGeneration(modelID: UUID, to generation: Int, at date: Date = Date()) async throws {
        try await store.transaction { db in
            try await db.update("rag_models").set("generation", to: generation).set("status", to: KnowledgeBaseStatus.ready.rawValue)
                .set("last_trained_at", to: date).set("updated_at", to: date).where("id", .equal, modelID).run()
            try await db.delete(from: "chunks").where("model_id", .equal, modelID).where("generation", .notEqual, generation).run()
        }
    }

    /// Deletes a document and its chunks (and logs the removal for other instances' indexes). Returns false when it
    /// did not exist.
    public func delete(id: UUID) async throws -> Bool {
        let origin = store.origin
        return try await store.transaction { db in
            let rows = try await db.delete(from: "documents").where("id", .equal, id).returning("model_id").all()
            guard let row = rows.first else { return false }
            try await IndexChangeRepository.record(.remove, knowledgeBase: try row.decode(column: "model_id", as: UUID.self), generation: nil,
                                                   documentID: id, origin: origin, in: db)
            return true
        }
    }

    /// Every chunk of a document in one generation, in order.
    public func chunks(documentID: UUID, generation: Int) async throws -> [ChunkRecord] {
        try await store.database.select().columns("*").from("chunks").where("document_id", .equal, documentID)
            .where("generation", .equal, generation).orderBy("ordinal").all(decoding: ChunkRow.self).map(\.record)
    }

    // MARK: chunks

    struct ChunkRow: Codable {
        var id: UUID
        var document_id: UUID
        var model_id: UUID
        var generation: Int
        var ordinal: Int
        var text: String
        var page: Int?
        var heading_path: String
        var start_offset: Int
        var end_offset: Int
        var token_count: Int
        var embedding: Data

        init(_ c: ChunkRecord) {
            id = c.id; document_id = c.documentID; model_id = c.modelID; generation = c.generation; ordinal = c.ordinal
            text = c.text; page = c.page; heading_path = JSONText.encode(c.headingPath); start_offset = c.startOffset
            end_offset = c.endOffset; token_count = c.tokenCount
            embedding = c.embedding.float32Bytes
        }

        var record: ChunkRecord {
            ChunkRecord(id: id, documentID: document_id, modelID: model_id, generation: generation, ordinal: ordinal,
                               text: text, page: page, headingPath: JSONText.decode(heading_path) ?? [], startOffset: start_offset,
                               endOffset: end_offset, tokenCount: token_count, embedding: [Float](float32Bytes: embedding))
        }
    }

    /// A document's chunks of one generation in order.
    public func chunks(documentID: UUID, generation: Int, page: PageRequest) async throws -> Page<ChunkRecord> {
        let rows = try await store.database.select().columns("*").from("chunks").where("document_id", .equal, documentID)
            .where("generation", .equal, generation).orderBy("ordinal").limit(page.limit).offset(page.skip).all(decoding: ChunkRow.self)
        let total = try await store.count("chunks") { $0.where("document_id", .equal, documentID).where("generation", .equal, generation) }
        return Page(items: rows.map(\.record), total: total, request: page)
    }

    /// Chunks by id (any order); ids of deleted chunks are simply absent.
    public func chunks(ids: [UUID]) async throws -> [ChunkRecord] {
        guard !ids.isEmpty else { return [] }
        return try await store.database.select().columns("*").from("chunks").where("id", .in, ids).all(decoding: ChunkRow.self).map(\.record)
    }

    /// Which of `ids` are chunks that still exist (a cached search result is checked against this).
    public func existingChunkIDs(_ ids: [UUID]) async throws -> Set<UUID> {
        guard !ids.isEmpty else { return [] }
        return Set(try await store.database.select().column("id").from("chunks").where("id", .in, ids).all().map { try $0.decode(column: "id", as: UUID.self) })
    }

    /// Every chunk of a model generation (to rebuild its index).
    public func chunks(modelID: UUID, generation: Int) async throws -> [ChunkRecord] {
        try await store.database.select().columns("*").from("chunks").where("model_id", .equal, modelID)
            .where("generation", .equal, generation).all(decoding: ChunkRow.self).map(\.record)
    }

    /// Number of documents of a model.
    public func count(modelID: UUID) async throws -> Int {
        try await store.count("documents") { $0.where("model_id", .equal, modelID) }
    }

    /// What the indexes hold over every knowledge base: ingested documents and their chunks, in totals and for the
    /// largest knowledge base (one grouped read of the documents table, not of the chunks).
    public func indexTotals() async throws -> IndexTotals {
        let rows = try await store.database.select()
            .column("model_id")
            .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "documents")
            .column(SQLFunction("SUM", args: SQLColumn("chunk_count")), as: "chunks")
            .from("documents").where("status", .equal, DocumentStatus.ready.rawValue)
            .groupBy("model_id").all()
        var totals = IndexTotals(knowledgeBases: try await store.count("rag_models"))
        for row in rows {
            let chunks = try row.decode(column: "chunks", as: Int?.self) ?? 0
            totals.documents += try row.decode(column: "documents", as: Int.self)
            totals.chunks += chunks
            totals.largestChunks = max(totals.largestChunks, chunks)
        }
        return totals
    }

    /// Number of documents, in any model, whose original file has this SHA-256.
    public func count(sha256: String) async throws -> Int {
        try await store.count("documents") { $0.where("sha256", .equal, sha256) }
    }

    /// The ids of every chunk of a model generation (to check an index is in step).
    public func chunkIDs(modelID: UUID, generation: Int) async throws -> [UUID] {
        try await store.database.select().column("id").from("chunks").where("model_id", .equal, modelID)
            .where("generation", .equal, generation).all().map { try $0.decode(column: "id", as: UUID.self) }
    }

    /// Number of chunks of a model generation.
    public func chunkCount(modelID: UUID, generation: Int) async throws -> Int {
        try await store.count("chunks") { $0.where("model_id", .equal, modelID).where("generation", .equal, generation) }
    }
}

/// Small JSON columns (tag lists, heading paths) stored as text on both backends.
enum JSONText {
    static func encode<T: Encodable>(_ value: T) -> String {
        (try? String(decoding: JSONEncoder().encode(value), as: UTF8.self)) ?? "[]"
    }

    static func decode<T: Decodable>(_ text: String) -> T? {
        try? JSONDecoder().decode(T.self, from: Data(text.utf8))
    }
}

/// Sizes of the indexes over every knowledge base (``DocumentRepository/indexTotals()``).
public struct IndexTotals: Sendable, Equatable {
    /// Knowledge bases, empty ones included.
    public var knowledgeBases: Int
    /// Documents ingested (ready).
    public var documents = 0
    /// Their chunks: the vectors and keyword entries indexed.
    public var chunks = 0
    /// Chunks of the largest knowledge base.
    public var largestChunks = 0
}
