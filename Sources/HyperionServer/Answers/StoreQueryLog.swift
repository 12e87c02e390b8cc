import HyperionCore
import HyperionStorage

/// The answer engine's query log in the store: the `queries` table and, for completed queries in a session, the
/// session's two new messages.
struct StoreQueryLog: QueryLog {
    let store: Store

    func started(_ query: QueryRecord) async throws { try await store.queries.create(query) }

    func finished(_ query: QueryRecord) async throws {
        try await store.queries.update(query)
        if let sessionID = query.sessionID, query.status == .completed {
            try await store.sessions.append([
                SessionMessage(sessionID: sessionID, role: .user, content: query.query, queryID: query.id, createdAt: query.createdAt),
                SessionMessage(sessionID: sessionID, role: .assistant, content: query.answer, queryID: query.id),
            ], to: sessionID)
        }
    }
}
