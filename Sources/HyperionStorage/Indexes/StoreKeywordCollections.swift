import Foundation
import HyperionCore
import HyperionIndex
import SQLKit

/// Keyword indexes kept as BM25 postings in the store, one set per generation: the keyword half of a
/// ``SplitIndexCatalog`` when vectors live in an outside engine. Every instance over the same PostgreSQL reads the
/// same postings, so hybrid search sees every document whichever instance indexed it, and a delete is seen by all
/// the moment it commits.
///
/// Terms come from the embedded index's ``EnglishAnalyzer`` and are scored with the same BM25 as ``BM25Index``,
/// so both rank alike. Tables (migration 5): `keyword_generations` (entries and total length per generation, for
/// N and the average length), `keyword_entries` (one row per chunk: document, tags, length), `keyword_postings`
/// (term, chunk, frequency).
public struct StoreKeywordCollections: GenerationCollections {
    public typealias Index = any KeywordIndex
    let store: Store
    let parameters: BM25Parameters
    let analyzer: EnglishAnalyzer

    /// Keyword collections in `store`.
    public init(store: Store, parameters: BM25Parameters = .init(), analyzer: EnglishAnalyzer = .init()) {
        self.store = store
        self.parameters = parameters
        self.analyzer = analyzer
    }

    public var engine: String { "keyword postings (\(store.dialect.rawValue))" }

    public func collection(of generation: IndexGeneration) async throws -> any KeywordIndex {
        StoreKeywordIndex(store: store, generation: generation, parameters: parameters, analyzer: analyzer)
    }

    public func generations(of knowledgeBase: UUID) async throws -> [IndexGeneration] {
        try await store.database.raw("""
            SELECT generation FROM keyword_generations WHERE knowledge_base = \(bind: knowledgeBase.lowercasedString)
            """).all().map { IndexGeneration(knowledgeBase: knowledgeBase, number: try $0.decode(column: "generation", as: Int.self)) }
    }

    public func drop(_ generation: IndexGeneration) async throws {
        let kb = generation.knowledgeBase.lowercasedString, number = generation.number
        try await store.transaction { db in
            for table in ["keyword_postings", "keyword_entries", "keyword_generations"] {
                try await db.raw("DELETE FROM \(ident: table) WHERE knowledge_base = \(bind: kb) AND generation = \(bind: number)").run()
            }
        }
    }

    public func drop(knowledgeBase: UUID) async throws {
        let kb = knowledgeBase.lowercasedString
        try await store.transaction { db in
            for table in ["keyword_postings", "keyword_entries", "keyword_generations"] {
                try await db.raw("DELETE FROM \(ident: table) WHERE knowledge_base = \(bind: kb)").run()
            }
        }
    }

    public func ping() async throws { try await store.ping() }
}

/// One generation's BM25 postings in the store.
struct StoreKeywordIndex: KeywordIndex {
    let store: Store
    let generation: IndexGeneration
    let parameters: BM25Parameters
    let analyzer: EnglishAnalyzer
    /// Rows per statement: well inside both databases' limits on bound parameters.
    static let batch = 400

    private var kb: String { generation.knowledgeBase.lowercasedString }

    func count() async throws -> Int {
        try await store.database.raw("""
            SELECT entries FROM keyword_generations WHERE knowledge_base = \(bind: kb) AND generation = \(bind: generation.number)
            """).first()?.decode(column: "entries", as: Int.self) ?? 0
    }

    func add(_ entries: [KeywordEntry]) async throws {
        for entry in entries where entry.id.isEmpty { throw HyperionError.invalid("id", "must not be empty") }
        // The last entry of an id wins, as in the embedded index.
        let kept = entries.lastPerID(\.id)
        guard !kept.isEmpty else { return }
        let analysed = kept.map { analyzer.terms($0.text) }
        try await store.transaction { [kb, generation] db in
            let (replaced, replacedLength) = try await Self.delete(ids: kept.map(\.id), kb: kb, generation: generation.number, in: db)
            var count = -replaced, length = -replacedLength
            for part in Array(zip(kept, analysed)).chunked(Self.batch) {
                var rows: [SQLQueryString] = []
                var postings: [SQLQueryString] = []
                for (entry, words) in part {
                    let tags = String(decoding: try JSONEncoder().encode(entry.metadata.tags), as: UTF8.self)
                    rows.append("(\(bind: kb), \(bind: generation.number), \(bind: entry.id), \(bind: entry.metadata.documentID), \(bind: tags), \(bind: words.count))")
                    count += 1
                    length += words.count
                    var frequencies: [String: Int] = [:]
                    for word in words { frequencies[word, default: 0] += 1 }
                    for (term, tf) in frequencies.sorted(by: { $0.key < $1.key }) {
                        postings.append("(\(bind: kb), \(bind: generation.number), \(bind: term), \(bind: entry.id), \(bind: min(tf, Int(UInt16.max))))")
                    }
                }
                try await db.raw("""
                    INSERT INTO keyword_entries (knowledge_base, generation, id, document_id, tags, length) VALUES \(SQLList(rows))
                    """).run()
                for slice in postings.chunked(Self.batch) {
                    try await db.raw("INSERT INTO keyword_postings (knowledge_base, generation, term, id, tf) VALUES \(SQLList(slice))").run()
                }
            }
            try await Self.adjust(kb: kb, generation: generation.number, entries: count, length: length, in: db)
        }
    }

    func remove(ids: [String]) async throws {
        guard !ids.isEmpty else { return }
        try await store.transaction { [kb, generation] db in
            let (count, length) = try await Self.delete(ids: ids, kb: kb, generation: generation.number, in: db)
            try await Self.adjust(kb: kb, generation: generation.number, entries: -count, length: -length, in: db)
        }
    }

    func remove(documentIDs: [String]) async throws {
        guard !documentIDs.isEmpty else { return }
        try await store.transaction { [kb, generation] db in
            var ids: [String] = []
            for part in documentIDs.chunked(Self.batch) {
                ids += try await db.raw("""
                    SELECT id FROM keyword_entries WHERE knowledge_base = \(bind: kb) AND generation = \(bind: generation.number)
                    AND document_id IN (\(binds: part))
                    """).all().map { try $0.decode(column: "id", as: String.self) }
            }
            let (count, length) = try await Self.delete(ids: ids, kb: kb, generation: generation.number, in: db)
            try await Self.adjust(kb: kb, generation: generation.number, entries: -count, length: -length, in: db)
        }
    }

    /// Deletes the entries and postings of `ids` that exist; returns how many entries went and their total length.
    static func delete(ids: [String], kb: String, generation: Int, in db: any SQLDatabase) async throws -> (Int, Int) {
        var count = 0, length = 0
        for part in Array(Set(ids)).chunked(batch) {
            let rows = try await db.raw("""
                SELECT length FROM keyword_entries WHERE knowledge_base = \(bind: kb) AND generation = \(bind: generation) AND id IN (\(binds: part))
                """).all()
            guard !rows.isEmpty else { continue }
            count += rows.count
            length += try rows.reduce(0) { $0 + (try $1.decode(column: "length", as: Int.self)) }
            for table in ["keyword_postings", "keyword_entries"] {
                try await db.raw("""
                    DELETE FROM \(ident: table) WHERE knowledge_base = \(bind: kb) AND generation = \(bind: generation) AND id IN (\(binds: part))
                    """).run()
            }
        }
        return (count, length)
    }

    /// Moves the generation's entry count and total length by the given amounts (creating its row on first use).
    static func adjust(kb: String, generation: Int, entries: Int, length: Int, in db: any SQLDatabase) async throws {
        try await db.raw("""
            INSERT INTO keyword_generations (knowledge_base, generation, entries, total_length)
            VALUES (\(bind: kb), \(bind: generation), \(bind: max(entries, 0)), \(bind: max(length, 0)))
            ON CONFLICT (knowledge_base, generation) DO UPDATE SET entries = keyword_generations.entries + \(bind: entries),
                total_length = keyword_generations.total_length + \(bind: length)
            """).run()
    }

    func search(_ text: String, k: Int, filter: SearchFilter) async throws -> [IndexHit] {
        guard k > 0 else { return [] }
        var weights: [String: Float] = [:]
        for word in analyzer.terms(text) { weights[word, default: 0] += 1 }
        guard !weights.isEmpty else { return [] }
        let stats = try await store.database.raw("""
            SELECT entries, total_length FROM keyword_generations WHERE knowledge_base = \(bind: kb) AND generation = \(bind: generation.number)
            """).first()
        guard let stats, case let n = try stats.decode(column: "entries", as: Int.self), n > 0 else { return [] }
        let averageLength = max(Float(try stats.decode(column: "total_length", as: Int.self)) / Float(n), 1e-6)
        let rows = try await store.database.raw("""
            SELECT p.term, p.id, p.tf, e.document_id, e.tags, e.length FROM keyword_postings p
            JOIN keyword_entries e ON e.knowledge_base = p.knowledge_base AND e.generation = p.generation AND e.id = p.id
            WHERE p.knowledge_base = \(bind: kb) AND p.generation = \(bind: generation.number) AND p.term IN (\(binds: weights.keys.sorted()))
            """).all()
        struct Posting { let term: String, id: String, tf: Float, length: Float }
        var postings: [Posting] = []
        var documentFrequency: [String: Float] = [:]
        var metadata: [String: EntryMetadata] = [:]
        postings.reserveCapacity(rows.count)
        for row in rows {
            let posting = Posting(term: try row.decode(column: "term", as: String.self), id: try row.decode(column: "id", as: String.self),
                                  tf: Float(try row.decode(column: "tf", as: Int.self)), length: Float(try row.decode(column: "length", as: Int.self)))
            postings.append(posting)
            documentFrequency[posting.term, default: 0] += 1
            if metadata[posting.id] == nil {
                let tags = try JSONDecoder().decode([String].self, from: Data(try row.decode(column: "tags", as: String.self).utf8))
                metadata[posting.id] = EntryMetadata(documentID: try row.decode(column: "document_id", as: String.self), tags: tags)
            }
        }
        let p = parameters, count = Float(n)
        var scores: [String: Float] = [:]
        for posting in postings {
            guard let df = documentFrequency[posting.term], let weight = weights[posting.term] else { continue }
            let idf = log(1 + (count - df + 0.5) / (df + 0.5)) * weight
            let norm = p.k1 * (1 - p.b + p.b * posting.length / averageLength)
            scores[posting.id, default: 0] += idf * posting.tf * (p.k1 + 1) / (posting.tf + norm)
        }
        let admitted = scores.filter { filter.admits(metadata[$0.key]!) }
        return admitted.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(k).map {
            IndexHit(id: $0.key, documentID: metadata[$0.key]!.documentID, score: $0.value)
        }
    }
}

extension Array {
    /// The array in consecutive slices of at most `size` elements.
    func chunked(_ size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
