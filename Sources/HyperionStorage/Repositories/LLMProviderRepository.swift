import Foundation
import HyperionCore
import SQLKit

/// LLM connections added at run time (`llm_providers`).
public struct LLMProviderRepository: Sendable {
    let store: Store

    private struct Row: Codable {
        var id: UUID
        var name: String
        var kind: String
        var base_url: String
        var model: String?
        var api_key_ciphertext: String?
        var connect_timeout_ms: Int
        var first_token_timeout_ms: Int
        var total_timeout_ms: Int
        var created_by: UUID?
        var created_at: Date
        var updated_at: Date

        init(_ r: LLMProviderRecord) {
            id = r.id; name = r.name; kind = r.kind; base_url = r.baseURL; model = r.model; api_key_ciphertext = r.apiKeyCiphertext
            connect_timeout_ms = r.connectTimeoutMilliseconds; first_token_timeout_ms = r.firstTokenTimeoutMilliseconds
            total_timeout_ms = r.totalTimeoutMilliseconds; created_by = r.createdBy; created_at = r.createdAt; updated_at = r.updatedAt
        }

        var record: LLMProviderRecord {
            LLMProviderRecord(id: id, name: name, kind: kind, baseURL: base_url, model: model, apiKeyCiphertext: api_key_ciphertext,
                              connectTimeoutMilliseconds: connect_timeout_ms, firstTokenTimeoutMilliseconds: first_token_timeout_ms,
                              totalTimeoutMilliseconds: total_timeout_ms, createdBy: created_by, createdAt: created_at, updatedAt: updated_at)
        }
    }

    /// Every stored provider, by name.
    public func all() async throws -> [LLMProviderRecord] {
        try await store.database.select().columns("*").from("llm_providers").orderBy("name").all(decoding: Row.self).map(\.record)
    }

    /// The provider with this name, if stored.
    public func find(name: String) async throws -> LLMProviderRecord? {
        try await store.database.select().columns("*").from("llm_providers").where("name", .equal, name).first(decoding: Row.self)?.record
    }

    /// Stores a new provider; a taken name is a conflict.
    public func insert(_ record: LLMProviderRecord) async throws {
        do {
            try await store.database.insert(into: "llm_providers").model(Row(record)).run()
        } catch where store.dialect.isUniqueViolation(error) {
            throw HyperionError(.conflict, code: "provider_exists", message: "an LLM provider named '\(record.name)' exists already")
        }
    }

    /// Replaces a stored provider's fields (by id).
    public func update(_ record: LLMProviderRecord) async throws {
        // Every column, NULLs included: a removed key or model must be cleared, not skipped.
        try await store.database.update("llm_providers").set(model: Row(record), nilEncodingStrategy: .asNil).where("id", .equal, record.id).run()
    }

    /// Deletes a provider; false when there was none of that name.
    public func delete(name: String) async throws -> Bool {
        let rows = try await store.database.delete(from: "llm_providers").where("name", .equal, name).returning("id").all()
        return !rows.isEmpty
    }
}

/// Server-wide settings changed at run time (`server_settings`), e.g. the default LLM provider.
public struct ServerSettingRepository: Sendable {
    let store: Store

    private struct Row: Codable {
        var key: String
        var value: String
        var updated_at: Date
    }

    /// The value of `key`, if set.
    public func value(_ key: String) async throws -> String? {
        try await store.database.select().columns("*").from("server_settings").where("key", .equal, key).first(decoding: Row.self)?.value
    }

    /// Sets `key` (nil removes it).
    public func set(_ key: String, _ value: String?) async throws {
        try await store.transaction { db in
            try await db.delete(from: "server_settings").where("key", .equal, key).run()
            if let value { try await db.insert(into: "server_settings").model(Row(key: key, value: value, updated_at: Date())).run() }
        }
    }
}
