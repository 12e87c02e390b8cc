import SQLKit

extension SQLDatabase {
    /// Runs `body` on one connection between `begin` and `COMMIT`. Any error after `begin` (the body's, or a
    /// statement it runs first) rolls back, so the connection never returns to its pool inside a transaction.
    func inTransaction<T: Sendable>(begin: String = "BEGIN", _ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await withSession { session in
            try await session.raw(SQLQueryString(begin)).run()
            do {
                let value = try await body(session)
                try await session.raw("COMMIT").run()
                return value
            } catch {
                try? await session.raw("ROLLBACK").run()
                throw error
            }
        }
    }
}
