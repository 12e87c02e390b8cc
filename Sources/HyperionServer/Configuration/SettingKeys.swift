import Configuration
import HyperionMilvus
import HyperionProviders
import Logging

/// A configuration key read as an integer in a range. Its one declaration gives the reading (default and range)
/// and the catalogue's line (`hyperion config`, docs/configuration.md), so no default is written twice.
struct IntSetting: Sendable {
    let key: String
    let defaultValue: Int
    let range: ClosedRange<Int>
    let meaning: String
    /// The default as the catalogue shows it.
    let shown: String

    /// `note` follows the default in parentheses ("50 MB"); `shown` replaces it.
    init(_ key: String, default defaultValue: Int, range: ClosedRange<Int>, note: String? = nil, shown: String? = nil, _ meaning: String) {
        self.key = key
        self.defaultValue = defaultValue
        self.range = range
        self.meaning = meaning
        self.shown = shown ?? (note.map { "\(defaultValue) (\($0))" } ?? "\(defaultValue)")
    }

    /// The value, or the default when absent; `name` fills a `<name>` in the key (a provider's keys).
    func read(_ reader: ConfigReader, name: String? = nil) throws -> Int {
        try reader.strictInt(resolved(key, name), default: defaultValue, range: range)
    }

    var info: ConfigKeyInfo { ConfigKeyInfo(key: key, defaultValue: shown, meaning: meaning, isSecret: false) }
}

/// A configuration key read as a boolean (see ``IntSetting``).
struct BoolSetting: Sendable {
    let key: String
    let defaultValue: Bool
    let meaning: String

    init(_ key: String, default defaultValue: Bool, _ meaning: String) {
        self.key = key
        self.defaultValue = defaultValue
        self.meaning = meaning
    }

    func read(_ reader: ConfigReader) throws -> Bool { try reader.strictBool(key, default: defaultValue) }

    var info: ConfigKeyInfo { ConfigKeyInfo(key: key, defaultValue: "\(defaultValue)", meaning: meaning, isSecret: false) }
}

/// A configuration key read as a non-empty string (see ``IntSetting``).
struct StringSetting: Sendable {
    let key: String
    let defaultValue: String
    let meaning: String

    init(_ key: String, default defaultValue: String, _ meaning: String) {
        self.key = key
        self.defaultValue = defaultValue
        self.meaning = meaning
    }

    func read(_ reader: ConfigReader) throws -> String { try reader.strictString(key, default: defaultValue) }

    var info: ConfigKeyInfo { ConfigKeyInfo(key: key, defaultValue: defaultValue, meaning: meaning, isSecret: false) }
}

/// A configuration key read as one of a few words, case-insensitive (see ``IntSetting``).
struct ChoiceSetting: Sendable {
    let key: String
    let defaultValue: String
    let allowed: [String]
    let meaning: String

    init(_ key: String, default defaultValue: String, allowed: [String], _ meaning: String) {
        self.key = key
        self.defaultValue = defaultValue
        self.allowed = allowed
        self.meaning = meaning
    }

    func read(_ reader: ConfigReader) throws -> String { try reader.strictChoice(key, default: defaultValue, allowed: allowed) }

    var info: ConfigKeyInfo { ConfigKeyInfo(key: key, defaultValue: defaultValue, meaning: meaning, isSecret: false) }
}

private func resolved(_ key: String, _ name: String?) -> String {
    name.map { key.replacingOccurrences(of: "<name>", with: $0) } ?? key
}

/// Every configuration key with a typed default: the settings types read these, ``ConfigCatalog`` lists them.
enum Setting {
    static let host = StringSetting("host", default: "127.0.0.1",
        "Address to listen on (flag --host).")
    static let port = IntSetting("port", default: 8080, range: 0...65535,
        "TCP port, 1-65535 (flag --port).")
    static let dataDir = StringSetting("data_dir", default: "./data",
        "Data directory: SQLite store, secrets, models, blobs, indexes, assets (flag --data-dir).")
    static let logLevel = ChoiceSetting("log.level", default: "info", allowed: Logger.Level.allCases.map(\.rawValue),
        "trace, debug, info, notice, warning, error or critical.")
    static let logFormat = ChoiceSetting("log.format", default: "auto", allowed: ["auto", "json", "text"],
        "auto (JSON lines unless stdout is a terminal), json or text.")
    static let logAccess = BoolSetting("log.access", default: true,
        "Log one line per request (health, readiness and metrics probes at debug level).")
    static let logBufferLines = IntSetting("log.buffer_lines", default: 2000, range: 0...1_000_000,
        "Recent log lines kept in memory for GET /api/v1/logs and its live tail (admin); 0 = none.")
    static let tracingProtocol = ChoiceSetting("tracing.protocol", default: "http/protobuf", allowed: ["http/protobuf", "http/json"],
        "How traces are sent to tracing.otlp_endpoint: OTLP over HTTP as protobuf or as JSON.")
    static let tracingRecordContent = BoolSetting("tracing.record_content", default: false,
        "Whether spans hold what users wrote: questions, answers, prompts, retrieved passages (off: roles, sizes, ids and scores only).")
    static let tracingServiceName = StringSetting("tracing.service_name", default: "hyperion",
        "The service.name every span carries (one per deployment, e.g. hyperion-eu).")
    static let sentryEnvironment = StringSetting("sentry.environment", default: "production",
        "The environment error reports name (production, staging, …).")
    static let sentryRelease = StringSetting("sentry.release", default: "",
        "The release error reports name; empty: hyperion@<version>.")
    static let sentryMaxEventsPerMinute = IntSetting("sentry.max_events_per_minute", default: 60, range: 1...10_000,
        "Error reports sent at most per minute per instance; more are dropped (and counted in /metrics).")
    static let sentrySendEmail = BoolSetting("sentry.send_email", default: false,
        "Whether error reports carry the user's e-mail beside the user id.")
    static let maxBodySize = IntSetting("http.max_body_size", default: 10 << 20, range: 1024...(1 << 34),
        "Largest request body in bytes for JSON routes; larger bodies get 413.")
    static let gracePeriod = IntSetting("shutdown.grace_period", default: 30, range: 0...3600,
        "Seconds in-flight requests get to finish after SIGTERM/SIGINT.")
    static let allowLinkLocal = BoolSetting("outbound.allow_link_local", default: false,
        "Let LLM and embedding base URLs point at link-local or cloud metadata addresses (169.254.0.0/16, fe80::/10, metadata.google.internal, …), refused by default so a provider URL cannot reach a cloud machine's credentials. Loopback and private networks are always allowed.")
    static let tlsHTTP2 = BoolSetting("tls.http2", default: true,
        "With TLS on, offer HTTP/2 by ALPN beside HTTP/1.1 (browsers and clients pick HTTP/2; SSE streams work on both).")
    static let hstsMaxAge = IntSetting("tls.hsts_max_age", default: 31_536_000, range: 0...(2 * 31_536_000),
        "With TLS on, Strict-Transport-Security max-age in seconds on every response (a year by default); 0 sends none.")
    static let idleTimeout = IntSetting("http.idle_timeout", default: 30, range: 0...86_400,
        "Seconds a connection may send nothing (a half-sent header or body, an idle keep-alive) before it is closed; 0 = never. Responses being streamed are never cut.")
    static let indexCacheBytes = IntSetting("index.cache_bytes", default: 1 << 30, range: 0...(1 << 50),
        "Bytes of vector and keyword indexes kept in memory (1 GiB, estimated); past it the least recently used are saved and released, and load from their files on next use. 0 = no limit.")
    static let vectorStore = ChoiceSetting("vector.store", default: "local", allowed: VectorStoreSettings.Engine.allCases.map(\.rawValue),
        "Where vectors live: local (index files under data_dir/indexes, in this process), pgvector (tables in PostgreSQL), milvus (collections in a Milvus server, gRPC API) or chroma (collections in a Chroma server, REST API v2). With an outside engine every instance shares the vectors, and the keyword side (BM25 postings) lives in the store.")
    static let vectorTimeout = IntSetting("vector.timeout", default: 10, range: 1...600,
        "Seconds one call to the vector engine (connecting included) may take; then it counts as unavailable: queries answer 503 naming it.")
    static let vectorRetryFor = IntSetting("vector.retry_for", default: 300, range: 0...86_400,
        "Seconds an ingestion job keeps retrying (with backoff, up to 30 s apart) while the vector engine is unavailable before the document fails.")
    static let pgvectorM = IntSetting("vector.pgvector.m", default: 16, range: 2...100,
        "HNSW graph degree (m) of new pgvector tables.")
    static let pgvectorEfConstruction = IntSetting("vector.pgvector.ef_construction", default: 64, range: 4...1000,
        "HNSW candidate list while building (ef_construction) for new pgvector tables; at least 2 x m.")
    static let pgvectorEfSearch = IntSetting("vector.pgvector.ef_search", default: 40, range: 1...1000,
        "HNSW candidate list while searching (hnsw.ef_search), raised to k when k is larger; filtered searches are exact.")
    static let pgvectorPoolSize = IntSetting("vector.pgvector.pool_size", default: 4, range: 1...64,
        "pgvector connections per event loop.")
    static let chromaTenant = StringSetting("vector.chroma.tenant", default: "default_tenant",
        "Chroma tenant of the collections (created when missing).")
    static let chromaDatabase = StringSetting("vector.chroma.database", default: "default_database",
        "Chroma database of the collections (created when missing).")
    static let chromaEfSearch = IntSetting("vector.chroma.ef_search", default: 200, range: 1...10_000,
        "HNSW ef_search of new Chroma collections (Chroma's own default, 100, recalls about 0.85 of the true top 10 on hard queries).")
    static let chromaEfConstruction = IntSetting("vector.chroma.ef_construction", default: 200, range: 1...10_000,
        "HNSW ef_construction of new Chroma collections.")
    static let chromaMaxNeighbors = IntSetting("vector.chroma.max_neighbors", default: 32, range: 2...256,
        "HNSW max_neighbors (M) of new Chroma collections.")
    static let milvusDatabase = StringSetting("vector.milvus.database", default: "default",
        "Milvus database of the collections (created when missing).")
    static let milvusIndex = ChoiceSetting("vector.milvus.index", default: "hnsw", allowed: MilvusSettings.IndexType.allCases.map(\.rawValue),
        "Index of new Milvus collections: hnsw (vector.milvus.m, ef_construction, ef_search) or ivf_flat (vector.milvus.nlist, nprobe). Cosine either way.")
    static let milvusM = IntSetting("vector.milvus.m", default: 16, range: 2...2048,
        "HNSW links per node (M) of new Milvus collections.")
    static let milvusEfConstruction = IntSetting("vector.milvus.ef_construction", default: 200, range: 8...512,
        "HNSW efConstruction of new Milvus collections.")
    static let milvusEfSearch = IntSetting("vector.milvus.ef_search", default: 200, range: 1...32_768,
        "HNSW ef of Milvus searches, raised to k when k is larger.")
    static let milvusNlist = IntSetting("vector.milvus.nlist", default: 1024, range: 1...65_536,
        "IVF_FLAT clusters (nlist) of new Milvus collections.")
    static let milvusNprobe = IntSetting("vector.milvus.nprobe", default: 32, range: 1...65_536,
        "IVF_FLAT clusters searched (nprobe).")
    static let milvusConsistency = ChoiceSetting("vector.milvus.consistency", default: "strong", allowed: MilvusSettings.Consistency.allCases.map(\.rawValue),
        "Which writes a Milvus search sees: strong (every write that returned, from any instance: a succeeded document is found, a deleted one never; waits for Milvus's next time tick, about 2 x its proxy.timeTickInterval), bounded (older than Milvus's common.gracefulTime) or eventually.")
    static let signupEnabled = BoolSetting("auth.signup_enabled", default: true,
        "Whether anyone may sign up; the first account of an empty install always may and becomes admin.")
    static let bcryptCost = IntSetting("auth.bcrypt_cost", default: 12, range: 10...16,
        "bcrypt cost factor for passwords, 10-16.")
    static let accessTokenTTL = IntSetting("auth.access_token_ttl", default: 900, range: 10...86_400,
        "Access token (JWT) lifetime in seconds.")
    static let refreshTokenTTL = IntSetting("auth.refresh_token_ttl", default: 30 * 86_400, range: 3_600...(365 * 86_400),
        "Refresh token lifetime in seconds (30 days).")
    static let issuer = StringSetting("auth.issuer", default: "hyperion",
        "The iss claim of access tokens.")
    static let clockSkew = IntSetting("auth.clock_skew", default: 30, range: 0...300,
        "Seconds of clock skew tolerated when checking token times.")
    static let signupsPerHour = IntSetting("auth.signups_per_hour", default: 10, range: 0...1_000_000,
        "Signups allowed per client address per hour (each costs a bcrypt hash); more answer 429 with Retry-After. 0 = unlimited.")
    static let llmQueue = ChoiceSetting("llm.queue", default: "none", allowed: ["none", "rabbitmq"],
        "How generations reach the LLM: none (this process calls the provider) or rabbitmq (queued on rabbitmq.url; `hyperion worker` processes, any number, on any machine, call the provider and stream the answer back).")
    static let rabbitMQTimeout = IntSetting("rabbitmq.timeout_ms", default: 5000, range: 100...60_000,
        "Milliseconds to connect to RabbitMQ or to have a queued request confirmed by it; then the request answers 503 naming the queue.")
    static let rabbitMQPrefix = StringSetting("rabbitmq.queue_prefix", default: "hyperion",
        "Prefix of the queues and exchange of the LLM queue (<prefix>.llm.requests, <prefix>.llm.dead, <prefix>.llm.cancel), so several deployments can share one broker.")
    static let rabbitMQMaxDepth = IntSetting("rabbitmq.max_queue_depth", default: 1000, range: 0...10_000_000,
        "Requests waiting in the LLM queue beyond which new ones answer 503 with Retry-After instead of queueing (0 = no limit).")
    static let rabbitMQDeliveryLimit = IntSetting("rabbitmq.delivery_limit", default: 3, range: 1...100,
        "Times a request may be delivered again after its worker was lost before it goes to the dead-letter queue (a request that keeps taking workers down never loops). Fixed when the queue is first declared.")
    static let workerConcurrency = IntSetting("worker.concurrency", default: 4, range: 1...1000,
        "Requests one `hyperion worker` answers at a time (its prefetch from the queue).")
    static let workerMaxAttempts = IntSetting("worker.max_attempts", default: 3, range: 1...20,
        "Attempts a worker makes at a request whose provider failed in a way that may pass (unreachable, 429, 5xx) before answering the error and dead-lettering the request; backoff doubles from 0.5 s.")
    static let redisTimeout = IntSetting("redis.timeout_ms", default: 1000, range: 10...60_000,
        "Milliseconds one Redis command (or connection attempt) may take; then Redis counts as down: the server carries on without it and tries again once a second.")
    static let redisKeyPrefix = StringSetting("redis.key_prefix", default: "hyperion:",
        "Prefix of every Redis key and channel Hyperion uses, so several deployments can share one Redis.")
    static let redisStrict = BoolSetting("redis.strict", default: false,
        "Whether /ready answers 503 while Redis is down. Off: /ready stays 200 and reports redis as degraded (the server works without Redis: limits count per instance).")
    static let requestsPerMinute = IntSetting("rate_limit.requests_per_minute", default: 0, range: 0...1_000_000,
        "Authenticated requests per minute per user (access token) or per API key, sliding window, shared by every instance through Redis; more answer 429 with Retry-After and RateLimit-* headers. 0 = off.")
    static let llmRequestsPerMinute = IntSetting("rate_limit.llm_requests_per_minute", default: 0, range: 0...1_000_000,
        "A separate budget for the calls that may run an LLM (POST /api/v1/query, /api/v1/generate, /v1/chat/completions), counted on top of the general one. 0 = off.")
    static let adminRequestsPerMinute = IntSetting("rate_limit.admin_requests_per_minute", default: -1, range: -1...1_000_000, shown: "-1 (same as users)",
        "rate_limit.requests_per_minute for admins; 0 = unlimited.")
    static let adminLLMRequestsPerMinute = IntSetting("rate_limit.admin_llm_requests_per_minute", default: -1, range: -1...1_000_000, shown: "-1 (same as users)",
        "rate_limit.llm_requests_per_minute for admins; 0 = unlimited.")
    static let embeddingThreads = IntSetting("embedding.threads", default: 0, range: 0...256, note: "all cores",
        "Threads of one embedding forward pass.")
    static let embeddingProvider = ChoiceSetting("embedding.provider", default: "local", allowed: ["local", "hashing"] + EmbeddingProviderKind.allCases.map(\.rawValue),
        "local (the in-process model at embedding.model_path), hashing (a model-free stand-in for trials and tests: word hashing, no semantic similarity), or a remote API: openai (any OpenAI-compatible /embeddings), ollama (/api/embed) or voyage.")
    static let embeddingDimension = IntSetting("embedding.dimension", default: 0, range: 0...65_536, shown: "(required for a remote provider)",
        "Vector size of the remote model; an answer of another size fails fast.")
    static let embeddingBatchSize = IntSetting("embedding.batch_size", default: 64, range: 1...2048,
        "Texts per remote embedding request.")
    static let embeddingMaxTokens = IntSetting("embedding.max_tokens", default: 512, range: 16...131_072,
        "Window of the remote model in tokens (chunks are cut to fit; tokens estimated).")
    static let embeddingTimeout = IntSetting("embedding.timeout", default: 60, range: 1...3600,
        "Seconds per remote embedding request.")
    static let embeddingMaxRetries = IntSetting("embedding.max_retries", default: 2, range: 0...10,
        "Retries of a remote embedding request (connection errors, 429, 5xx).")
    static let maxFileSize = IntSetting("upload.max_file_size", default: 50 << 20, range: 1024...(1 << 34), note: "50 MB",
        "Largest file one upload may carry; bigger files get 413.")
    static let maxRequestSize = IntSetting("upload.max_request_size", default: 200 << 20, range: 1024...(1 << 35), note: "200 MB",
        "Largest upload request (all files together).")
    static let workers = IntSetting("jobs.workers", default: 2, range: 1...64,
        "Ingestion and training jobs run at once by this process (embedding itself is shared and uses every core).")
    static let perUser = IntSetting("jobs.per_user", default: 1, range: 1...64,
        "Jobs of one user running at once in this process; with more workers than this, other users' uploads never wait behind one user's big upload (other instances may still take that user's next job). Among users, the one served least recently goes first.")
    static let staleAfter = IntSetting("jobs.stale_after", default: 60, range: 5...86_400,
        "Lease of a running job in seconds: its worker renews it every third of this while the job runs, so a job whose lease runs out belongs to a process that died, and is queued again (checked every lease by every worker). At start on SQLite, which only this process uses, every running job is queued again at once.")
    static let maxAttempts = IntSetting("jobs.max_attempts", default: 3, range: 1...100,
        "Times a job is started before it is given up: a job whose worker kept dying (a file that crashes the server) ends failed, its documents failed with the reason. A job handed back at a graceful shutdown does not count.")
    static let maxChunksPerDocument = IntSetting("jobs.max_chunks_per_document", default: 50_000, range: 0...100_000_000,
        "Chunks one document may make (a 50 MB text makes about 40,000 at the default chunk size); a document past it ends failed with the reason. It bounds one document's time and memory (about 13 KB per chunk at the peak). 0 = unlimited.")
    static let quotaModels = IntSetting("quota.models_per_user", default: 100, range: 0...1_000_000,
        "RAG models one user may own; more answer 429 quota_exceeded. 0 = unlimited; admins are exempt.")
    static let quotaDocuments = IntSetting("quota.documents_per_user", default: 10_000, range: 0...1_000_000_000,
        "Documents one user's RAG models may hold; an upload past it answers 429 quota_exceeded. 0 = unlimited; admins are exempt.")
    static let quotaBytes = IntSetting("quota.bytes_per_user", default: 10 << 30, range: 0...(1 << 50),
        "Bytes of original files one user's RAG models may hold (10 GiB); an upload past it answers 413 quota_exceeded. 0 = unlimited; admins are exempt.")
    static let connectTimeout = IntSetting("llm.<name>.connect_timeout", default: 5, range: 1...120,
        "Seconds to open a connection.")
    static let firstTokenTimeout = IntSetting("llm.<name>.first_token_timeout", default: 60, range: 1...3600,
        "Seconds until the first generated token (retries included); then 504.")
    static let totalTimeout = IntSetting("llm.<name>.timeout", default: 300, range: 1...7200,
        "Seconds for a whole generation; then 504.")
    static let maxRetries = IntSetting("llm.<name>.max_retries", default: 2, range: 0...10,
        "Retries on connection errors, 429 (Retry-After honoured) and 5xx, with exponential backoff and jitter, only before the first token.")
    static let contextTokens = IntSetting("answer.context_tokens", default: 3000, range: 200...200_000,
        "Token budget of the numbered sources in a prompt.")
    static let historyTokens = IntSetting("answer.history_tokens", default: 1000, range: 0...100_000,
        "Token budget of a session's history in a prompt.")
    static let maxAnswerTokens = IntSetting("answer.max_tokens", default: 1024, range: 16...32_768,
        "Largest answer asked of an LLM (a request may ask for less).")
    static let heartbeat = IntSetting("answer.heartbeat", default: 15, range: 1...300,
        "Seconds between SSE heartbeat comments while a streamed answer waits.")
    static let extractiveSimilarity = BoolSetting("answer.extractive_similarity", default: false,
        "Let the extractive answerer also embed its shortlisted sentences: better picks for about 85 ms more per query on 2 cores.")
    static let cacheSize = IntSetting("query.cache_size", default: 1000, range: 0...1_000_000,
        "Retrievals kept by the query cache (0 turns it off): in process, or in Redis shared by every instance when redis.url is set (the oldest evicted first).")
    static let cacheTTL = IntSetting("query.cache_ttl", default: 300, range: 1...86_400,
        "Seconds a cached retrieval stays valid (any index change, on any instance, invalidates it at once; a hit whose chunk was deleted is never served).")
}
