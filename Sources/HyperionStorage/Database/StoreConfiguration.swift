import Configuration
import Foundation
import HyperionCore

/// Where the store lives.
///
/// Configuration keys:
/// - `database.url` (string, secret, default: SQLite file `hyperion.sqlite` in the data directory):
///   `postgres://user:pass@host:port/db` selects PostgreSQL; `sqlite:///abs/path` or `sqlite:relative/path` a SQLite file.
/// - `database.pool_size` (int, default 4): connections per event loop for PostgreSQL.
public struct StoreConfiguration: Sendable, CustomStringConvertible {
    /// The selected backend.
    public enum Backend: Sendable, Equatable {
        /// A SQLite file at this path.
        case sqlite(path: String)
        /// A PostgreSQL server; the URL may hold a password.
        case postgres(url: String)
    }

    /// The selected backend.
    public var backend: Backend
    /// PostgreSQL connections per event loop.
    public var poolSize: Int

    /// Creates a configuration.
    /// Connections per event loop when `database.pool_size` is not set.
    public static let defaultPoolSize = 4
    /// Allowed values of `database.pool_size`.
    public static let poolSizes = 1...64

    public init(backend: Backend, poolSize: Int = StoreConfiguration.defaultPoolSize) {
        self.backend = backend
        self.poolSize = poolSize
    }

    /// Reads `database.url` and `database.pool_size`.
    /// - Parameter dataDirectory: the data directory, holding the default SQLite file.
    public init(reader: ConfigReader, dataDirectory: URL) throws {
        let url = reader.string(forKey: "database.url", isSecret: true)?.trimmingCharacters(in: .whitespaces) ?? ""
        if let value = reader.string(forKey: "database.pool_size") ?? reader.int(forKey: "database.pool_size").map(String.init) {
            guard let size = Int(value), Self.poolSizes.contains(size) else {
                throw HyperionError.invalid("database.pool_size", "must be an integer from \(Self.poolSizes.lowerBound) to \(Self.poolSizes.upperBound), got '\(value)'")
            }
            self.poolSize = size
        } else {
            self.poolSize = Self.defaultPoolSize
        }
        self.backend = try Self.backend(from: url, dataDirectory: dataDirectory)
    }

    static func backend(from url: String, dataDirectory: URL) throws -> Backend {
        if url.isEmpty {
            return .sqlite(path: dataDirectory.appendingPathComponent("hyperion.sqlite").path)
        }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return .postgres(url: url)
        }
        if url.hasPrefix("sqlite://") {
            let path = String(url.dropFirst("sqlite://".count))
            guard !path.isEmpty else { throw HyperionError.invalid("database.url", "sqlite:// URL has no path") }
            return .sqlite(path: path)
        }
        if url.hasPrefix("sqlite:") {
            let path = String(url.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw HyperionError.invalid("database.url", "sqlite: URL has no path") }
            return .sqlite(path: path.hasPrefix("/") ? path : dataDirectory.appendingPathComponent(path).path)
        }
        throw HyperionError.invalid("database.url", "must start with postgres://, postgresql:// or sqlite:")
    }

    /// The dialect of the selected backend.
    public var dialect: StoreDialect {
        if case .postgres = backend { return .postgres }
        return .sqlite
    }

    /// A description with any password masked.
    public var description: String {
        switch backend {
        case .sqlite(let path): return "sqlite:\(path)"
        case .postgres(let url): return Self.maskPassword(in: url)
        }
    }

    /// Replaces the password of a URL's user-info with `***`. The user-info ends at the last `@` before the query:
    /// a password may hold a raw `@` (the first one would leave its tail in the log).
    public static func maskPassword(in url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let beforeQuery = url[schemeEnd.upperBound...].prefix { $0 != "?" && $0 != "#" }
        guard let at = beforeQuery.range(of: "@", options: .backwards) else { return url }
        let userInfo = url[schemeEnd.upperBound..<at.lowerBound]
        guard let colon = userInfo.firstIndex(of: ":") else { return url }
        return url.replacingCharacters(in: url.index(after: colon)..<at.lowerBound, with: "***")
    }
}
