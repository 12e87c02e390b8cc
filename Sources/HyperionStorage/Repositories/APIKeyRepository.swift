import Foundation
import HyperionCore
import SQLKit

/// API keys, stored by hash.
public struct APIKeyRepository: Sendable {
    let store: Store

    private struct Row: Codable {
        var id: UUID
        var user_id: UUID
        var name: String
        var prefix: String
        var key_hash: String
        var created_at: Date
        var last_used_at: Date?
        var expires_at: Date?
        var revoked_at: Date?

        init(_ r: APIKeyRecord) {
            id = r.id; user_id = r.userID; name = r.name; prefix = r.prefix; key_hash = r.keyHash
            created_at = r.createdAt; last_used_at = r.lastUsedAt; expires_at = r.expiresAt; revoked_at = r.revokedAt
        }

        var record: APIKeyRecord {
            APIKeyRecord(
                id: id, userID: user_id, name: name, prefix: prefix, keyHash: key_hash, createdAt: created_at,
                lastUsedAt: last_used_at, expiresAt: expires_at, revokedAt: revoked_at
            )
        }
    }

    /// Stores a new key.
    public func insert(_ record: APIKeyRecord) async throws {
        try await store.database.insert(into: "api_keys").model(Row(record)).run()
    }

    /// The key with this hash, if any (revoked or expired keys included; the caller decides).
    public func find(hash: String) async throws -> APIKeyRecord? {
        try await store.database.select().columns("*").from("api_keys").where("key_hash", .equal, hash)
            .first(decoding: Row.self)?.record
    }

    /// A user's keys that are not revoked, newest first.
    public func list(userID: UUID, page: PageRequest) async throws -> Page<APIKeyRecord> {
        let rows = try await store.database.select().columns("*").from("api_keys")
            .where("user_id", .equal, userID).where("revoked_at", .is, SQLLiteral.null)
            .orderBy("created_at", .descending).orderBy("id")
            .limit(page.limit).offset(page.skip).all(decoding: Row.self)
        let total = try await store.count("api_keys") { $0.where("user_id", .equal, userID).where("revoked_at", .is, SQLLiteral.null) }
        return Page(items: rows.map(\.record), total: total, request: page)
    }

    /// Revokes a key of this user; returns false when there is no such active key.
    public func revoke(id: UUID, userID: UUID, at date: Date = Date()) async throws -> Bool {
        let rows = try await store.database.update("api_keys").set("revoked_at", to: date)
            .where("id", .equal, id).where("user_id", .equal, userID).where("revoked_at", .is, SQLLiteral.null)
            .returning("id").all()
        return !rows.isEmpty
    }

    /// Revokes every key of a user (when the user is disabled).
    public func revokeAll(userID: UUID, at date: Date = Date()) async throws {
        try await store.database.update("api_keys").set("revoked_at", to: date)
            .where("user_id", .equal, userID).where("revoked_at", .is, SQLLiteral.null).run()
    }

    /// Records a use.
    public func touch(id: UUID, at date: Date = Date()) async throws {
        try await store.database.update("api_keys").set("last_used_at", to: date).where("id", .equal, id).run()
    }
}
