@preconcurrency import AsyncKit
import Foundation
import HyperionCore
import Logging
import NIOCore
import NIOPosix
import PostgresKit
import SQLKit
import Synchronization

/// How Hyperion uses pgvector.
public struct PgVectorSettings: Sendable {
    /// The PostgreSQL server holding the vector tables (may be the store's).
    public var url: String
    /// HNSW graph degree (`m`).
    public var m: Int
    /// HNSW candidate list while building (`ef_construction`).
    public var efConstruction: Int
    /// HNSW candidate list while searching (`hnsw.ef_search`); raised to k for a larger k.
    public var efSearch: Int
    /// Seconds a statement or a connection may take before the engine counts as unavailable.
    public var timeoutSeconds: Int
    /// Connections per event loop.
    public var poolSize: Int

    /// Whether `url` is a PostgreSQL URL the driver accepts.
    public static func isValid(url: String) -> Bool { (try? SQLPostgresConfiguration(url: url)) != nil }

    /// Settings with pgvector's own defaults (m 16, ef_construction 64, ef_search 40).
    public init(url: String, m: Int = 16, efConstruction: Int = 64, efSearch: Int = 40, timeoutSeconds: Int = 10, poolSize: Int = 4) {
        self.url = url
        self.m = m
        self.efConstruction = efConstruction
        self.efSearch = efSearch
        self.timeoutSeconds = timeoutSeconds
        self.poolSize = poolSize
    }
}

/// Vector indexes in PostgreSQL with pgvector: one table per generation, `hyv_<knowledge base>_<generation>`
/// (id, document_id, tags text[], embedding vector(d)), with an HNSW index (`vector_cosine_ops`) and a b-tree on
/// document_id.
///
/// A table per generation rather than a generation column: dropping a generation is one `DROP TABLE`, each HNSW
/// graph holds only the vectors a search may return, and pgvector 0.6 (no iterative index scans) would otherwise
/// filter a generation's hits out of a shared graph's candidate list and return fewer than k.
public final class PgVectorCollections: GenerationCollections {
    public typealias Index = any VectorIndex
    public let engine = "pgvector"
    /// Length of every vector.
    public let dimension: Int
    let settings: PgVectorSettings
    let database: any SQLDatabase
    private let shutdown: @Sendable () async throws -> Void
    /// Tables this process created or checked; a table dropped behind its back shows up as an error naming it.
    private let known = Mutex<Set<IndexGeneration>>([])

    /// Connects lazily: nothing is reached until the first use, so a server starts (not ready) while the engine is down.
    public init(settings: PgVectorSettings, dimension: Int, logger: Logger) throws {
        var configuration: SQLPostgresConfiguration
        do { configuration = try SQLPostgresConfiguration(url: settings.url) } catch {
            throw HyperionError.invalid("vector.pgvector.url", "is not a valid PostgreSQL URL")
        }
        configuration.coreConfiguration.options.connectTimeout = .seconds(Int64(settings.timeoutSeconds))
        var logger = logger
        logger[metadataKey: "component"] = "pgvector"
        let pool = EventLoopGroupConnectionPool(
            source: PostgresConnectionSource(sqlConfiguration: configuration), maxConnectionsPerEventLoop: settings.poolSize,
            requestTimeout: .seconds(Int64(settings.timeoutSeconds)), pruneInterval: .seconds(60), logger: logger,
            on: MultiThreadedEventLoopGroup.singleton
        )
        database = pool.database(logger: logger).sql(queryLogLevel: .trace)
        shutdown = OwnedPool(pool, logger: logger).close
        self.settings = settings
        self.dimension = dimension
    }

    /// Closes every connection.
    public func close() async throws { try await shutdown() }

    public func collection(of generation: IndexGeneration) async throws -> any VectorIndex {
        let index = PgVectorIndex(owner: self, generation: generation)
        if known.withLock({ $0.contains(generation) }) { return index }
        try await run(generation) { db in
            // One creator at a time: concurrent CREATE ... IF NOT EXISTS of the same table can still collide.
            try await db.raw("SELECT pg_advisory_xact_lock(\(bind: Int64(0x4859_5045_5256_0001)))").run()
            try await db.raw("CREATE EXTENSION IF NOT EXISTS vector").run()
            let table = generation.collectionName
            try await db.raw("""
                CREATE TABLE IF NOT EXISTS \(ident: table) (id TEXT PRIMARY KEY, document_id TEXT NOT NULL,
                tags TEXT[] NOT NULL DEFAULT '{}', embedding vector(\(literal: self.dimension)) NOT NULL)
                """).run()
            try await db.raw("CREATE INDEX IF NOT EXISTS \(ident: table + "_document") ON \(ident: table) (document_id)").run()
            try await db.raw("""
                CREATE INDEX IF NOT EXISTS \(ident: table + "_hnsw") ON \(ident: table) USING hnsw (embedding vector_cosine_ops)
                WITH (m = \(literal: self.settings.m), ef_construction = \(literal: self.settings.efConstruction))
                """).run()
            let stored = try await db.raw("""
                SELECT atttypmod FROM pg_attribute WHERE attrelid = \(bind: table)::regclass AND attname = 'embedding'
                """).first()?.decode(column: "atttypmod", as: Int.self)
            guard stored == self.dimension else {
                throw IndexEngineError(.needsTraining, engine: self.engine, knowledgeBase: generation.knowledgeBase,
                                       "generation \(generation.number) holds vectors of length \(stored ?? 0), the embedder makes \(self.dimension)")
            }
        }
        known.withLock { _ = $0.insert(generation) }
        return index
    }

    public func generations(of knowledgeBase: UUID) async throws -> [IndexGeneration] {
        let prefix = IndexGeneration.collectionPrefix(knowledgeBase)
        let names = try await run(nil) { db in
            try await db.raw("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND starts_with(tablename, \(bind: prefix))")
                .all().map { try $0.decode(column: "tablename", as: String.self) }
        }
        return IndexGeneration.generations(of: knowledgeBase, amongCollections: names)
    }

    public func drop(_ generation: IndexGeneration) async throws {
        known.withLock { _ = $0.remove(generation) }
        try await run(nil) { db in try await db.raw("DROP TABLE IF EXISTS \(ident: generation.collectionName)").run() }
    }

    public func drop(knowledgeBase: UUID) async throws {
        for generation in try await generations(of: knowledgeBase) { try await drop(generation) }
        known.withLock { $0 = $0.filter { $0.knowledgeBase != knowledgeBase } }
    }

    public func ping() async throws {
        try await run(nil) { db in try await db.raw("SELECT 1").run() }
    }

    /// `SELECT set_config(name, value, true), …`: transaction-local settings in one statement.
    static func setConfig(_ settings: [(String, String)]) -> SQLQueryString {
        let calls: [SQLQueryString] = settings.map { "set_config(\(bind: $0.0), \(bind: $0.1), true)" }
        return "SELECT \(SQLList(calls))"
    }

    /// Runs `body` in a transaction with the statement timeout (and `extra` settings) set, mapping PostgreSQL's failures to
    /// ``IndexEngineError``: unreachable or too slow → unavailable; the generation's table gone → needs training.
    func run<T: Sendable>(_ generation: IndexGeneration?, settings extra: [(String, String)] = [],
                          _ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        do {
            // The server's statement_timeout ends a slow statement; the deadline also covers a server that stopped
            // answering at all (a hung host, a dropped network), where nothing would ever come back.
            let limit = Duration.seconds(settings.timeoutSeconds) + .seconds(1)
            return try await withDeadline(limit, timeout: { [engine] in
                IndexEngineError(.unavailable, engine: engine, knowledgeBase: generation?.knowledgeBase,
                                 "no answer within \(limit.components.seconds) s (vector.timeout)")
            }) { [database, settings] in
                try await database.inTransaction { session in
                    // Every setting of the transaction in one round trip (a SET per setting would cost one each).
                    try await session.raw(Self.setConfig([("statement_timeout", "\(settings.timeoutSeconds)s")] + extra)).run()
                    return try await body(session)
                }
            }
        } catch let error as IndexEngineError {
            throw error
        } catch let error as PSQLError where error.serverInfo != nil {
            let state = error.serverInfo?[.sqlState] ?? ""
            let message = error.serverInfo?[.message] ?? "error \(state)"
            switch state {
            case "42P01":
                if let generation { known.withLock { _ = $0.remove(generation) } }
                throw IndexEngineError(.needsTraining, engine: engine, knowledgeBase: generation?.knowledgeBase,
                                       "the table of generation \(generation?.number ?? 0) is missing (deleted outside Hyperion?)")
            case "57014", "57P01", "57P02", "57P03", "53300", "53400", "40001", "40P01":
                throw IndexEngineError(.unavailable, engine: engine, knowledgeBase: generation?.knowledgeBase, message)
            case _ where ["58P01", "0A000", "42704", "42501"].contains(state) && message.contains("vector"):
                throw IndexEngineError(.unavailable, engine: engine, "the vector extension is not available in this database: \(message)")
            default:
                if state.hasPrefix("08") { throw IndexEngineError(.unavailable, engine: engine, message) }
                throw IndexEngineError(.badResponse, engine: engine, knowledgeBase: generation?.knowledgeBase, message)
            }
        } catch {
            throw IndexEngineError(.unavailable, engine: engine, knowledgeBase: generation?.knowledgeBase,
                                   "cannot be reached: \(String(String(describing: error).prefix(160)))")
        }
    }
}

/// One generation's table.
struct PgVectorIndex: VectorIndex {
    let owner: PgVectorCollections
    let generation: IndexGeneration
    /// Rows per INSERT: a 384-dimension vector as text is about 4 KB.
    static let batch = 200

    var dimension: Int { owner.dimension }
    var table: String { generation.collectionName }

    func count() async throws -> Int {
        try await owner.run(generation) { [table] db in
            try await db.raw("SELECT COUNT(*) AS n FROM \(ident: table)").first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    func add(_ entries: [VectorEntry]) async throws {
        for entry in entries where entry.vector.count != dimension {
            throw HyperionError.invalid("vector", "has \(entry.vector.count) dimensions, the index \(dimension)")
        }
        for entry in entries where entry.id.isEmpty { throw HyperionError.invalid("id", "must not be empty") }
        // One row per id (the last wins): ON CONFLICT may not touch a row twice in one statement.
        let kept = entries.lastPerID(\.id)
        guard !kept.isEmpty else { return }
        try await owner.run(generation) { [table] db in
            for part in kept.chunked(Self.batch) {
                let rows: [SQLQueryString] = part.map { entry in
                    "(\(bind: entry.id), \(bind: entry.metadata.documentID), \(bind: entry.metadata.tags), \(bind: Self.literal(entry.vector))::vector)"
                }
                try await db.raw("""
                    INSERT INTO \(ident: table) (id, document_id, tags, embedding) VALUES \(SQLList(rows))
                    ON CONFLICT (id) DO UPDATE SET document_id = EXCLUDED.document_id, tags = EXCLUDED.tags, embedding = EXCLUDED.embedding
                    """).run()
            }
        }
    }

    func remove(ids: [String]) async throws {
        guard !ids.isEmpty else { return }
        try await owner.run(generation) { [table] db in
            try await db.raw("DELETE FROM \(ident: table) WHERE id = ANY(\(bind: ids))").run()
        }
    }

    func remove(documentIDs: [String]) async throws {
        guard !documentIDs.isEmpty else { return }
        try await owner.run(generation) { [table] db in
            try await db.raw("DELETE FROM \(ident: table) WHERE document_id = ANY(\(bind: documentIDs))").run()
        }
    }

    /// HNSW for an unfiltered search; an exact scan for a filtered one, or when the graph's candidate list came back
    /// short of k (pgvector 0.6 stops at ef_search candidates, and a filter is applied after the graph walk).
    func search(_ query: [Float], k: Int, filter: SearchFilter) async throws -> [IndexHit] {
        guard k > 0 else { return [] }
        guard query.count == dimension else { throw HyperionError.invalid("vector", "has \(query.count) dimensions, the index \(dimension)") }
        if let ids = filter.documentIDs, ids.isEmpty { return [] }
        if let tags = filter.anyTags, tags.isEmpty { return [] }
        let vector = Self.literal(query)
        let exactOnly = !filter.isEmpty || k > 1000
        let graph = [("enable_indexscan", exactOnly ? "off" : "on"), ("hnsw.ef_search", "\(min(max(owner.settings.efSearch, k), 1000))")]
        return try await owner.run(generation, settings: graph) { [table] db in
            func select() async throws -> [IndexHit] {
                var conditions: [SQLQueryString] = []
                if let ids = filter.documentIDs { conditions.append("document_id = ANY(\(bind: ids.sorted()))") }
                if let tags = filter.anyTags { conditions.append("tags && \(bind: tags.sorted())") }
                let condition: SQLQueryString = conditions.isEmpty ? "" : "WHERE \(SQLList(conditions, separator: SQLRaw(" AND ")))"
                return try await db.raw("""
                    SELECT id, document_id, embedding <=> \(bind: vector)::vector AS distance FROM \(ident: table) \(condition)
                    ORDER BY embedding <=> \(bind: vector)::vector LIMIT \(literal: k)
                    """).all().map { row in
                        IndexHit(id: try row.decode(column: "id", as: String.self), documentID: try row.decode(column: "document_id", as: String.self),
                                 score: 1 - Float(try row.decode(column: "distance", as: Double.self)))
                    }
            }
            let hits = try await select()
            guard !exactOnly, hits.count < k else { return hits }
            try await db.raw(PgVectorCollections.setConfig([("enable_indexscan", "off")])).run()
            return try await select()
        }
    }

    /// pgvector's text form of a vector.
    static func literal(_ vector: [Float]) -> String {
        "[" + vector.map { $0.isFinite ? "\($0)" : "0" }.joined(separator: ",") + "]"
    }
}
