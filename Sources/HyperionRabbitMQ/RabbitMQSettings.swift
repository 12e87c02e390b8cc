import Foundation

/// Where RabbitMQ is and how to reach it: `amqp://user:password@host:port/vhost` or `amqps://…` (TLS, verified
/// against the system's or `caFile`'s authorities). The default vhost is `/`.
public struct RabbitMQSettings: Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String
    public var vhost: String
    public var tls: Bool
    public var caFile: String?
    /// Connect and confirm wait.
    public var timeout: Duration
    /// Prefix of the queue and exchange names, so several deployments can share one broker.
    public var prefix: String

    /// Parses `url`; throws ``RabbitMQSettingsError`` naming what is wrong.
    public init(url: String, caFile: String? = nil, timeout: Duration = .seconds(5), prefix: String = "hyperion") throws {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else {
            throw RabbitMQSettingsError(reason: "is not a URL (expected amqp://user:password@host:port/vhost)")
        }
        guard scheme == "amqp" || scheme == "amqps" else {
            throw RabbitMQSettingsError(reason: "scheme must be amqp or amqps, not \(scheme.prefix(20))")
        }
        guard let host = components.host, !host.isEmpty else { throw RabbitMQSettingsError(reason: "names no host") }
        tls = scheme == "amqps"
        self.host = host
        port = components.port ?? (tls ? 5671 : 5672)
        guard (1...65535).contains(port) else { throw RabbitMQSettingsError(reason: "port must be 1 to 65535") }
        user = components.user?.removingPercentEncoding ?? "guest"
        password = components.password?.removingPercentEncoding ?? "guest"
        // The path is the vhost, percent-encoded: `/` and `/%2F` both mean the default vhost `/`.
        let path = components.percentEncodedPath
        let trimmed = path.hasPrefix("/") ? String(path.dropFirst()) : path
        vhost = trimmed.isEmpty ? "/" : (trimmed.removingPercentEncoding ?? trimmed)
        self.caFile = caFile
        self.timeout = timeout
        guard !prefix.isEmpty, prefix.count <= 100, prefix.allSatisfy({ $0.isLetter || $0.isNumber || "._-".contains($0) }) else {
            throw RabbitMQSettingsError(reason: "the queue prefix may hold letters, digits, '.', '_' and '-' only (1 to 100)")
        }
        self.prefix = prefix
    }

    /// The broker's address without credentials, for logs and errors.
    public var description: String { "\(tls ? "amqps" : "amqp")://\(host):\(port)/\(vhost == "/" ? "" : vhost)" }

    /// The durable queue jobs wait in.
    public var requestQueue: String { "\(prefix).llm.requests" }
    /// Where failed and poison jobs end.
    public var deadLetterQueue: String { "\(prefix).llm.dead" }
    /// The fanout exchange cancellations go through.
    public var cancelExchange: String { "\(prefix).llm.cancel" }
    /// The reply queue of one requesting instance.
    public func replyQueue(instance: String) -> String { "\(prefix).llm.replies.\(instance)" }
}

/// A malformed `rabbitmq.url`.
public struct RabbitMQSettingsError: Error, Sendable {
    /// What is wrong, without the password.
    public var reason: String
}
