import Foundation
import HyperionCore
import SQLKit

/// Refresh tokens, stored by hash. Consuming one is a single conditional UPDATE, so two concurrent
/// refreshes with the same token cannot both succeed.
public struct RefreshTokenRepository: Sendable {
    let store: Store

    private struct Row: Codable {
        var id: UUID
        var user_id: UUID
        var family_id: UUID
        var token_hash: String
        var created_at: Date
        var expires_at: Date
        var used_at: Date?
        var revoked_at: Date?

        init(_ r: RefreshTokenRecord) {
            id = r.id; user_id = r.userID; family_id = r.familyID; token_hash = r.tokenHash
            created_at = r.createdAt; expires_at = r.expiresAt; used_at = r.usedAt; revoked_at = r.revokedAt
        }

        var record: RefreshTokenRecord {
            RefreshTokenRecord(
                id: id, userID: user_id, familyID: family_id, tokenHash: token_hash, createdAt: created_at,
                expiresAt: expires_at, usedAt: used_at, revokedAt: revoked_at
            )
        }
    }

    /// Stores a new token.
    public func insert(_ record: RefreshTokenRecord) async throws {
        try await store.database.insert(into: "refresh_tokens").model(Row(record)).run()
    }

    /// The token with this hash, if any.
    public func find(hash: String) async throws -> RefreshTokenRecord? {
        try await store.database.select().columns("*").from("refresh_tokens").where("token_hash", .equal, hash)
            .first(decoding: Row.self)?.record
    }

    /// Marks the token used if it is still unused and unrevoked; returns whether this call consumed it.
    public func consume(id: UUID, at date: Date = Date()) async throws -> Bool {
        let rows = try await store.database.update("refresh_tokens")
            .set("used_at", to: date)
            .where("id", .equal, id)
            .where("used_at", .is, SQLLiteral.null)
            .where("revoked_at", .is, SQLLiteral.null)
            .returning("id")
            .all()
        return !rows.isEmpty
    }

    /// Revokes every token of a family (logout, reuse detected).
    public func revokeFamily(_ familyID: UUID, at date: Date = Date()) async throws {
        try await store.database.update("refresh_tokens").set("revoked_at", to: date)
            .where("family_id", .equal, familyID).where("revoked_at", .is, SQLLiteral.null).run()
    }

    /// Revokes every token of a user (logout everywhere, password change, disable).
    public func revokeAll(userID: UUID, at date: Date = Date()) async throws {
        try await store.database.update("refresh_tokens").set("revoked_at", to: date)
            .where("user_id", .equal, userID).where("revoked_at", .is, SQLLiteral.null).run()
    }

    /// Tokens of a user still usable now (for tests and admin views).
    public func activeCount(userID: UUID, now: Date = Date()) async throws -> Int {
        try await store.count("refresh_tokens") {
            $0.where("user_id", .equal, userID).where("used_at", .is, SQLLiteral.null)
                .where("revoked_at", .is, SQLLiteral.null).where("expires_at", .greaterThan, now)
        }
    }
}
