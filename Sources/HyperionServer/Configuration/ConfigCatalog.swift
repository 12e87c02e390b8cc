import HyperionProviders
import HyperionStorage

/// Every configuration key Hyperion reads, with its default and meaning.
///
/// `hyperion config` prints the effective values from this list and `hyperion config --markdown` renders
/// docs/configuration.md from it (a test checks the page is current). Keys with a typed default come from
/// ``Setting``, so the default the code uses is the one shown.
public struct ConfigKeyInfo: Sendable {
    /// Dotted key, e.g. `http.max_body_size`.
    public let key: String
    /// Default as shown to users.
    public let defaultValue: String
    /// What it does.
    public let meaning: String
    /// Secrets are masked when printed and never logged.
    public let isSecret: Bool

    /// The environment variable for this key (`HYPERION_` + upper-cased key, dots as underscores).
    public var environmentName: String {
        "HYPERION_" + key.uppercased().replacingOccurrences(of: ".", with: "_")
    }
}

/// The catalogue of keys.
public enum ConfigCatalog {
    /// All keys, in documentation order.
    public static let all: [ConfigKeyInfo] = [
        Setting.host.info,
        Setting.port.info,
        Setting.dataDir.info,
        Setting.logLevel.info,
        Setting.logFormat.info,
        Setting.logAccess.info,
        Setting.logBufferLines.info,
        .init(key: "tracing.otlp_endpoint", defaultValue: "(none: no traces)", meaning: "Base URL of an OTLP/HTTP collector (Arize Phoenix http://127.0.0.1:6006, an OpenTelemetry collector http://127.0.0.1:4318): every request, ingestion job, retrieval and LLM call is traced there with OpenInference attributes, and trace ids appear in log lines and error envelopes.", isSecret: false),
        Setting.tracingProtocol.info,
        .init(key: "tracing.headers", defaultValue: "(none)", meaning: "Headers sent with every export, name=value, comma-separated (e.g. api_key=… for a hosted collector).", isSecret: true),
        .init(key: "tracing.sample_ratio", defaultValue: "1.0", meaning: "Share of traces kept, 0 to 1 (0.1 keeps one in ten); a caller's sampled traceparent is always followed.", isSecret: false),
        Setting.tracingRecordContent.info,
        Setting.tracingServiceName.info,
        .init(key: "sentry.dsn", defaultValue: "(none: no error reports)", meaning: "A Sentry DSN, https://<public key>@<host>/<project id>: every 500 and every failed job is reported there in the background, with release, environment, request id, user id and the request's log lines as breadcrumbs.", isSecret: true),
        Setting.sentryEnvironment.info,
        Setting.sentryRelease.info,
        Setting.sentryMaxEventsPerMinute.info,
        Setting.sentrySendEmail.info,
        .init(key: "database.url", defaultValue: "sqlite file <data_dir>/hyperion.sqlite", meaning: "postgres://user:pass@host:port/db for PostgreSQL, or sqlite:PATH.", isSecret: true),
        .init(key: "database.pool_size", defaultValue: "\(StoreConfiguration.defaultPoolSize)", meaning: "PostgreSQL connections per event loop (1-64).", isSecret: false),
        .init(key: "files.dir", defaultValue: "<data_dir>/files", meaning: "Folder of uploaded originals, kept until their document is deleted. Instances that share a database and run jobs must share this folder too (a volume or network file system): a job one instance queued may run on another.", isSecret: false),
        Setting.maxBodySize.info,
        .init(key: "http.cors.allowed_origins", defaultValue: "(empty: same-origin only)", meaning: "Comma-separated origins allowed by CORS, e.g. https://app.example.com.", isSecret: false),
        .init(key: "metrics.token", defaultValue: "(none: /metrics is open)", meaning: "When set, /metrics requires 'Authorization: Bearer <token>'.", isSecret: true),
        .init(key: "http.trusted_proxies", defaultValue: "(empty: none)", meaning: "Comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For names the client (login throttling, the signup limit and the audit log use it). From any other peer the header is ignored.", isSecret: false),
        .init(key: "tls.cert_path", defaultValue: "(none: plain HTTP)", meaning: "PEM certificate chain (leaf first) to serve HTTPS natively; with tls.key_path. Both files are read again on SIGHUP: a renewed certificate is served to new connections without dropping open ones.", isSecret: false),
        .init(key: "tls.key_path", defaultValue: "(none)", meaning: "PEM private key of tls.cert_path.", isSecret: false),
        Setting.tlsHTTP2.info,
        Setting.hstsMaxAge.info,
        Setting.idleTimeout.info,
        Setting.gracePeriod.info,
        Setting.signupEnabled.info,
        Setting.bcryptCost.info,
        Setting.accessTokenTTL.info,
        Setting.refreshTokenTTL.info,
        .init(key: "auth.jwt_secret", defaultValue: "(generated into <data_dir>/secrets/jwt-signing-key, mode 0600)", meaning: "HS256 signing secret, at least 32 bytes.", isSecret: true),
        .init(key: "auth.jwt_previous_secrets", defaultValue: "(none)", meaning: "Comma-separated earlier secrets, still accepted for verification after a rotation.", isSecret: true),
        .init(key: "secrets.master_key", defaultValue: "(none: secrets cannot be stored)", meaning: "Base64 of 32 random bytes (openssl rand -base64 32): seals the API keys of LLM connections added at run time (AES-256-GCM). Without it such keys are refused.", isSecret: true),
        .init(key: "secrets.master_key_file", defaultValue: "(none)", meaning: "A file holding secrets.master_key (read when secrets.master_key is not set).", isSecret: false),
        .init(key: "secrets.previous_master_keys", defaultValue: "(none)", meaning: "Comma-separated earlier master keys: values sealed with them still open, and are sealed with the new key when saved again.", isSecret: true),
        Setting.issuer.info,
        Setting.clockSkew.info,
        Setting.signupsPerHour.info,
        .init(key: "embedding.model_path", defaultValue: "<data_dir>/models/all-MiniLM-L6-v2", meaning: "Folder of the in-process sentence-transformers model (BERT); `hyperion models pull` fetches the default.", isSecret: false),
        Setting.embeddingThreads.info,
        Setting.embeddingProvider.info,
        .init(key: "embedding.base_url", defaultValue: EmbeddingProviderKind.allCases.map { "\($0.rawValue): \($0.defaultBaseURL)" }.joined(separator: ", "), meaning: "Remote embedding API (with a remote embedding.provider).", isSecret: false),
        .init(key: "embedding.api_key", defaultValue: "(none)", meaning: "Key of the remote embedding API, sent as Authorization: Bearer.", isSecret: true),
        .init(key: "embedding.model", defaultValue: "(required for a remote provider)", meaning: "The remote model, e.g. text-embedding-3-small, nomic-embed-text, voyage-3; RAG models record it.", isSecret: false),
        Setting.embeddingDimension.info,
        Setting.embeddingBatchSize.info,
        Setting.embeddingMaxTokens.info,
        Setting.embeddingTimeout.info,
        Setting.embeddingMaxRetries.info,
        Setting.maxFileSize.info,
        Setting.maxRequestSize.info,
        Setting.workers.info,
        Setting.perUser.info,
        Setting.staleAfter.info,
        Setting.quotaModels.info,
        Setting.quotaDocuments.info,
        Setting.quotaBytes.info,
        Setting.indexCacheBytes.info,
        Setting.vectorStore.info,
        .init(key: "vector.pgvector.url", defaultValue: "database.url when it is PostgreSQL", meaning: "postgres://user:pass@host:port/db of the PostgreSQL with the vector extension (CREATE EXTENSION vector is run when allowed).", isSecret: true),
        Setting.pgvectorM.info,
        Setting.pgvectorEfConstruction.info,
        Setting.pgvectorEfSearch.info,
        Setting.pgvectorPoolSize.info,
        .init(key: "vector.milvus.url", defaultValue: "(required with vector.store=milvus)", meaning: "Milvus's gRPC endpoint: host:port, http://host:port or https://host:port (TLS); port 19530 when left out.", isSecret: false),
        .init(key: "vector.milvus.token", defaultValue: "(none)", meaning: "user:password or API key when Milvus runs with authentication; never logged.", isSecret: true),
        Setting.milvusDatabase.info,
        Setting.milvusIndex.info,
        Setting.milvusM.info,
        Setting.milvusEfConstruction.info,
        Setting.milvusEfSearch.info,
        Setting.milvusNlist.info,
        Setting.milvusNprobe.info,
        Setting.milvusConsistency.info,
        .init(key: "vector.chroma.url", defaultValue: "(required with vector.store=chroma)", meaning: "Base URL of the Chroma server (REST API v2), e.g. http://127.0.0.1:8000.", isSecret: false),
        Setting.chromaTenant.info,
        Setting.chromaDatabase.info,
        Setting.chromaEfSearch.info,
        Setting.chromaEfConstruction.info,
        Setting.chromaMaxNeighbors.info,
        Setting.vectorTimeout.info,
        Setting.vectorRetryFor.info,
        Setting.maxChunksPerDocument.info,
        Setting.maxAttempts.info,
        .init(key: "redis.url", defaultValue: "(none: every instance keeps its own cache and limits)", meaning: "Redis shared by the instances: redis://[user:password@]host[:port][/db], rediss://… (TLS) or unix:///path/redis.sock[?db=N&password=…]. Holds the shared query cache and the rate-limit and login-throttle windows, and carries user-state, revocation and stop broadcasts (pub/sub).", isSecret: true),
        .init(key: "redis.tls_ca_file", defaultValue: "(system trust roots)", meaning: "PEM file of the certificate authority that signed a rediss:// server's certificate.", isSecret: false),
        Setting.redisTimeout.info,
        Setting.redisKeyPrefix.info,
        Setting.redisStrict.info,
        Setting.requestsPerMinute.info,
        Setting.llmRequestsPerMinute.info,
        Setting.adminRequestsPerMinute.info,
        Setting.adminLLMRequestsPerMinute.info,
        Setting.allowLinkLocal.info,
        Setting.llmQueue.info,
        .init(key: "rabbitmq.url", defaultValue: "(none)", meaning: "RabbitMQ for llm.queue=rabbitmq: amqp://user:password@host:port/vhost, or amqps://… (TLS); the vhost / is written %2F or left out.", isSecret: true),
        .init(key: "rabbitmq.tls_ca_file", defaultValue: "(system trust roots)", meaning: "PEM file of the certificate authority that signed an amqps:// broker's certificate.", isSecret: false),
        Setting.rabbitMQTimeout.info,
        Setting.rabbitMQPrefix.info,
        Setting.rabbitMQMaxDepth.info,
        Setting.rabbitMQDeliveryLimit.info,
        Setting.workerConcurrency.info,
        Setting.workerMaxAttempts.info,
        .init(key: "llm.providers", defaultValue: "(none: answers are extractive)", meaning: "Comma-separated names of LLM providers; each is configured by the llm.<name>.* keys below.", isSecret: false),
        .init(key: "llm.<name>.kind", defaultValue: "(required)", meaning: "openai (any OpenAI-compatible server: OpenAI, vLLM, llama.cpp, LM Studio, IONOS), ollama or anthropic.", isSecret: false),
        .init(key: "llm.<name>.base_url", defaultValue: ProviderKind.allCases.map { "\($0.rawValue): \($0.defaultBaseURL)" }.joined(separator: ", "), meaning: "Where the provider listens (for openai: up to and including /v1).", isSecret: false),
        .init(key: "llm.<name>.api_key", defaultValue: "(none)", meaning: "Key sent as Authorization: Bearer (openai, ollama) or x-api-key (anthropic); never returned or logged.", isSecret: true),
        .init(key: "llm.<name>.model", defaultValue: "(none)", meaning: "Model used when a RAG model or request names none.", isSecret: false),
        .init(key: "llm.<name>.allowed_models", defaultValue: "(none: only llm.<name>.model)", meaning: "Comma-separated model names plain users may choose (for a RAG model or /generate) besides the default; * allows any. Admins may choose any. Every call is paid with the operator's key.", isSecret: false),
        Setting.connectTimeout.info,
        Setting.firstTokenTimeout.info,
        Setting.totalTimeout.info,
        Setting.maxRetries.info,
        .init(key: "llm.default_provider", defaultValue: "(none: extractive)", meaning: "Provider for RAG models that name none; 'extractive' means no LLM.", isSecret: false),
        Setting.contextTokens.info,
        Setting.historyTokens.info,
        Setting.maxAnswerTokens.info,
        Setting.heartbeat.info,
        Setting.extractiveSimilarity.info,
        Setting.cacheSize.info,
        Setting.cacheTTL.info,
        .init(key: "config_file", defaultValue: "(none)", meaning: "Optional JSON configuration file (flag --config); flags and environment win over it.", isSecret: false),
    ]

    /// docs/configuration.md: how configuration is read, then one row per key (`hyperion config --markdown`).
    public static var markdown: String {
        var lines = [
            "# Configuration", "",
            "Hyperion reads one configuration, in this order of precedence:", "",
            "1. command-line flags (`--host`, `--port`, `--data-dir`, `--config`),",
            "2. environment variables: `HYPERION_` + the key in upper case with dots as underscores (`http.max_body_size` → `HYPERION_HTTP_MAX_BODY_SIZE`),",
            "3. an optional JSON file (`--config FILE` or `HYPERION_CONFIG_FILE`), nested by the dots of the key (`{\"log\": {\"level\": \"debug\"}}`),",
            "4. the defaults below.", "",
            "A value that is present but invalid (a port of `abc`, an unknown log level) stops start-up with a message naming the key,",
            "for example `hyperion: configuration error: port: must be an integer from 0 to 65535, got 'abc'`.",
            "Keys marked **secret** are masked by `hyperion config` and never logged.", "",
            "`hyperion config` prints the effective value of every key; this page is `hyperion config --markdown`.", "",
            "| key | environment | default | meaning |", "|---|---|---|---|",
        ]
        for info in all {
            lines.append("| `\(info.key)`\(info.isSecret ? " (**secret**)" : "") | `\(info.environmentName)` | \(info.defaultValue) | \(info.meaning) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
