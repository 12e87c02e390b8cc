@preconcurrency import AsyncKit
import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import SQLiteNIO

/// Opens SQLite connections configured the way Hyperion needs them on every connection:
/// WAL journal, foreign keys on, and a busy timeout so concurrent writers wait instead of failing.
struct SQLiteConnectionFactory: ConnectionPoolSource, Sendable {
    let path: String
    let threadPool: NIOThreadPool

    func makeConnection(logger: Logger, on eventLoop: any EventLoop) -> EventLoopFuture<SQLiteConnection> {
        SQLiteConnection.open(storage: .file(path: path), threadPool: threadPool, logger: logger, on: eventLoop)
            .flatMap { connection in
                let pragmas = [
                    "PRAGMA journal_mode = WAL",
                    "PRAGMA foreign_keys = ON",
                    "PRAGMA busy_timeout = 10000",
                    "PRAGMA synchronous = NORMAL",
                ]
                return pragmas.reduce(eventLoop.makeSucceededVoidFuture()) { chain, pragma in
                    chain.flatMap { connection.query(pragma).map { _ in } }
                }
                .map { connection }
                .flatMapErrorThrowing { error in
                    _ = connection.close()
                    throw error
                }
            }
    }
}

/// An `SQLDatabase` over a pool of SQLite connections; sessions pin one connection so
/// transactions see their own statements.
struct SQLitePoolDatabase: SQLDatabase {
    let pool: EventLoopGroupConnectionPool<SQLiteConnectionFactory>
    let logger: Logger
    var eventLoop: any EventLoop { pool.eventLoopGroup.any() }
    var dialect: any SQLDialect { SQLiteDialect() }
    var queryLogLevel: Logger.Level? { .trace }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        pool.withConnection(logger: logger) { connection in
            connection.sql(queryLogLevel: .trace).execute(sql: query, onRow)
        }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        try await execute(sql: query, onRow).get()
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        // The pool hands out connections through futures; bridge once and keep the connection for the session.
        let box = ResultBox<R>()
        try await pool.withConnection(logger: logger) { connection in
            connection.eventLoop.makeFutureWithTask {
                box.value = try await closure(connection.sql(queryLogLevel: .trace))
            }
        }.get()
        guard let value = box.value else { throw SQLitePoolError.sessionProducedNoValue }
        return value
    }
}

enum SQLitePoolError: Error { case sessionProducedNoValue }

/// Carries a session's result out of the future-based pool API without requiring `R: Sendable`.
private final class ResultBox<R>: @unchecked Sendable {
    var value: R?
}
