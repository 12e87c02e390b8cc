import Configuration
import Foundation
import HyperionCore
import HyperionStorage
import Logging

/// The server's own settings, read once at start-up. Each key is validated here so a bad value stops
/// start-up with a message that names it.
public struct ServerSettings: Sendable {
    /// Address to bind.
    public var host: String
    /// Port to bind (0 lets the system choose, used by tests).
    public var port: Int
    /// Root of everything Hyperion writes.
    public var dataDirectory: URL
    /// Minimum log level.
    public var logLevel: Logger.Level
    /// `auto`, `json` or `text`.
    public var logFormat: String
    /// Whether each request is logged.
    public var accessLog: Bool
    /// Largest accepted body for JSON routes, in bytes.
    public var maxBodySize: Int
    /// Origins allowed by CORS; empty means same-origin only.
    public var corsAllowedOrigins: [String]
    /// Bearer token protecting `/metrics`, when set.
    public var metricsToken: String?
    /// Seconds in-flight requests get after a shutdown signal.
    public var gracePeriod: Int
    /// Bytes of vector and keyword indexes kept in memory (least recently used released past it); 0 = no limit.
    public var indexCacheBytes: Int
    /// Proxies whose `X-Forwarded-For` names the client (addresses or CIDR ranges); empty = trust none.
    var trustedProxies: TrustedProxies
    /// Seconds a connection may send nothing (no header, no body chunk) before it is closed; 0 = never.
    /// A request being answered (an SSE stream included) is never cut.
    public var idleTimeout: Int
    /// Where the store lives.
    public var store: StoreConfiguration
    /// Accounts and tokens.
    public var auth: AuthSettings
    /// In-process embeddings.
    public var embedding: EmbeddingSettings
    /// Uploads and background jobs.
    public var ingestion: IngestionSettings
    /// LLM providers and answering.
    public var answers: AnswerSettings

    /// Reads and validates every server key.
    public init(reader: ConfigReader) throws {
        host = try reader.strictString("host", default: "127.0.0.1")
        port = try reader.strictInt("port", default: 8080, range: 0...65535)
        let dataDir = try reader.strictString("data_dir", default: "./data")
        dataDirectory = URL(fileURLWithPath: dataDir).standardizedFileURL
        let level = try reader.strictChoice(
            "log.level", default: "info", allowed: Logger.Level.allCases.map(\.rawValue)
        )
        logLevel = Logger.Level(rawValue: level) ?? .info
        logFormat = try reader.strictChoice("log.format", default: "auto", allowed: ["auto", "json", "text"])
        accessLog = try reader.strictBool("log.access", default: true)
        maxBodySize = try reader.strictInt("http.max_body_size", default: 10 * 1024 * 1024, range: 1024...(1 << 34))
        corsAllowedOrigins = reader.stringList("http.cors.allowed_origins")
        for origin in corsAllowedOrigins where !(origin.hasPrefix("http://") || origin.hasPrefix("https://")) {
            throw HyperionError.invalid("http.cors.allowed_origins", "'\(origin.prefix(60))' is not an http(s) origin")
        }
        metricsToken = reader.string(forKey: "metrics.token", isSecret: true).flatMap { $0.isEmpty ? nil : $0 }
        gracePeriod = try reader.strictInt("shutdown.grace_period", default: 30, range: 0...3600)
        idleTimeout = try reader.strictInt("http.idle_timeout", default: 30, range: 0...86_400)
        trustedProxies = try TrustedProxies(reader.stringList("http.trusted_proxies"))
        indexCacheBytes = try reader.strictInt("index.cache_bytes", default: 1 << 30, range: 0...(1 << 50))
        store = try StoreConfiguration(reader: reader, dataDirectory: dataDirectory)
        auth = try AuthSettings(reader: reader)
        embedding = try EmbeddingSettings(reader: reader, dataDirectory: dataDirectory)
        ingestion = try IngestionSettings(reader: reader)
        answers = try AnswerSettings(reader: reader)
    }
}
