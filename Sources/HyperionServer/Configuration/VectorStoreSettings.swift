import Configuration
import HyperionCore
import HyperionMilvus
import HyperionProviders
import HyperionStorage
import Foundation

/// Where vectors live, and the engine's settings.
///
/// Keys: `vector.store` (`local` default, `pgvector`, `milvus`, `chroma`), `vector.pgvector.url` (default: `database.url`
/// when it is PostgreSQL), `vector.pgvector.m|ef_construction|ef_search|pool_size`, `vector.milvus.url|token|database|
/// index|m|ef_construction|ef_search|nlist|nprobe|consistency`, `vector.chroma.url|tenant|database|ef_search|
/// ef_construction|max_neighbors`, `vector.timeout`, `vector.retry_for`.
public struct VectorStoreSettings: Sendable {
    /// The engines `vector.store` names.
    public enum Engine: String, Sendable, CaseIterable {
        /// Index files in this process (HNSW + BM25).
        case local
        /// PostgreSQL with pgvector; keywords as postings in the store.
        case pgvector
        /// A Milvus server (its gRPC API); keywords as postings in the store.
        case milvus
        /// A Chroma server (REST API v2); keywords as postings in the store.
        case chroma
    }

    /// The selected engine.
    public var engine: Engine
    /// pgvector's settings, when it is the engine.
    public var pgvector: PgVectorSettings?
    /// Milvus's settings, when it is the engine.
    public var milvus: MilvusSettings?
    /// Chroma's settings, when it is the engine.
    public var chroma: ChromaSettings?
    /// Seconds an ingestion job retries while the engine is unavailable.
    public var retryForSeconds: Int

    /// Reads the keys; `store` gives pgvector's default URL.
    public init(reader: ConfigReader, store: StoreConfiguration) throws {
        engine = Engine(rawValue: try Setting.vectorStore.read(reader)) ?? .local
        retryForSeconds = try Setting.vectorRetryFor.read(reader)
        let timeout = try Setting.vectorTimeout.read(reader)
        if engine == .milvus {
            let url = reader.string(forKey: "vector.milvus.url")?.trimmingCharacters(in: .whitespaces) ?? ""
            guard !url.isEmpty else { throw HyperionError.invalid("vector.milvus.url", "is required with vector.store=milvus") }
            guard let endpoint = MilvusSettings.endpoint(of: url) else {
                throw HyperionError.invalid("vector.milvus.url", "must be host:port or an http(s):// URL with no path, got '\(url.prefix(80))'")
            }
            let database = try Setting.milvusDatabase.read(reader)
            // Milvus names: a letter or underscore first, then letters, digits and underscores, at most 255.
            guard let first = database.first, first.isASCII, first.isLetter || first == "_", database.count <= 255,
                  database.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw HyperionError.invalid("vector.milvus.database", "must start with a letter or '_' and hold only letters, digits and '_'")
            }
            let token = reader.string(forKey: "vector.milvus.token", isSecret: true).flatMap { $0.isEmpty ? nil : $0 }
            milvus = MilvusSettings(host: endpoint.host, port: endpoint.port, tls: endpoint.tls, token: token, database: database,
                                    indexType: MilvusSettings.IndexType(rawValue: try Setting.milvusIndex.read(reader)) ?? .hnsw,
                                    m: try Setting.milvusM.read(reader), efConstruction: try Setting.milvusEfConstruction.read(reader),
                                    efSearch: try Setting.milvusEfSearch.read(reader), nlist: try Setting.milvusNlist.read(reader),
                                    nprobe: try Setting.milvusNprobe.read(reader),
                                    consistency: MilvusSettings.Consistency(rawValue: try Setting.milvusConsistency.read(reader)) ?? .strong,
                                    timeoutSeconds: timeout)
            return
        }
        if engine == .chroma {
            let url = reader.string(forKey: "vector.chroma.url")?.trimmingCharacters(in: .whitespaces) ?? ""
            guard !url.isEmpty else { throw HyperionError.invalid("vector.chroma.url", "is required with vector.store=chroma") }
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
                throw HyperionError.invalid("vector.chroma.url", "must be an http(s) URL, got '\(url.prefix(80))'")
            }
            let names = try [Setting.chromaTenant, Setting.chromaDatabase].map { setting in
                let name = try setting.read(reader)
                guard name.count >= 3, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
                    throw HyperionError.invalid(setting.key, "must be 3 or more characters from a-z, A-Z, 0-9, '.', '_', '-'")
                }
                return name
            }
            chroma = ChromaSettings(url: url, tenant: names[0], database: names[1], efSearch: try Setting.chromaEfSearch.read(reader),
                                    efConstruction: try Setting.chromaEfConstruction.read(reader),
                                    maxNeighbors: try Setting.chromaMaxNeighbors.read(reader), timeoutSeconds: timeout)
            return
        }
        guard engine == .pgvector else { return }
        var url = reader.string(forKey: "vector.pgvector.url", isSecret: true)?.trimmingCharacters(in: .whitespaces) ?? ""
        if url.isEmpty, case .postgres(let storeURL) = store.backend { url = storeURL }
        guard !url.isEmpty else {
            throw HyperionError.invalid("vector.pgvector.url", "is required with vector.store=pgvector when database.url is not PostgreSQL")
        }
        guard PgVectorSettings.isValid(url: url) else {
            throw HyperionError.invalid("vector.pgvector.url", "is not a valid PostgreSQL URL")
        }
        let m = try Setting.pgvectorM.read(reader)
        let efConstruction = try Setting.pgvectorEfConstruction.read(reader)
        guard efConstruction >= 2 * m else {
            throw HyperionError.invalid("vector.pgvector.ef_construction", "must be at least 2 x vector.pgvector.m (\(2 * m)), got \(efConstruction)")
        }
        pgvector = PgVectorSettings(url: url, m: m, efConstruction: efConstruction, efSearch: try Setting.pgvectorEfSearch.read(reader),
                                    timeoutSeconds: timeout, poolSize: try Setting.pgvectorPoolSize.read(reader))
    }
}
