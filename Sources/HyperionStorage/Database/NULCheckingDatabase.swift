import HyperionCore
import Logging
import NIOCore
import SQLKit

/// Refuses text binds containing NUL before they reach the database. PostgreSQL rejects such text with
/// an error (a 500 for whatever request carried it) while SQLite stores it; checking here makes both
/// backends answer the same validation error, whatever route or parameter the text came from.
struct NULCheckingDatabase: SQLDatabase {
    let base: any SQLDatabase

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { base.queryLogLevel }

    static let refusal = HyperionError(.validation, code: "validation_error", message: "text must not contain NUL (\\u0000) characters")

    func check(_ query: any SQLExpression) throws {
        for bind in serialize(query).binds {
            if let text = bind as? String, text.utf8.contains(0) { throw Self.refusal }
        }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        do {
            try check(query)
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
        return base.execute(sql: query, onRow)
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        try check(query)
        try await base.execute(sql: query, onRow)
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await base.withSession { session in try await closure(NULCheckingDatabase(base: session)) }
    }
}
