import Foundation
import HyperionCore
import SQLKit

/// One change to what a knowledge base's indexes should hold, as the change log records it.
public struct IndexChange: Sendable, Equatable {
    /// What happened to the document.
    public enum Kind: String, Sendable {
        /// Its chunks of ``IndexChange/generation`` were (re)written: index them as the store now has them.
        case upsert
        /// It was deleted: out of every generation.
        case remove
    }

    /// Position in the log; later changes have larger numbers.
    public let seq: Int64
    public let kind: Kind
    public let knowledgeBase: UUID
    /// The generation written (nil for a removal, which concerns all of them).
    public let generation: Int?
    public let documentID: UUID
    /// ``Store/origin`` of the process that made the change.
    public let origin: String
}

/// The index change log: every chunk write and document deletion, appended in the same transaction as the change
/// itself, so a process that follows the log never sees a change the store does not hold yet (and never misses one
/// that it does). Instances with in-process indexes follow it; entries older than an hour are pruned.
public struct IndexChangeRepository: Sendable {
    let store: Store

    private struct Row: Codable {
        var seq: Int64
        var knowledge_base: String
        var generation: Int?
        var document_id: String
        var kind: String
        var origin: String
    }

    /// Appends a change inside the caller's transaction.
    static func record(_ kind: IndexChange.Kind, knowledgeBase: UUID, generation: Int?, documentID: UUID, origin: String,
                       in db: any SQLDatabase) async throws {
        try await db.insert(into: "index_changes")
            .columns("knowledge_base", "generation", "document_id", "kind", "origin", "created_at")
            .values(SQLBind(knowledgeBase.lowercasedString), SQLBind(generation), SQLBind(documentID.lowercasedString), SQLBind(kind.rawValue),
                    SQLBind(origin), SQLBind(Date()))
            .run()
    }

    /// The newest position in the log (0 when empty).
    public func latest() async throws -> Int64 {
        let row = try await store.database.select().column(SQLFunction("MAX", args: SQLIdentifier("seq")), as: "m").from("index_changes").first()
        return try row?.decode(column: "m", as: Int64?.self) ?? 0
    }

    /// The newest position of one knowledge base's changes (0 when none is logged): equal positions, equal content,
    /// on every instance, which is what a shared query cache keys on.
    public func latest(knowledgeBase: UUID) async throws -> Int64 {
        let row = try await store.database.select().column(SQLFunction("MAX", args: SQLIdentifier("seq")), as: "m").from("index_changes")
            .where("knowledge_base", .equal, knowledgeBase.lowercasedString).first()
        return try row?.decode(column: "m", as: Int64?.self) ?? 0
    }

    /// Changes after `seq`, oldest first.
    public func after(_ seq: Int64, limit: Int) async throws -> [IndexChange] {
        let rows = try await store.database.select().columns("seq", "knowledge_base", "generation", "document_id", "kind", "origin")
            .from("index_changes").where("seq", .greaterThan, seq).orderBy("seq").limit(limit).all(decoding: Row.self)
        return rows.compactMap { row in
            guard let kind = IndexChange.Kind(rawValue: row.kind), let knowledgeBase = UUID(uuidString: row.knowledge_base),
                  let document = UUID(uuidString: row.document_id) else { return nil }
            return IndexChange(seq: row.seq, kind: kind, knowledgeBase: knowledgeBase, generation: row.generation, documentID: document, origin: row.origin)
        }
    }

    /// Deletes changes recorded before `date`, except each knowledge base's newest (its position must never go back).
    public func prune(before date: Date) async throws {
        try await store.database.raw("""
            DELETE FROM index_changes WHERE created_at < \(bind: date)
            AND seq NOT IN (SELECT MAX(seq) FROM index_changes GROUP BY knowledge_base)
            """).run()
    }
}
