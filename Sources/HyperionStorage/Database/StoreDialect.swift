/// The one place where SQLite and PostgreSQL differ for Hyperion's store.
///
/// Repositories and migrations ask the dialect for column types and the few statements that are
/// spelled differently; everything else is the same SQLKit code for both databases.
public enum StoreDialect: String, Sendable {
    /// SQLite file in the data directory (the embedded default).
    case sqlite
    /// PostgreSQL reached through a `postgres://` URL.
    case postgres

    /// Column type for UUID ids (SQLite stores the canonical text form).
    public var uuid: String { self == .postgres ? "UUID" : "TEXT" }
    /// Column type for UTC timestamps (SQLite stores Unix seconds as REAL).
    public var timestamp: String { self == .postgres ? "TIMESTAMPTZ" : "REAL" }
    /// Column type for booleans.
    public var bool: String { self == .postgres ? "BOOLEAN" : "INTEGER" }
    /// Column type for free text.
    public var text: String { "TEXT" }
    /// Column type for 64-bit integers.
    public var bigint: String { self == .postgres ? "BIGINT" : "INTEGER" }
    /// Column type for 32-bit integers.
    public var int: String { "INTEGER" }
    /// Column type for floating-point numbers.
    public var double: String { self == .postgres ? "DOUBLE PRECISION" : "REAL" }
    /// An auto-numbered 64-bit primary key column.
    public var serialKey: String { self == .postgres ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT" }
    /// Column type for raw bytes.
    public var bytes: String { self == .postgres ? "BYTEA" : "BLOB" }

    /// Starts a write transaction. SQLite takes the database write lock at once (`IMMEDIATE`) so two
    /// writers fail fast on the busy timeout instead of deadlocking on lock upgrade.
    public var beginTransaction: String { self == .postgres ? "BEGIN" : "BEGIN IMMEDIATE" }

    /// Whether a driver error text means a UNIQUE constraint was violated.
    public func isUniqueViolation(_ error: any Error) -> Bool {
        let text = String(reflecting: error)
        switch self {
        case .postgres: return text.contains("23505") || text.contains("uniqueViolation") || text.contains("unique_violation")
        case .sqlite: return text.contains("UNIQUE constraint failed")
        }
    }
}
