import Foundation
import HyperionCore
import SQLKit

/// The audit log: append-only events, listed newest first.
public struct AuditRepository: Sendable {
    let store: Store

    private struct Row: Codable {
        var id: UUID
        var kind: String
        var user_id: UUID?
        var actor_id: UUID?
        var email: String?
        var client_address: String?
        var detail: String?
        var created_at: Date

        init(_ e: AuditEvent) {
            id = e.id; kind = e.kind.rawValue; user_id = e.userID; actor_id = e.actorID; email = e.email
            client_address = e.clientAddress; detail = e.detail; created_at = e.createdAt
        }

        var event: AuditEvent? {
            guard let kind = AuditEvent.Kind(rawValue: kind) else { return nil }
            return AuditEvent(
                id: id, kind: kind, userID: user_id, actorID: actor_id, email: email, clientAddress: client_address,
                detail: detail, createdAt: created_at
            )
        }
    }

    /// Appends an event.
    public func record(_ event: AuditEvent) async throws {
        try await store.database.insert(into: "audit_events").model(Row(event)).run()
    }

    /// One page of events matching `filter`, newest first.
    public func list(_ filter: AuditFilter, page: PageRequest) async throws -> Page<AuditEvent> {
        func apply(_ query: SQLSelectBuilder) -> SQLSelectBuilder {
            var query = query
            if let kind = filter.kind { query = query.where("kind", .equal, kind.rawValue) }
            if let user = filter.userID { query = query.where("user_id", .equal, user) }
            if let since = filter.since { query = query.where("created_at", .greaterThanOrEqual, since) }
            if let until = filter.until { query = query.where("created_at", .lessThan, until) }
            return query
        }
        let rows = try await apply(store.database.select().columns("*").from("audit_events"))
            .orderBy("created_at", .descending).orderBy("id", .descending)
            .limit(page.limit).offset(page.skip).all(decoding: Row.self)
        let total = try await store.count("audit_events", where: apply)
        return Page(items: rows.compactMap(\.event), total: total, request: page)
    }
}
extension AuditRepository: EventSink {}
