import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import HyperionCore
import NIOCore
import NIOHTTP2
import Synchronization

/// Vector indexes in Milvus through its own gRPC API: one collection per generation, `hyv_<knowledge base>_<generation>`,
/// fields `id` (primary key), `document_id`, `tags` (an array of strings, filtered with `array_contains_any`) and
/// `vector` with a cosine HNSW or IVF_FLAT index; collections are loaded once created, and every search and count is
/// asked at the configured consistency level (strong by default, so a chunk is found once its job has succeeded and
/// never after its delete returned, whichever instance wrote).
public final class MilvusCollections: GenerationCollections {
    public typealias Index = any VectorIndex
    public let engine = "milvus"
    /// Length of every vector.
    public let dimension: Int
    let settings: MilvusSettings
    let connection: MilvusConnection
    /// Seconds a new collection may take to load.
    static let loadTimeoutSeconds = 60
    /// Generations whose collection is known to exist, indexed and loaded.
    private let ready = Mutex<Set<IndexGeneration>>([])
    private let databaseReady = Mutex(false)

    /// Connects lazily: nothing is reached until the first use.
    public init(settings: MilvusSettings, dimension: Int) throws {
        self.settings = settings
        self.dimension = dimension
        self.connection = try MilvusConnection.shared(host: settings.host, port: settings.port, tls: settings.tls)
    }

    public func collection(of generation: IndexGeneration) async throws -> any VectorIndex {
        MilvusVectorIndex(owner: self, generation: generation)
    }

    // MARK: Calls

    typealias Service = Milvus_Proto_Milvus_MilvusService.Client<HTTP2ClientTransport.Posix>

    /// One call with the deadline, database and credentials; transport failures become ``IndexEngineError``.
    func call<Result: Sendable>(_ knowledgeBase: UUID?, _ doing: String,
                                _ body: (Service, Metadata, CallOptions) async throws -> Result) async throws -> Result {
        var options = CallOptions.defaults
        options.timeout = .seconds(settings.timeoutSeconds)
        // An engine that is down fails the call at once (503) instead of holding it until the deadline.
        options.waitForReady = false
        var metadata = Metadata()
        metadata.addString(settings.database, forKey: "dbname")
        if let token = settings.token { metadata.addString(Data(token.utf8).base64EncodedString(), forKey: "authorization") }
        do {
            return try await body(connection.service, metadata, options)
        } catch let error as RPCError {
            switch error.code {
            case .unavailable, .deadlineExceeded, .resourceExhausted, .aborted, .cancelled:
                if error.code == .cancelled { try Task.checkCancellation() }
                throw IndexEngineError(.unavailable, engine: engine, knowledgeBase: knowledgeBase,
                                       "cannot be reached at \(settings.host):\(settings.port) (\(doing)): \(error.code) \(error.message)")
            default:
                throw IndexEngineError(.badResponse, engine: engine, knowledgeBase: knowledgeBase, "\(doing): \(error.code) \(error.message)")
            }
        }
    }

    /// Milvus's status as an error, or nothing when it says success. A missing collection means the generation must
    /// be trained again; one released behind our back is loaded again at its next use.
    func check(_ status: Milvus_Proto_Common_Status, _ generation: IndexGeneration?, _ doing: String) throws {
        guard let failure = MilvusFailure(status) else { return }
        let kb = generation?.knowledgeBase
        if let generation, failure.collectionMissing {
            forget(generation)
            throw IndexEngineError(.needsTraining, engine: engine, knowledgeBase: kb,
                                   "the collection of generation \(generation.number) is missing (deleted outside Hyperion?)")
        }
        if let generation, failure.notLoaded {
            forget(generation)
            throw IndexEngineError(.unavailable, engine: engine, knowledgeBase: kb, "\(doing): \(failure)")
        }
        throw IndexEngineError(failure.transient ? .unavailable : .badResponse, engine: engine, knowledgeBase: kb, "\(doing): \(failure)")
    }

    /// Forgets that `generation` is ready, so the next use checks, creates or loads its collection again.
    func forget(_ generation: IndexGeneration) {
        ready.withLock { _ = $0.remove(generation) }
    }

    /// Whether `generation`'s collection is known to exist, indexed and loaded.
    func isReady(_ generation: IndexGeneration) -> Bool {
        ready.withLock { $0.contains(generation) }
    }

    // MARK: Collections

    /// Creates the configured database once, when it is not Milvus's default.
    private func prepareDatabase() async throws {
        guard settings.database != "default", !databaseReady.withLock({ $0 }) else { return }
        let names = try await call(nil, "listing databases") { service, metadata, options in
            try await service.listDatabases(Milvus_Proto_Milvus_ListDatabasesRequest(), metadata: metadata, options: options)
        }
        try check(names.status, nil, "listing databases")
        if !names.dbNames.contains(settings.database) {
            var request = Milvus_Proto_Milvus_CreateDatabaseRequest()
            request.dbName = settings.database
            let status = try await call(nil, "creating database \(settings.database)") { service, metadata, options in
                try await service.createDatabase(request, metadata: metadata, options: options)
            }
            if let failure = MilvusFailure(status), !failure.alreadyExists { try check(status, nil, "creating database \(settings.database)") }
        }
        databaseReady.withLock { $0 = true }
    }

    /// The generation's collection name once it exists with the right dimension, is indexed and loaded: created on
    /// first use; two instances creating it at once both end up using the same collection.
    func prepared(_ generation: IndexGeneration) async throws -> String {
        let name = generation.collectionName
        if isReady(generation) { return name }
        try await prepareDatabase()
        let kb = generation.knowledgeBase
        if let stored = try await storedDimension(generation) {
            guard stored == dimension else {
                throw IndexEngineError(.needsTraining, engine: engine, knowledgeBase: kb,
                                       "generation \(generation.number) holds vectors of length \(stored), the embedder makes \(dimension)")
            }
        } else {
            try await create(generation)
        }
        try await createIndex(generation)
        try await load(generation)
        ready.withLock { _ = $0.insert(generation) }
        return name
    }

    /// The length of the collection's vectors, `nil` when there is no such collection.
    private func storedDimension(_ generation: IndexGeneration) async throws -> Int? {
        var request = Milvus_Proto_Milvus_DescribeCollectionRequest()
        request.dbName = settings.database
        request.collectionName = generation.collectionName
        let answer = try await call(generation.knowledgeBase, "describing its collection") { service, metadata, options in
            try await service.describeCollection(request, metadata: metadata, options: options)
        }
        if let failure = MilvusFailure(answer.status) {
            if failure.collectionMissing { return nil }
            try check(answer.status, generation, "describing its collection")
        }
        guard let field = answer.schema.fields.first(where: { $0.name == "vector" }),
              let dim = field.typeParams.first(where: { $0.key == "dim" }).flatMap({ Int($0.value) }) else {
            throw IndexEngineError(.needsTraining, engine: engine, knowledgeBase: generation.knowledgeBase,
                                   "collection \(generation.collectionName) has no vector field of Hyperion's layout")
        }
        return dim
    }

    private func create(_ generation: IndexGeneration) async throws {
        func field(_ name: String, _ type: Milvus_Proto_Schema_DataType, primary: Bool = false,
                   _ params: [String: String] = [:], element: Milvus_Proto_Schema_DataType = .none) -> Milvus_Proto_Schema_FieldSchema {
            var field = Milvus_Proto_Schema_FieldSchema()
            field.name = name
            field.dataType = type
            field.isPrimaryKey = primary
            field.elementType = element
            field.typeParams = params.sorted { $0.key < $1.key }.map { keyValue($0.key, $0.value) }
            return field
        }
        var schema = Milvus_Proto_Schema_CollectionSchema()
        schema.name = generation.collectionName
        schema.fields = [
            field("id", .varChar, primary: true, ["max_length": "\(MilvusVectorIndex.maxIDBytes)"]),
            field("document_id", .varChar, ["max_length": "\(MilvusVectorIndex.maxIDBytes)"]),
            field("tags", .array, ["max_capacity": "\(MilvusVectorIndex.maxTags)", "max_length": "\(MilvusVectorIndex.maxTagBytes)"], element: .varChar),
            field("vector", .floatVector, ["dim": "\(dimension)"]),
        ]
        var request = Milvus_Proto_Milvus_CreateCollectionRequest()
        request.dbName = settings.database
        request.collectionName = generation.collectionName
        request.schema = try schema.serializedBytes()
        request.shardsNum = 1
        request.consistencyLevel = settings.consistency.level
        let status = try await call(generation.knowledgeBase, "creating its collection") { service, metadata, options in
            try await service.createCollection(request, metadata: metadata, options: options)
        }
        // Another instance created it meanwhile: the same layout, so it is used as is.
        if let failure = MilvusFailure(status), failure.alreadyExists { return }
        try check(status, generation, "creating its collection")
    }

    /// Builds the configured index; asking again for the same index is a no-op in Milvus.
    private func createIndex(_ generation: IndexGeneration) async throws {
        var request = Milvus_Proto_Milvus_CreateIndexRequest()
        request.dbName = settings.database
        request.collectionName = generation.collectionName
        request.fieldName = "vector"
        request.indexName = "vector"
        let build: String
        switch settings.indexType {
        case .hnsw: build = "{\"M\": \(settings.m), \"efConstruction\": \(settings.efConstruction)}"
        case .ivfFlat: build = "{\"nlist\": \(settings.nlist)}"
        }
        request.extraParams = [keyValue("index_type", settings.indexType.milvusName), keyValue("metric_type", "COSINE"), keyValue("params", build)]
        let status = try await call(generation.knowledgeBase, "indexing its collection") { service, metadata, options in
            try await service.createIndex(request, metadata: metadata, options: options)
        }
        try check(status, generation, "indexing its collection")
    }

    /// Loads the collection and waits until Milvus can search it (about 2 s for a new collection).
    private func load(_ generation: IndexGeneration) async throws {
        var request = Milvus_Proto_Milvus_LoadCollectionRequest()
        request.dbName = settings.database
        request.collectionName = generation.collectionName
        let status = try await call(generation.knowledgeBase, "loading its collection") { service, metadata, options in
            try await service.loadCollection(request, metadata: metadata, options: options)
        }
        try check(status, generation, "loading its collection")
        var probe = Milvus_Proto_Milvus_GetLoadStateRequest()
        probe.dbName = settings.database
        probe.collectionName = generation.collectionName
        // Loading a new collection takes Milvus about 2 s, longer than a call may: its own, longer limit (a caller with a
        // deadline of its own still stops waiting at it).
        let limit = max(settings.timeoutSeconds, Self.loadTimeoutSeconds)
        let deadline = ContinuousClock.now + .seconds(limit)
        while true {
            let answer = try await call(generation.knowledgeBase, "waiting for its collection to load") { service, metadata, options in
                try await service.getLoadState(probe, metadata: metadata, options: options)
            }
            try check(answer.status, generation, "waiting for its collection to load")
            if answer.state == .loaded { return }
            guard ContinuousClock.now < deadline else {
                throw IndexEngineError(.unavailable, engine: engine, knowledgeBase: generation.knowledgeBase,
                                       "collection \(generation.collectionName) did not load within \(limit) s")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    public func generations(of knowledgeBase: UUID) async throws -> [IndexGeneration] {
        try await prepareDatabase()
        var request = Milvus_Proto_Milvus_ShowCollectionsRequest()
        request.dbName = settings.database
        let answer = try await call(knowledgeBase, "listing collections") { service, metadata, options in
            try await service.showCollections(request, metadata: metadata, options: options)
        }
        try check(answer.status, nil, "listing collections")
        return IndexGeneration.generations(of: knowledgeBase, amongCollections: answer.collectionNames)
    }

    public func drop(_ generation: IndexGeneration) async throws {
        forget(generation)
        var request = Milvus_Proto_Milvus_DropCollectionRequest()
        request.dbName = settings.database
        request.collectionName = generation.collectionName
        let status = try await call(generation.knowledgeBase, "deleting its collection") { service, metadata, options in
            try await service.dropCollection(request, metadata: metadata, options: options)
        }
        if let failure = MilvusFailure(status), failure.collectionMissing { return }
        try check(status, generation, "deleting its collection")
    }

    public func drop(knowledgeBase: UUID) async throws {
        for generation in try await generations(of: knowledgeBase) { try await drop(generation) }
    }

    /// Seals the collection's growing segments (Milvus's Flush, which returns once they are sealed; indexing follows in
    /// the background). Until then Milvus searches new rows through an interim IVF index of its own: recall@10 was
    /// 0.93–0.97 on SciFact while the data sat in growing segments, 1.000 once sealed and indexed.
    public func persist(_ generation: IndexGeneration) async throws {
        guard isReady(generation) else { return }  // nothing written through this instance
        var request = Milvus_Proto_Milvus_FlushRequest()
        request.dbName = settings.database
        request.collectionNames = [generation.collectionName]
        let answer = try await call(generation.knowledgeBase, "sealing its collection") { service, metadata, options in
            try await service.flush(request, metadata: metadata, options: options)
        }
        try check(answer.status, generation, "sealing its collection")
    }

    public func ping() async throws {
        let answer = try await call(nil, "health check") { service, metadata, options in
            try await service.checkHealth(Milvus_Proto_Milvus_CheckHealthRequest(), metadata: metadata, options: options)
        }
        try check(answer.status, nil, "health check")
        guard answer.isHealthy else {
            throw IndexEngineError(.unavailable, engine: engine, "reports itself unhealthy: \(answer.reasons.joined(separator: "; "))")
        }
    }
}

func keyValue(_ key: String, _ value: String) -> Milvus_Proto_Common_KeyValuePair {
    var pair = Milvus_Proto_Common_KeyValuePair()
    pair.key = key
    pair.value = value
    return pair
}

extension MilvusSettings.IndexType {
    var milvusName: String {
        switch self {
        case .hnsw: "HNSW"
        case .ivfFlat: "IVF_FLAT"
        }
    }
}

extension MilvusSettings.Consistency {
    var level: Milvus_Proto_Common_ConsistencyLevel {
        switch self {
        case .strong: .strong
        case .bounded: .bounded
        case .eventually: .eventually
        }
    }
}

/// One gRPC connection per server, shared by every ``MilvusCollections`` of the process (like `HTTPClient.shared`),
/// kept until the process ends.
final class MilvusConnection: Sendable {
    let service: Milvus_Proto_Milvus_MilvusService.Client<HTTP2ClientTransport.Posix>
    private static let all = Mutex<[String: MilvusConnection]>([:])

    private init(host: String, port: Int, tls: Bool) throws {
        let transport = try HTTP2ClientTransport.Posix(target: .dns(host: host, port: port), transportSecurity: tls ? .tls : .plaintext,
                                                       config: .defaults { config in
            config.backoff.max = Duration.seconds(2)
            config.channelDebuggingCallbacks.onCreateTCPConnection = { channel in
                channel.eventLoop.submit {
                    let http2 = try channel.pipeline.syncOperations.handler(type: NIOHTTP2Handler.self)
                    try channel.pipeline.syncOperations.addHandler(PingAnswerer(), position: .before(http2))
                }
            }
        })
        let client = GRPCClient(transport: transport)
        service = .init(wrapping: client)
        Task.detached { try? await client.runConnections() }
    }

    static func shared(host: String, port: Int, tls: Bool) throws -> MilvusConnection {
        try all.withLock { connections in
            let key = "\(tls ? "tls" : "plain")://\(host):\(port)"
            if let connection = connections[key] { return connection }
            let connection = try MilvusConnection(host: host, port: port, tls: tls)
            connections[key] = connection
            return connection
        }
    }
}
