import Configuration
import Foundation
import HyperionCore
import HyperionMilvus
import HyperionServer
import Testing

@Suite("Configuration")
struct ConfigurationTests {
    func error(_ values: [String: String]) -> HyperionError? {
        do {
            _ = try ServerSettings(reader: testReader(values))
            return nil
        } catch {
            return error as? HyperionError
        }
    }

    @Test("bad values stop start-up naming the key", arguments: [
        ("port", "abc"), ("port", "70000"), ("log.level", "loud"), ("log.format", "xml"), ("log.access", "maybe"),
        ("http.max_body_size", "-5"), ("http.cors.allowed_origins", "ftp://x"), ("database.url", "mysql://db"),
        ("database.pool_size", "0"), ("shutdown.grace_period", "soon"), ("host", " "),
    ])
    func badValues(key: String, value: String) {
        let error = error([key: value])
        #expect(error?.kind == .validation)
        #expect(error?.field == key)
        #expect(error?.message.hasPrefix(key) == true)
    }

    @Test("vector store settings that cannot work stop start-up naming the key", arguments: [
        (["vector.store": "faiss"], "vector.store"),
        (["vector.store": "milvus"], "vector.milvus.url"),
        (["vector.store": "milvus", "vector.milvus.url": "ftp://milvus"], "vector.milvus.url"),
        (["vector.store": "milvus", "vector.milvus.url": "milvus:99999"], "vector.milvus.url"),
        (["vector.store": "milvus", "vector.milvus.url": "milvus", "vector.milvus.database": "my-db"], "vector.milvus.database"),
        (["vector.store": "milvus", "vector.milvus.url": "milvus", "vector.milvus.index": "diskann"], "vector.milvus.index"),
        (["vector.store": "milvus", "vector.milvus.url": "milvus", "vector.milvus.consistency": "session"], "vector.milvus.consistency"),
        (["vector.store": "milvus", "vector.milvus.url": "milvus", "vector.milvus.nprobe": "0"], "vector.milvus.nprobe"),
        (["vector.store": "chroma", "vector.chroma.url": "chroma:8000"], "vector.chroma.url"),
    ])
    func badVectorStores(values: [String: String], key: String) {
        let error = error(values)
        #expect(error?.kind == .validation)
        #expect(error?.field == key)
    }

    @Test("TLS settings that cannot work stop start-up naming the key", arguments: [
        (["tls.cert_path": "/etc/hostname"], "tls.key_path"),
        (["tls.key_path": "/etc/hostname"], "tls.cert_path"),
        (["tls.cert_path": "/nonexistent/cert.pem", "tls.key_path": "/nonexistent/key.pem"], "tls.cert_path"),
        (["tls.cert_path": "/etc/hostname", "tls.key_path": "/etc/hostname"], "tls.cert_path"),
        (["tls.hsts_max_age": "-1"], "tls.hsts_max_age"),
        (["tls.http2": "sometimes"], "tls.http2"),
    ])
    func badTLS(values: [String: String], key: String) {
        let error = error(values)
        #expect(error?.kind == .validation)
        #expect(error?.field == key, "\(String(describing: error))")
    }

    @Test("TLS is off by default, with HTTP/2 and a year of HSTS ready for when it is on")
    func tlsDefaults() throws {
        let tls = try ServerSettings(reader: testReader([:])).tls
        #expect(!tls.isEnabled && tls.http2 && tls.hstsMaxAge == 31_536_000)
    }

    @Test("a Milvus store reads its endpoint, credentials and tuning")
    func milvusSettings() throws {
        let settings = try ServerSettings(reader: testReader([
            "vector.store": "milvus", "vector.milvus.url": "https://milvus.internal:443", "vector.milvus.token": "root:Milvus",
            "vector.milvus.database": "hyperion", "vector.milvus.index": "ivf_flat", "vector.milvus.nlist": "256", "vector.milvus.nprobe": "8",
            "vector.milvus.consistency": "bounded", "vector.timeout": "3",
        ]))
        let milvus = try #require(settings.vectors.milvus)
        #expect(settings.vectors.engine == .milvus)
        #expect(milvus.host == "milvus.internal" && milvus.port == 443 && milvus.tls)
        #expect(milvus.token == "root:Milvus" && milvus.database == "hyperion")
        #expect(milvus.indexType == .ivfFlat && milvus.nlist == 256 && milvus.nprobe == 8)
        #expect(milvus.consistency == .bounded && milvus.timeoutSeconds == 3)
        let defaults = try #require(try ServerSettings(reader: testReader(["vector.store": "milvus", "vector.milvus.url": "127.0.0.1"])).vectors.milvus)
        #expect(defaults.port == 19530 && !defaults.tls && defaults.token == nil && defaults.database == "default")
        #expect(defaults.indexType == .hnsw && defaults.consistency == .strong)
    }

    @Test("defaults are the embedded ones")
    func defaults() throws {
        let settings = try ServerSettings(reader: ConfigReader(provider: InMemoryProvider(values: [:])))
        #expect(settings.host == "127.0.0.1" && settings.port == 8080)
        #expect(settings.dataDirectory.path.hasSuffix("/data"))
        #expect(settings.logLevel == .info && settings.corsAllowedOrigins.isEmpty && settings.metricsToken == nil)
        #expect(settings.store.dialect == .sqlite)
    }

    @Test("flags win over the environment, which wins over the config file")
    func precedence() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("hyperion-\(UUID().uuidString).json")
        try Data(#"{"port": 7001, "host": "0.0.0.0", "log": {"level": "debug"}, "data_dir": "/from/file"}"#.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let reader = try await HyperionConfig.reader(
            flags: ["port": "7003"],
            environment: ["HYPERION_PORT": "7002", "HYPERION_HOST": "10.0.0.1", "HYPERION_DATA_DIR": "/from/env", "PORT": "1"],
            configFile: file.path
        )
        let settings = try ServerSettings(reader: reader)
        #expect(settings.port == 7003)
        #expect(settings.host == "10.0.0.1")
        #expect(settings.dataDirectory.path == "/from/env")
        #expect(settings.logLevel == .debug)
    }

    @Test("HYPERION_CONFIG_FILE names the file when no flag does")
    func configFileFromEnvironment() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("hyperion-\(UUID().uuidString).json")
        try Data(#"{"port": 9009}"#.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let reader = try await HyperionConfig.reader(environment: ["HYPERION_CONFIG_FILE": file.path])
        #expect(try ServerSettings(reader: reader).port == 9009)
    }

    @Test("docs/configuration.md is the catalogue as `hyperion config --markdown` renders it, every key with its environment name")
    func documented() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        #expect(text == ConfigCatalog.markdown, "docs/configuration.md is stale: regenerate it with `hyperion config --markdown > docs/configuration.md`")
        for info in ConfigCatalog.all {
            #expect(text.contains("`\(info.key)`"), "docs/configuration.md lacks \(info.key)")
            #expect(text.contains(info.environmentName), "docs/configuration.md lacks \(info.environmentName)")
        }
    }
}

@Suite("LLM and embedding provider configuration")
struct ProviderConfigurationTests {
    func settingsError(_ values: [String: String]) -> HyperionError? {
        do {
            _ = try ServerSettings(reader: testReader(values))
            return nil
        } catch {
            return error as? HyperionError
        }
    }

    @Test("bad provider settings stop start-up naming the key", arguments: [
        (["llm.providers": "Bad Name"], "llm.providers"),
        (["llm.providers": "extractive"], "llm.providers"),
        (["llm.providers": "a,a", "llm.a.kind": "openai"], "llm.providers"),
        (["llm.providers": "local"], "llm.local.kind"),
        (["llm.providers": "local", "llm.local.kind": "gemini"], "llm.local.kind"),
        (["llm.providers": "local", "llm.local.kind": "openai", "llm.local.base_url": "ftp://x"], "llm.local.base_url"),
        (["llm.providers": "local", "llm.local.kind": "openai", "llm.local.timeout": "0"], "llm.local.timeout"),
        (["llm.providers": "local", "llm.local.kind": "openai", "llm.local.max_retries": "many"], "llm.local.max_retries"),
        (["llm.default_provider": "ghost"], "llm.default_provider"),
        (["answer.context_tokens": "10"], "answer.context_tokens"),
        (["embedding.provider": "openai", "embedding.dimension": "1536"], "embedding.model"),
        (["embedding.provider": "voyage", "embedding.model": "voyage-3"], "embedding.dimension"),
        (["embedding.provider": "ollama", "embedding.model": "m", "embedding.dimension": "8", "embedding.base_url": "nope"], "embedding.base_url"),
        (["llm.queue": "kafka"], "llm.queue"),
        (["llm.queue": "rabbitmq"], "rabbitmq.url"),
        (["llm.queue": "rabbitmq", "rabbitmq.url": "http://127.0.0.1:5672"], "rabbitmq.url"),
        (["llm.queue": "rabbitmq", "rabbitmq.url": "amqp://127.0.0.1", "rabbitmq.queue_prefix": "a b"], "rabbitmq.queue_prefix"),
        (["llm.queue": "rabbitmq", "rabbitmq.url": "amqps://127.0.0.1", "rabbitmq.tls_ca_file": "/nonexistent.pem"], "rabbitmq.tls_ca_file"),
        (["rabbitmq.max_queue_depth": "-1"], "rabbitmq.max_queue_depth"),
        (["worker.concurrency": "0"], "worker.concurrency"),
    ])
    func badValues(values: [String: String], key: String) {
        let error = settingsError(values)
        #expect(error?.kind == .validation, "\(values)")
        #expect(error?.field == key, "\(values): \(String(describing: error))")
    }

    @Test("providers are read with their defaults; keys are kept but marked secret")
    func providers() throws {
        let settings = try ServerSettings(reader: testReader([
            "llm.providers": "local, claude", "llm.local.kind": "ollama", "llm.local.model": "llama3.2",
            "llm.claude.kind": "anthropic", "llm.claude.api_key": "sk-ant-1", "llm.claude.first_token_timeout": "9",
            "llm.default_provider": "claude",
        ]))
        let providers = settings.answers.providers
        #expect(providers.map(\.name) == ["local", "claude"])
        #expect(providers[0].baseURL.absoluteString == "http://127.0.0.1:11434" && providers[0].defaultModel == "llama3.2" && providers[0].apiKey == nil)
        #expect(providers[1].baseURL.absoluteString == "https://api.anthropic.com" && providers[1].apiKey == "sk-ant-1")
        #expect(providers[1].firstTokenTimeout == .seconds(9) && providers[1].maxRetries == 2)
        #expect(settings.answers.defaultProvider == "claude")
        let none = try ServerSettings(reader: testReader(["llm.default_provider": "extractive"]))
        #expect(none.answers.defaultProvider == nil && none.answers.providers.isEmpty)
    }
}
