/// One versioned schema change. Versions only grow; an applied migration is never edited.
public struct Migration: Sendable {
    /// Monotonic version number, recorded in `schema_migrations`.
    public let version: Int
    /// Short human name.
    public let name: String
    /// The statements, spelled for the given dialect.
    public let statements: @Sendable (StoreDialect) -> [String]

    /// Creates a migration.
    public init(version: Int, name: String, statements: @escaping @Sendable (StoreDialect) -> [String]) {
        self.version = version
        self.name = name
        self.statements = statements
    }
}

extension Migration {
    /// Every migration Hyperion knows, in order.
    public static let all: [Migration] = [
        .createUsers,
        .createAuth,
        .createKnowledge,
        .createAnswers,
        .createKeywordPostings,
        .addSessionEpoch,
        .createIndexChanges,
        .createLLMProviders,
        .addJobTraceParent,
    ]

    /// The trace of the request that queued a job, so the job's trace can link to it.
    static let addJobTraceParent = Migration(version: 9, name: "add jobs.trace_parent") { _ in
        ["ALTER TABLE jobs ADD COLUMN trace_parent TEXT"]
    }

    /// LLM connections added at run time (the configuration file's stay in the configuration), their API keys
    /// encrypted; and server-wide settings changed at run time (the default LLM provider).
    static let createLLMProviders = Migration(version: 8, name: "create llm providers, server settings") { d in
        [
            """
            CREATE TABLE llm_providers (
                id \(d.uuid) PRIMARY KEY,
                name \(d.text) NOT NULL UNIQUE,
                kind \(d.text) NOT NULL,
                base_url \(d.text) NOT NULL,
                model \(d.text),
                api_key_ciphertext \(d.text),
                connect_timeout_ms \(d.int) NOT NULL,
                first_token_timeout_ms \(d.int) NOT NULL,
                total_timeout_ms \(d.int) NOT NULL,
                created_by \(d.uuid),
                created_at \(d.timestamp) NOT NULL,
                updated_at \(d.timestamp) NOT NULL
            )
            """,
            """
            CREATE TABLE server_settings (
                key \(d.text) PRIMARY KEY,
                value \(d.text) NOT NULL,
                updated_at \(d.timestamp) NOT NULL
            )
            """,
        ]
    }

    /// The index change log: written in the same transaction as the chunks it describes, read by every instance
    /// with in-process indexes so each applies what the others ingested and deleted (see `IndexChangeRepository`).
    static let createIndexChanges = Migration(version: 7, name: "create index change log") { d in
        [
            """
            CREATE TABLE index_changes (
                seq \(d.serialKey),
                knowledge_base \(d.text) NOT NULL,
                generation \(d.int),
                document_id \(d.text) NOT NULL,
                kind \(d.text) NOT NULL,
                origin \(d.text) NOT NULL,
                created_at \(d.timestamp) NOT NULL
            )
            """,
            "CREATE INDEX index_changes_created ON index_changes (created_at)",
            "CREATE INDEX index_changes_knowledge_base ON index_changes (knowledge_base, seq)",
        ]
    }

    /// A user's session epoch: access tokens carry the epoch they were issued in, and a password change or
    /// sign-out-everywhere moves it on, so every instance refuses the older tokens (not only the refresh tokens).
    static let addSessionEpoch = Migration(version: 6, name: "add users.session_epoch") { d in
        ["ALTER TABLE users ADD COLUMN session_epoch \(d.bigint) NOT NULL DEFAULT 0"]
    }

    /// Accounts (issue: accounts and access builds on this table).
    static let createUsers = Migration(version: 1, name: "create users") { d in
        [
            """
            CREATE TABLE users (
                id \(d.uuid) PRIMARY KEY,
                email \(d.text) NOT NULL UNIQUE,
                full_name \(d.text),
                role \(d.text) NOT NULL,
                is_disabled \(d.bool) NOT NULL,
                password_hash \(d.text) NOT NULL,
                created_at \(d.timestamp) NOT NULL,
                updated_at \(d.timestamp) NOT NULL
            )
            """,
            "CREATE INDEX users_created_at ON users (created_at)",
        ]
    }

    /// Refresh tokens, API keys and the audit log.
    static let createAuth = Migration(version: 2, name: "create refresh tokens, api keys, audit events") { d in
        [
            """
            CREATE TABLE refresh_tokens (
                id \(d.uuid) PRIMARY KEY,
                user_id \(d.uuid) NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                family_id \(d.uuid) NOT NULL,
                token_hash \(d.text) NOT NULL UNIQUE,
                created_at \(d.timestamp) NOT NULL,
                expires_at \(d.timestamp) NOT NULL,
                used_at \(d.timestamp),
                revoked_at \(d.timestamp)
            )
            """,
            "CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id)",
            "CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id)",
            """
            CREATE TABLE api_keys (
                id \(d.uuid) PRIMARY KEY,
                user_id \(d.uuid) NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                name \(d.text) NOT NULL,
                prefix \(d.text) NOT NULL,
                key_hash \(d.text) NOT NULL UNIQUE,
                created_at \(d.timestamp) NOT NULL,
                last_used_at \(d.timestamp),
                expires_at \(d.timestamp),
                revoked_at \(d.timestamp)
            )
            """,
            "CREATE INDEX api_keys_user ON api_keys (user_id)",
            """
            CREATE TABLE audit_events (
                id \(d.uuid) PRIMARY KEY,
                kind \(d.text) NOT NULL,
                user_id \(d.uuid),
                actor_id \(d.uuid),
                email \(d.text),
                client_address \(d.text),
                detail \(d.text),
                created_at \(d.timestamp) NOT NULL
            )
            """,
            "CREATE INDEX audit_events_created ON audit_events (created_at)",
            "CREATE INDEX audit_events_kind ON audit_events (kind, created_at)",
            "CREATE INDEX audit_events_user ON audit_events (user_id, created_at)",
        ]
    }
}
