import Foundation
import HyperionCore
import HyperionIndex
import HyperionMilvus
import HyperionProviders
import HyperionStorage
import Logging
import ServiceLifecycle

/// The index catalog the settings ask for, with its readiness checks and what closes its connections.
public struct IndexEngines: Sendable {
    /// Where ingestion writes and retrieval reads.
    public let catalog: any IndexCatalog
    /// One per outside engine, named after it.
    let readiness: [ReadinessCheck]
    /// Closes the engines' connections at shutdown.
    public let close: @Sendable () async throws -> Void
    /// The in-process catalog, when `vector.store = local`: it follows the store's change log.
    var local: LocalIndexCatalog? = nil

    /// `vector.store = local`: index files under the data directory, rebuilt from the store when out of step;
    /// otherwise vectors in the engine and keyword postings in the store.
    public static func make(settings: ServerSettings, store: Store, dimension: Int, logger: Logger) throws -> IndexEngines {
        switch settings.vectors.engine {
        case .local:
            let catalog = LocalIndexCatalog(root: settings.dataDirectory.appendingPathComponent("indexes"), dimension: dimension,
                                            source: StoreIndexSource(store: store, dimension: dimension), cacheBytes: settings.indexCacheBytes,
                                            logger: logger)
            return IndexEngines(catalog: catalog, readiness: [], close: {}, local: catalog)
        case .pgvector:
            guard let pgvector = settings.vectors.pgvector else { throw HyperionError.invalid("vector.pgvector.url", "is required") }
            let vectors = try PgVectorCollections(settings: pgvector, dimension: dimension, logger: logger)
            return split(vectors: vectors, store: store, dimension: dimension, close: { try await vectors.close() })
        case .milvus:
            guard let milvus = settings.vectors.milvus else { throw HyperionError.invalid("vector.milvus.url", "is required") }
            return split(vectors: try MilvusCollections(settings: milvus, dimension: dimension), store: store, dimension: dimension, close: {})
        case .chroma:
            guard let chroma = settings.vectors.chroma else { throw HyperionError.invalid("vector.chroma.url", "is required") }
            return split(vectors: ChromaCollections(settings: chroma, dimension: dimension), store: store, dimension: dimension, close: {})
        }
    }

    /// Vectors in an outside engine, keyword postings in the store, and a readiness check named after the engine.
    private static func split(vectors: any GenerationCollections<any VectorIndex>, store: Store, dimension: Int,
                              close: @escaping @Sendable () async throws -> Void) -> IndexEngines {
        IndexEngines(
            catalog: SplitIndexCatalog(dimension: dimension, vectors: vectors, keywords: StoreKeywordCollections(store: store)),
            readiness: [ReadinessCheck(name: vectors.engine) {
                do { try await vectors.ping() } catch let error as IndexEngineError { throw ReadinessFailure(error.description) }
            }],
            close: close
        )
    }
}

/// Closes the index engines' connections after the workers and the server have stopped.
struct IndexEngineService: Service {
    let engines: IndexEngines
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        do { try await engines.close() } catch {
            logger.warning("closing the vector engine failed", metadata: ["error": "\(error)"])
        }
    }
}
