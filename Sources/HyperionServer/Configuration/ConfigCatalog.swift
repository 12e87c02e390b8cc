/// Every configuration key Hyperion reads, with its default and meaning.
///
/// `hyperion config` prints the effective values from this list, and a test checks that
/// `docs/configuration.md` documents each key, so the list, the code and the docs stay together.
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
        .init(key: "host", defaultValue: "127.0.0.1", meaning: "Address to listen on (flag --host).", isSecret: false),
        .init(key: "port", defaultValue: "8080", meaning: "TCP port, 1-65535 (flag --port).", isSecret: false),
        .init(key: "data_dir", defaultValue: "./data", meaning: "Data directory: SQLite store, secrets, models, blobs, indexes, assets (flag --data-dir).", isSecret: false),
        .init(key: "log.level", defaultValue: "info", meaning: "trace, debug, info, notice, warning, error or critical.", isSecret: false),
        .init(key: "log.format", defaultValue: "auto", meaning: "auto (JSON lines unless stdout is a terminal), json or text.", isSecret: false),
        .init(key: "log.access", defaultValue: "true", meaning: "Log one line per request (health, readiness and metrics probes at debug level).", isSecret: false),
        .init(key: "database.url", defaultValue: "sqlite file <data_dir>/hyperion.sqlite", meaning: "postgres://user:pass@host:port/db for PostgreSQL, or sqlite:PATH.", isSecret: true),
        .init(key: "database.pool_size", defaultValue: "4", meaning: "PostgreSQL connections per event loop (1-64).", isSecret: false),
        .init(key: "http.max_body_size", defaultValue: "10485760", meaning: "Largest request body in bytes for JSON routes; larger bodies get 413.", isSecret: false),
        .init(key: "http.cors.allowed_origins", defaultValue: "(empty: same-origin only)", meaning: "Comma-separated origins allowed by CORS, e.g. https://app.example.com.", isSecret: false),
        .init(key: "metrics.token", defaultValue: "(none: /metrics is open)", meaning: "When set, /metrics requires 'Authorization: Bearer <token>'.", isSecret: true),
        .init(key: "http.trusted_proxies", defaultValue: "(empty: none)", meaning: "Comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For names the client (login throttling, the signup limit and the audit log use it). From any other peer the header is ignored.", isSecret: false),
        .init(key: "http.idle_timeout", defaultValue: "30", meaning: "Seconds a connection may send nothing (a half-sent header or body, an idle keep-alive) before it is closed; 0 = never. Responses being streamed are never cut.", isSecret: false),
        .init(key: "shutdown.grace_period", defaultValue: "30", meaning: "Seconds in-flight requests get to finish after SIGTERM/SIGINT.", isSecret: false),
        .init(key: "auth.signup_enabled", defaultValue: "true", meaning: "Whether anyone may sign up; the first account of an empty install always may and becomes admin.", isSecret: false),
        .init(key: "auth.bcrypt_cost", defaultValue: "12", meaning: "bcrypt cost factor for passwords, 10-16.", isSecret: false),
        .init(key: "auth.access_token_ttl", defaultValue: "900", meaning: "Access token (JWT) lifetime in seconds.", isSecret: false),
        .init(key: "auth.refresh_token_ttl", defaultValue: "2592000", meaning: "Refresh token lifetime in seconds (30 days).", isSecret: false),
        .init(key: "auth.jwt_secret", defaultValue: "(generated into <data_dir>/secrets/jwt-signing-key, mode 0600)", meaning: "HS256 signing secret, at least 32 bytes.", isSecret: true),
        .init(key: "auth.jwt_previous_secrets", defaultValue: "(none)", meaning: "Comma-separated earlier secrets, still accepted for verification after a rotation.", isSecret: true),
        .init(key: "auth.issuer", defaultValue: "hyperion", meaning: "The iss claim of access tokens.", isSecret: false),
        .init(key: "auth.clock_skew", defaultValue: "30", meaning: "Seconds of clock skew tolerated when checking token times.", isSecret: false),
        .init(key: "auth.signups_per_hour", defaultValue: "10", meaning: "Signups allowed per client address per hour (each costs a bcrypt hash); more answer 429 with Retry-After. 0 = unlimited.", isSecret: false),
        .init(key: "embedding.model_path", defaultValue: "<data_dir>/models/all-MiniLM-L6-v2", meaning: "Folder of the in-process sentence-transformers model (BERT); `hyperion models pull` fetches the default.", isSecret: false),
        .init(key: "embedding.threads", defaultValue: "0 (all cores)", meaning: "Threads of one embedding forward pass.", isSecret: false),
        .init(key: "embedding.provider", defaultValue: "local", meaning: "local (the in-process model at embedding.model_path), hashing (a model-free stand-in for trials and tests: word hashing, no semantic similarity), or a remote API: openai (any OpenAI-compatible /embeddings), ollama (/api/embed) or voyage.", isSecret: false),
        .init(key: "embedding.base_url", defaultValue: "openai: https://api.openai.com/v1, ollama: http://127.0.0.1:11434, voyage: https://api.voyageai.com/v1", meaning: "Remote embedding API (with a remote embedding.provider).", isSecret: false),
        .init(key: "embedding.api_key", defaultValue: "(none)", meaning: "Key of the remote embedding API, sent as Authorization: Bearer.", isSecret: true),
        .init(key: "embedding.model", defaultValue: "(required for a remote provider)", meaning: "The remote model, e.g. text-embedding-3-small, nomic-embed-text, voyage-3; RAG models record it.", isSecret: false),
        .init(key: "embedding.dimension", defaultValue: "(required for a remote provider)", meaning: "Vector size of the remote model; an answer of another size fails fast.", isSecret: false),
        .init(key: "embedding.batch_size", defaultValue: "64", meaning: "Texts per remote embedding request.", isSecret: false),
        .init(key: "embedding.max_tokens", defaultValue: "512", meaning: "Window of the remote model in tokens (chunks are cut to fit; tokens estimated).", isSecret: false),
        .init(key: "embedding.timeout", defaultValue: "60", meaning: "Seconds per remote embedding request.", isSecret: false),
        .init(key: "embedding.max_retries", defaultValue: "2", meaning: "Retries of a remote embedding request (connection errors, 429, 5xx).", isSecret: false),
        .init(key: "upload.max_file_size", defaultValue: "52428800 (50 MB)", meaning: "Largest file one upload may carry; bigger files get 413.", isSecret: false),
        .init(key: "upload.max_request_size", defaultValue: "209715200 (200 MB)", meaning: "Largest upload request (all files together).", isSecret: false),
        .init(key: "jobs.workers", defaultValue: "2", meaning: "Ingestion and training jobs run at once by this process (embedding itself is shared and uses every core).", isSecret: false),
        .init(key: "jobs.per_user", defaultValue: "1", meaning: "Jobs of one user running at once in this process; with more workers than this, other users' uploads never wait behind one user's big upload (other instances may still take that user's next job). Among users, the one served least recently goes first.", isSecret: false),
        .init(key: "jobs.stale_after", defaultValue: "60", meaning: "Seconds without a heartbeat before a running job counts as orphaned and is queued again (PostgreSQL, several instances).", isSecret: false),
        .init(key: "quota.models_per_user", defaultValue: "100", meaning: "RAG models one user may own; more answer 429 quota_exceeded. 0 = unlimited; admins are exempt.", isSecret: false),
        .init(key: "quota.documents_per_user", defaultValue: "10000", meaning: "Documents one user's RAG models may hold; an upload past it answers 429 quota_exceeded. 0 = unlimited; admins are exempt.", isSecret: false),
        .init(key: "quota.bytes_per_user", defaultValue: "10737418240", meaning: "Bytes of original files one user's RAG models may hold (10 GiB); an upload past it answers 413 quota_exceeded. 0 = unlimited; admins are exempt.", isSecret: false),
        .init(key: "index.cache_bytes", defaultValue: "1073741824", meaning: "Bytes of vector and keyword indexes kept in memory (1 GiB, estimated); past it the least recently used are saved and released, and load from their files on next use. 0 = no limit.", isSecret: false),
        .init(key: "jobs.max_chunks_per_document", defaultValue: "50000", meaning: "Chunks one document may make (a 50 MB text makes about 40,000 at the default chunk size); a document past it ends failed with the reason. It bounds one document's time and memory (about 13 KB per chunk at the peak). 0 = unlimited.", isSecret: false),
        .init(key: "jobs.max_attempts", defaultValue: "3", meaning: "Times a job is started before it is given up: a job whose worker kept dying (a file that crashes the server) ends failed, its documents failed with the reason. A job handed back at a graceful shutdown does not count.", isSecret: false),
        .init(key: "llm.providers", defaultValue: "(none: answers are extractive)", meaning: "Comma-separated names of LLM providers; each is configured by the llm.<name>.* keys below.", isSecret: false),
        .init(key: "llm.<name>.kind", defaultValue: "(required)", meaning: "openai (any OpenAI-compatible server: OpenAI, vLLM, llama.cpp, LM Studio, IONOS), ollama or anthropic.", isSecret: false),
        .init(key: "llm.<name>.base_url", defaultValue: "openai: https://api.openai.com/v1, ollama: http://127.0.0.1:11434, anthropic: https://api.anthropic.com", meaning: "Where the provider listens (for openai: up to and including /v1).", isSecret: false),
        .init(key: "llm.<name>.api_key", defaultValue: "(none)", meaning: "Key sent as Authorization: Bearer (openai, ollama) or x-api-key (anthropic); never returned or logged.", isSecret: true),
        .init(key: "llm.<name>.model", defaultValue: "(none)", meaning: "Model used when a RAG model or request names none.", isSecret: false),
        .init(key: "llm.<name>.allowed_models", defaultValue: "(none: only llm.<name>.model)", meaning: "Comma-separated model names plain users may choose (for a RAG model or /generate) besides the default; * allows any. Admins may choose any. Every call is paid with the operator's key.", isSecret: false),
        .init(key: "llm.<name>.connect_timeout", defaultValue: "5", meaning: "Seconds to open a connection.", isSecret: false),
        .init(key: "llm.<name>.first_token_timeout", defaultValue: "60", meaning: "Seconds until the first generated token (retries included); then 504.", isSecret: false),
        .init(key: "llm.<name>.timeout", defaultValue: "300", meaning: "Seconds for a whole generation; then 504.", isSecret: false),
        .init(key: "llm.<name>.max_retries", defaultValue: "2", meaning: "Retries on connection errors, 429 (Retry-After honoured) and 5xx, with exponential backoff and jitter, only before the first token.", isSecret: false),
        .init(key: "llm.default_provider", defaultValue: "(none: extractive)", meaning: "Provider for RAG models that name none; 'extractive' means no LLM.", isSecret: false),
        .init(key: "answer.context_tokens", defaultValue: "3000", meaning: "Token budget of the numbered sources in a prompt.", isSecret: false),
        .init(key: "answer.history_tokens", defaultValue: "1000", meaning: "Token budget of a session's history in a prompt.", isSecret: false),
        .init(key: "answer.max_tokens", defaultValue: "1024", meaning: "Largest answer asked of an LLM (a request may ask for less).", isSecret: false),
        .init(key: "answer.heartbeat", defaultValue: "15", meaning: "Seconds between SSE heartbeat comments while a streamed answer waits.", isSecret: false),
        .init(key: "answer.extractive_similarity", defaultValue: "false", meaning: "Let the extractive answerer also embed its shortlisted sentences: better picks for about 100 ms more per query on 2 cores.", isSecret: false),
        .init(key: "query.cache_size", defaultValue: "1000", meaning: "Retrievals kept by the in-process query cache (0 turns it off).", isSecret: false),
        .init(key: "query.cache_ttl", defaultValue: "300", meaning: "Seconds a cached retrieval stays valid (any index change invalidates it at once).", isSecret: false),
        .init(key: "config_file", defaultValue: "(none)", meaning: "Optional JSON configuration file (flag --config); flags and environment win over it.", isSecret: false),
    ]
}
