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
    ]

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
}
