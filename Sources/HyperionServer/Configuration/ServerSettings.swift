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
    /// Log lines kept in memory for the logs API (`log.buffer_lines`; 0 = none).
    public var logBufferLines: Int
    /// Error reports to Sentry (`sentry.*`).
    public var sentry: SentrySettings
    /// Traces to an OTLP collector (`tracing.*`).
    public var tracing: TracingSettings
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
    var trustedProxies: AddressRanges
    /// HTTPS served natively (`tls.*`).
    public var tls: TLSSettings
    /// Seconds a connection may send nothing (no header, no body chunk) before it is closed; 0 = never.
    /// A request being answered (an SSE stream included) is never cut.
    public var idleTimeout: Int
    /// Where uploaded originals are kept (`files.dir`): every instance that runs jobs must see the same folder.
    public var filesDirectory: URL
    /// Where the store lives.
    public var store: StoreConfiguration
    /// Where vectors live.
    public var vectors: VectorStoreSettings
    /// Accounts and tokens.
    public var auth: AuthSettings
    /// In-process embeddings.
    public var embedding: EmbeddingSettings
    /// Uploads and background jobs.
    public var ingestion: IngestionSettings
    /// LLM providers and answering.
    public var answers: AnswerSettings
    /// Encryption of secrets kept in the database (`secrets.*`); nil without a master key.
    var secrets: SecretBox?
    /// Redis and the per-caller request budgets.
    public var shared: SharedStateSettings
    /// The LLM queue (`llm.queue`, `rabbitmq.*`, `worker.*`).
    public var llmQueue: LLMQueueSettings
    /// Whether LLM and embedding base URLs may point at link-local or cloud metadata addresses (`outbound.allow_link_local`).
    public var allowLinkLocalURLs: Bool

    /// Reads and validates every server key.
    public init(reader: ConfigReader) throws {
        host = try Setting.host.read(reader)
        port = try Setting.port.read(reader)
        let dataDir = try Setting.dataDir.read(reader)
        dataDirectory = URL(fileURLWithPath: dataDir).standardizedFileURL
        let level = try Setting.logLevel.read(reader)
        logLevel = Logger.Level(rawValue: level) ?? .info
        logFormat = try Setting.logFormat.read(reader)
        accessLog = try Setting.logAccess.read(reader)
        logBufferLines = try Setting.logBufferLines.read(reader)
        sentry = try SentrySettings(reader: reader)
        tracing = try TracingSettings(reader: reader)
        maxBodySize = try Setting.maxBodySize.read(reader)
        corsAllowedOrigins = reader.stringList("http.cors.allowed_origins")
        for origin in corsAllowedOrigins where !(origin.hasPrefix("http://") || origin.hasPrefix("https://")) {
            throw HyperionError.invalid("http.cors.allowed_origins", "'\(origin.prefix(60))' is not an http(s) origin")
        }
        metricsToken = reader.string(forKey: "metrics.token", isSecret: true).flatMap { $0.isEmpty ? nil : $0 }
        gracePeriod = try Setting.gracePeriod.read(reader)
        idleTimeout = try Setting.idleTimeout.read(reader)
        tls = try TLSSettings(reader: reader)
        trustedProxies = try AddressRanges(reader.stringList("http.trusted_proxies"))
        indexCacheBytes = try Setting.indexCacheBytes.read(reader)
        let files = reader.string(forKey: "files.dir")?.trimmingCharacters(in: .whitespaces) ?? ""
        filesDirectory = files.isEmpty ? dataDirectory.appendingPathComponent("files") : URL(fileURLWithPath: files).standardizedFileURL
        store = try StoreConfiguration(reader: reader, dataDirectory: dataDirectory)
        vectors = try VectorStoreSettings(reader: reader, store: store)
        auth = try AuthSettings(reader: reader)
        embedding = try EmbeddingSettings(reader: reader, dataDirectory: dataDirectory)
        ingestion = try IngestionSettings(reader: reader)
        answers = try AnswerSettings(reader: reader)
        secrets = try SecretBox.load(reader: reader)
        shared = try SharedStateSettings(reader: reader)
        llmQueue = try LLMQueueSettings(reader: reader)
        allowLinkLocalURLs = try Setting.allowLinkLocal.read(reader)
        // The configuration's own base URLs: literal addresses and metadata names (names resolve when called).
        let outbound = OutboundURLPolicy(allowLinkLocal: allowLinkLocalURLs)
        for provider in answers.providers { try outbound.checkLiteral(provider.baseURL, field: "llm.\(provider.name).base_url") }
        if let remote = embedding.remote { try outbound.checkLiteral(remote.provider.baseURL, field: "embedding.base_url") }
    }
}
