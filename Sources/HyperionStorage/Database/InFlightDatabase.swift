import Logging
import NIOCore
import SQLKit
import Synchronization

/// Counts the statements and sessions (transactions) that hold or wait for one of the pool's connections, for the
/// pool-usage gauge of `/metrics`: at the pool's size every further statement queues. Statements inside a session
/// use its connection and are not counted again.
struct InFlightDatabase: SQLDatabase {
    let base: any SQLDatabase
    let counter: InFlightCounter

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { base.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        counter.enter()
        return base.execute(sql: query, onRow).always { [counter] _ in counter.leave() }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        counter.enter()
        defer { counter.leave() }
        try await base.execute(sql: query, onRow)
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        counter.enter()
        defer { counter.leave() }
        return try await base.withSession(closure)
    }
}

/// How many statements and sessions are in flight now.
final class InFlightCounter: Sendable {
    private let value = Atomic<Int>(0)

    func enter() { value.add(1, ordering: .relaxed) }
    func leave() { value.subtract(1, ordering: .relaxed) }
    var current: Int { value.load(ordering: .relaxed) }
}
