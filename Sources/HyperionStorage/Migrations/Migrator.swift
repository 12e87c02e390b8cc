import Foundation
import HyperionCore
import Logging
import SQLKit
import SQLiteNIO

/// Applies pending ``Migration``s under a lock so two instances starting together never race.
///
/// PostgreSQL: a session-level advisory lock held on one connection while each migration runs in its
/// own transaction. SQLite: one `BEGIN IMMEDIATE` transaction, which holds the file's write lock.
public struct Migrator: Sendable {
    /// Advisory lock key: "HYPERION" folded into 63 bits; any constant works as long as it is fixed.
    static let advisoryLockKey: Int64 = 0x4859_5045_5249_4F4E

    let store: Store
    let migrations: [Migration]
    let logger: Logger

    /// Creates a migrator for `store`.
    public init(store: Store, migrations: [Migration] = Migration.all, logger: Logger) {
        self.store = store
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.logger = logger
    }

    /// The newest version this build knows.
    public var latestVersion: Int { migrations.last?.version ?? 0 }

    /// Applies every pending migration and returns the versions applied (empty when current).
    @discardableResult
    public func migrate() async throws -> [Int] {
        let dialect = store.dialect
        let migrations = self.migrations
        let logger = self.logger
        switch dialect {
        case .postgres:
            return try await store.database.withSession { session in
                try await session.raw("SELECT pg_advisory_lock(\(literal: Self.advisoryLockKey))").run()
                do {
                    try await Self.createVersionTable(session, dialect)
                    let applied = try await Self.appliedVersions(session)
                    var done: [Int] = []
                    for migration in migrations where !applied.contains(migration.version) {
                        try await session.raw("BEGIN").run()
                        do {
                            try await Self.apply(migration, on: session, dialect: dialect)
                            try await session.raw("COMMIT").run()
                        } catch {
                            try? await session.raw("ROLLBACK").run()
                            throw error
                        }
                        logger.info("applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
                        done.append(migration.version)
                    }
                    try await session.raw("SELECT pg_advisory_unlock(\(literal: Self.advisoryLockKey))").run()
                    return done
                } catch {
                    try? await session.raw("SELECT pg_advisory_unlock(\(literal: Self.advisoryLockKey))").run()
                    throw error
                }
            }
        case .sqlite:
            // Another process migrating holds the write lock for as long as its migrations take, which can outlast the
            // connection's busy_timeout (a big table altered, a loaded machine): wait for it rather than fail to start.
            let deadline = ContinuousClock.now + .seconds(600)
            while true {
                do {
                    return try await store.transaction { session in
                        try await Self.createVersionTable(session, dialect)
                        let applied = try await Self.appliedVersions(session)
                        var done: [Int] = []
                        for migration in migrations where !applied.contains(migration.version) {
                            try await Self.apply(migration, on: session, dialect: dialect)
                            logger.info("applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
                            done.append(migration.version)
                        }
                        return done
                    }
                } catch let error as SQLiteError where Self.isBusy(error) && ContinuousClock.now < deadline {
                    logger.notice("another process holds the database's write lock; waiting to migrate")
                    try await Task.sleep(for: .milliseconds(250))
                }
            }
        }
    }

    /// Whether SQLite gave up waiting for another connection's lock.
    static func isBusy(_ error: SQLiteError) -> Bool {
        if case .busy = error.reason { return true }
        return false
    }

    /// The versions recorded as applied; empty when the version table does not exist yet.
    public func appliedVersions() async throws -> Set<Int> {
        do {
            return try await Self.appliedVersions(store.database)
        } catch {
            // A fresh database has no version table: nothing is applied.
            return []
        }
    }

    /// Whether every known migration is applied.
    public func isCurrent() async throws -> Bool {
        let applied = try await appliedVersions()
        return migrations.allSatisfy { applied.contains($0.version) }
    }

    private static func createVersionTable(_ db: any SQLDatabase, _ d: StoreDialect) async throws {
        try await db.raw(
            SQLQueryString(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version \(unsafeRaw: d.bigint) PRIMARY KEY, name \(unsafeRaw: d.text) NOT NULL, applied_at \(unsafeRaw: d.timestamp) NOT NULL)"
            )
        ).run()
    }

    private static func appliedVersions(_ db: any SQLDatabase) async throws -> Set<Int> {
        let rows = try await db.select().column("version").from("schema_migrations").all()
        return Set(try rows.map { try $0.decode(column: "version", as: Int.self) })
    }

    private static func apply(_ migration: Migration, on db: any SQLDatabase, dialect: StoreDialect) async throws {
        for statement in migration.statements(dialect) {
            try await db.raw(SQLQueryString(statement)).run()
        }
        try await db.insert(into: "schema_migrations")
            .columns("version", "name", "applied_at")
            .values(SQLBind(migration.version), SQLBind(migration.name), SQLBind(Date()))
            .run()
    }
}
