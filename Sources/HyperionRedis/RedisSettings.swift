import Foundation

/// Where Redis is and how to talk to it, from one URL:
/// `redis://[user:password@]host[:port][/db]`, `rediss://…` (TLS), or `unix:///path/to/redis.sock[?db=N&password=…]`.
public struct RedisSettings: Sendable, Equatable {
    /// How to reach the server.
    public enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case unixSocket(path: String)
    }

    public var endpoint: Endpoint
    /// TLS (`rediss://`), verified against the system's trust roots or ``caFile``.
    public var tls: Bool
    /// ACL user name (Redis 6+); nil authenticates as `default` with ``password`` alone.
    public var username: String?
    public var password: String?
    /// Database number (`SELECT`).
    public var database: Int
    /// Longest wait for any one command or connection attempt.
    public var timeout: Duration
    /// Prefix of every key and channel Hyperion uses, so several deployments can share one Redis.
    public var keyPrefix: String
    /// PEM file of the certificate authority for `rediss://` with a private CA.
    public var caFile: String?

    /// Parses `url`; the message of a thrown error says what is wrong without echoing a password.
    public init(url: String, timeout: Duration = .seconds(2), keyPrefix: String = "hyperion:", caFile: String? = nil) throws {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else {
            throw RedisSettingsError("is not a URL; use redis://host:port/db, rediss://… or unix:///path")
        }
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        username = components.user.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding }
        password = components.password?.removingPercentEncoding ?? query["password"]
        var database = 0
        switch scheme {
        case "redis", "rediss":
            guard let host = components.host, !host.isEmpty else { throw RedisSettingsError("has no host") }
            let port = components.port ?? 6379
            guard (1...65535).contains(port) else { throw RedisSettingsError("has an invalid port") }
            endpoint = .tcp(host: host, port: port)
            tls = scheme == "rediss"
            let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            if !path.isEmpty {
                guard let number = Int(path) else { throw RedisSettingsError("has a database '\(path.prefix(20))' that is not a number") }
                database = number
            }
        case "unix", "redis+unix":
            guard !components.path.isEmpty else { throw RedisSettingsError("has no socket path") }
            endpoint = .unixSocket(path: components.path)
            tls = false
        default:
            throw RedisSettingsError("has scheme '\(scheme.prefix(20))'; use redis, rediss or unix")
        }
        if let raw = query["db"] {
            guard let number = Int(raw) else { throw RedisSettingsError("has a db '\(raw.prefix(20))' that is not a number") }
            database = number
        }
        guard (0...1_000_000).contains(database) else { throw RedisSettingsError("has a negative database number") }
        self.database = database
        self.timeout = timeout
        self.keyPrefix = keyPrefix
        self.caFile = caFile
    }

    /// The server as logs may show it: never the password.
    public var displayName: String {
        switch endpoint {
        case .tcp(let host, let port): "\(tls ? "rediss" : "redis")://\(host):\(port)/\(database)"
        case .unixSocket(let path): "unix://\(path)?db=\(database)"
        }
    }
}

/// What is wrong with a Redis URL.
public struct RedisSettingsError: Error, Sendable, CustomStringConvertible {
    public let reason: String
    init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
