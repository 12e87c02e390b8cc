@preconcurrency import AsyncKit
import Foundation
import HyperionCore
import Logging
import NIOCore
import NIOPosix
import PostgresKit
import SQLKit
import SQLiteKit

/// Hyperion's relational store: one SQLKit code path for SQLite and PostgreSQL.
///
/// Open it with ``open(_:logger:)``, apply migrations with ``Migrator``, reach the repositories
/// (``users``, …) and close it with ``close()`` when the process shuts down.
public final class Store: Sendable {
    /// The database every repository talks to.
    let database: any SQLDatabase
    /// Which backend is behind ``database``.
    public let dialect: StoreDialect
    /// Names this process's writes in the index change log, so it skips what it applied itself.
    public let origin = UUID().lowercasedString
    private let shutdown: @Sendable () async throws -> Void
    /// SQLite has one writer: write transactions queue here (without holding a thread) instead of in
    /// `busy_timeout`. PostgreSQL needs no gate.
    private let writeGate: AsyncGate?
    private let inFlight = InFlightCounter()
    /// The connections the pool may open (per event loop times the loops).
    public let poolSize: Int
    /// Statements and transactions holding or waiting for a connection now; at ``poolSize`` or more, callers queue.
    public var operationsInFlight: Int { inFlight.current }

    init(database: any SQLDatabase, dialect: StoreDialect, poolSize: Int, shutdown: @escaping @Sendable () async throws -> Void) {
        self.database = InFlightDatabase(base: NULCheckingDatabase(base: database), counter: inFlight)
        self.poolSize = poolSize
        self.dialect = dialect
        self.shutdown = shutdown
        self.writeGate = dialect == .sqlite ? AsyncGate() : nil
    }

    /// Connects to the configured backend. A SQLite file (and its folder) is created when missing.
    /// - Throws: ``HyperionError`` of kind `unavailable` when the database cannot be reached.
    public static func open(_ configuration: StoreConfiguration, logger: Logger) async throws -> Store {
        var logger = logger
        logger[metadataKey: "component"] = "store"
        switch configuration.backend {
        case .sqlite(let path):
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            // SQLite calls block their thread; a pool of our own keeps them off the process-wide singleton
            // (two threads on two cores), which other blocking work shares.
            let threads = NIOThreadPool(numberOfThreads: max(4, 2 * System.coreCount))
            threads.start()
            let group = MultiThreadedEventLoopGroup.singleton
            let pool = EventLoopGroupConnectionPool(
                source: SQLiteConnectionFactory(path: path, threadPool: threads),
                maxConnectionsPerEventLoop: Self.sqliteConnectionsPerLoop,
                pruneInterval: nil,
                logger: logger,
                on: group
            )
            let owned = OwnedPool(pool, threads: threads, logger: logger)
            let store = Store(database: SQLitePoolDatabase(pool: pool, logger: logger), dialect: .sqlite,
                              poolSize: Self.sqliteConnectionsPerLoop * Self.loopCount(group), shutdown: owned.close)
            try await store.checkReachable()
            return store
        case .postgres(let url):
            let sqlConfiguration: SQLPostgresConfiguration
            do {
                sqlConfiguration = try SQLPostgresConfiguration(url: url)
            } catch {
                throw HyperionError.invalid("database.url", "is not a valid PostgreSQL URL")
            }
            let group = MultiThreadedEventLoopGroup.singleton
            let pool = EventLoopGroupConnectionPool(
                source: PostgresConnectionSource(sqlConfiguration: sqlConfiguration),
                maxConnectionsPerEventLoop: configuration.poolSize,
                pruneInterval: .seconds(60),
                logger: logger,
                on: group
            )
            let owned = OwnedPool(pool, logger: logger)
            let store = Store(database: pool.database(logger: logger).sql(queryLogLevel: .trace), dialect: .postgres,
                              poolSize: configuration.poolSize * Self.loopCount(group), shutdown: owned.close)
            try await store.checkReachable()
            return store
        }
    }

    /// SQLite connections per event loop (one writer at a time anyway; a second serves reads meanwhile).
    static let sqliteConnectionsPerLoop = 2

    /// Event loops in `group`: the pool opens up to its per-loop limit on each.
    private static func loopCount(_ group: MultiThreadedEventLoopGroup) -> Int {
        group.makeIterator().reduce(0) { count, _ in count + 1 }
    }

    private func checkReachable() async throws {
        do {
            try await ping()
        } catch {
            try? await close()
            throw HyperionError(
                .unavailable, code: "store_unreachable",
                message: "the \(dialect.rawValue) database cannot be reached: \(Self.shortReason(error))"
            )
        }
    }

    /// Runs a trivial query; throws when the database is not reachable.
    public func ping() async throws {
        try await database.raw("SELECT 1").run()
    }

    /// Runs `body` in one transaction on one connection: committed when it returns, rolled back when it throws.
    ///
    /// With a `lock`, transactions naming the same lock run one at a time on PostgreSQL too (a transaction-scoped
    /// advisory lock), e.g. to decide "is this the first user?" and insert in one step. On SQLite every
    /// write transaction already runs alone.
    public func transaction<T: Sendable>(lock: TransactionLock? = nil, _ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        if let writeGate {
            return try await writeGate.withGate { try await self.runTransaction(lock: nil, body) }
        }
        return try await runTransaction(lock: lock, body)
    }

    private func runTransaction<T: Sendable>(lock: TransactionLock?, _ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await database.inTransaction(begin: dialect.beginTransaction) { session in
            if let lock {
                try await session.raw("SELECT pg_advisory_xact_lock(\(bind: lock.key))").run()
            }
            return try await body(session)
        }
    }

    /// A named lock for ``transaction(lock:_:)``.
    public struct TransactionLock: Sendable {
        /// The PostgreSQL advisory lock key.
        public let key: Int64
        /// Serialises "first account becomes admin" decisions.
        public static let firstUser = TransactionLock(key: 0x4859_5045_5255_0001)
    }

    /// Counts the rows of `table` that `filter` keeps.
    func count(_ table: String, where filter: (SQLSelectBuilder) -> SQLSelectBuilder = { $0 }) async throws -> Int {
        let query = database.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from(table)
        return try await filter(query).first()?.decode(column: "n", as: Int.self) ?? 0
    }

    /// Closes every connection. Later calls do nothing; a store released unclosed closes itself.
    public func close() async throws {
        try await shutdown()
    }

    /// Refresh tokens.
    public var refreshTokens: RefreshTokenRepository { RefreshTokenRepository(store: self) }
    /// API keys.
    public var apiKeys: APIKeyRepository { APIKeyRepository(store: self) }
    /// LLM connections added at run time.
    public var llmProviders: LLMProviderRepository { LLMProviderRepository(store: self) }
    /// Server-wide settings changed at run time.
    public var serverSettings: ServerSettingRepository { ServerSettingRepository(store: self) }
    /// The audit log.
    public var audit: AuditRepository { AuditRepository(store: self) }

    /// RAG models.
    public var knowledgeBases: KnowledgeBaseRepository { KnowledgeBaseRepository(store: self) }
    /// Documents and chunks.
    public var documents: DocumentRepository { DocumentRepository(store: self) }
    /// The index change log.
    public var indexChanges: IndexChangeRepository { IndexChangeRepository(store: self) }
    /// The query log.
    public var queries: QueryRepository { QueryRepository(store: self) }
    /// Chat sessions and messages.
    public var sessions: SessionRepository { SessionRepository(store: self) }
    /// The job queue.
    public var jobs: SQLJobQueue { SQLJobQueue(store: self) }

    /// The users repository.
    public var users: UserRepository { UserRepository(store: self) }

    /// A driver error reduced to one line without bind values.
    static func shortReason(_ error: any Error) -> String {
        let text = String(describing: error)
        return String(text.prefix(200))
    }
}
