import Foundation
import HyperionCore
import NIOHTTP1
import Synchronization

/// How Hyperion uses Chroma.
public struct ChromaSettings: Sendable {
    /// The server, e.g. `http://127.0.0.1:8000`.
    public var url: String
    /// Tenant and database of the collections (created when missing).
    public var tenant: String
    public var database: String
    /// HNSW settings of new collections (Chroma's defaults, 100/100/16, recall about 0.85 on hard queries).
    public var efSearch: Int
    public var efConstruction: Int
    public var maxNeighbors: Int
    /// Seconds per call.
    public var timeoutSeconds: Int

    /// Settings for the server at `url`.
    public init(url: String, tenant: String = "default_tenant", database: String = "default_database", efSearch: Int = 200,
                efConstruction: Int = 200, maxNeighbors: Int = 32, timeoutSeconds: Int = 10) {
        self.url = url
        self.tenant = tenant
        self.database = database
        self.efSearch = efSearch
        self.efConstruction = efConstruction
        self.maxNeighbors = maxNeighbors
        self.timeoutSeconds = timeoutSeconds
    }
}

/// Vector indexes in Chroma through its REST API v2: one collection per generation, `hyv_<knowledge base>_<generation>`,
/// cosine space, the chunk's document id and tags as metadata (`tags` a list of strings, filtered with `$contains`).
public final class ChromaCollections: GenerationCollections {
    public typealias Index = any VectorIndex
    public let engine = "chroma"
    /// Length of every vector.
    public let dimension: Int
    let settings: ChromaSettings
    let client: EngineClient
    /// Collection ids by generation, learnt at first use (data calls take the id, not the name).
    private let ids = Mutex<[IndexGeneration: String]>([:])
    private let prepared = Mutex(false)

    /// Nothing is reached until the first use.
    public init(settings: ChromaSettings, dimension: Int) {
        self.settings = settings
        self.dimension = dimension
        self.client = EngineClient(engine: "chroma", baseURL: settings.url, timeout: .seconds(settings.timeoutSeconds))
    }

    var databasePath: String { "/api/v2/tenants/\(settings.tenant)/databases/\(settings.database)" }

    struct Collection: Decodable { let id: String; let name: String; let dimension: Int? }

    /// Creates the tenant and database once, when they are not Chroma's defaults (409: they exist).
    private func prepare() async throws {
        guard !prepared.withLock({ $0 }) else { return }
        if settings.tenant != "default_tenant" {
            let answer = try await client.call(.POST, "/api/v2/tenants", json: ["name": settings.tenant])
            guard answer.status < 300 || answer.status == 409 else { throw refused(answer, nil, "creating tenant \(settings.tenant)") }
        }
        if settings.database != "default_database" {
            let answer = try await client.call(.POST, "/api/v2/tenants/\(settings.tenant)/databases", json: ["name": settings.database])
            guard answer.status < 300 || answer.status == 409 else { throw refused(answer, nil, "creating database \(settings.database)") }
        }
        prepared.withLock { $0 = true }
    }

    public func collection(of generation: IndexGeneration) async throws -> any VectorIndex {
        ChromaVectorIndex(owner: self, generation: generation)
    }

    /// The generation's collection id, creating the collection (cosine) on first use.
    func collectionID(_ generation: IndexGeneration) async throws -> String {
        if let id = ids.withLock({ $0[generation] }) { return id }
        try await prepare()
        struct Create: Encodable, Sendable {
            struct Configuration: Encodable, Sendable {
                struct HNSW: Encodable, Sendable { let space = "cosine"; let ef_search: Int; let ef_construction: Int; let max_neighbors: Int }
                let hnsw: HNSW
            }
            let name: String
            let configuration: Configuration
            let get_or_create = true
        }
        let body = Create(name: generation.collectionName, configuration: .init(hnsw: .init(ef_search: settings.efSearch, ef_construction: settings.efConstruction,
                                                                                          max_neighbors: settings.maxNeighbors)))
        let answer = try await client.call(.POST, "\(databasePath)/collections", json: body, knowledgeBase: generation.knowledgeBase)
        guard answer.status < 300 else { throw refused(answer, generation, "creating its collection") }
        let collection = try answer.decode(Collection.self, engine: engine, knowledgeBase: generation.knowledgeBase)
        if let stored = collection.dimension, stored != dimension {
            throw IndexEngineError(.needsTraining, engine: engine, knowledgeBase: generation.knowledgeBase,
                                   "generation \(generation.number) holds vectors of length \(stored), the embedder makes \(dimension)")
        }
        ids.withLock { $0[generation] = collection.id }
        return collection.id
    }

    public func generations(of knowledgeBase: UUID) async throws -> [IndexGeneration] {
        var names: [String] = []
        var offset = 0
        while true {
            let answer = try await client.call(.GET, "\(databasePath)/collections?limit=1000&offset=\(offset)", knowledgeBase: knowledgeBase)
            guard answer.status < 300 else {
                if answer.status == 404 { return [] }  // no such database yet: no collections
                throw refused(answer, nil, "listing collections")
            }
            let page = try answer.decode([Collection].self, engine: engine, knowledgeBase: knowledgeBase)
            names += page.map(\.name)
            if page.count < 1000 { break }
            offset += page.count
        }
        return IndexGeneration.generations(of: knowledgeBase, amongCollections: names)
    }

    public func drop(_ generation: IndexGeneration) async throws {
        ids.withLock { _ = $0.removeValue(forKey: generation) }
        let answer = try await client.call(.DELETE, "\(databasePath)/collections/\(generation.collectionName)", knowledgeBase: generation.knowledgeBase)
        guard answer.status < 300 || answer.status == 404 else { throw refused(answer, generation, "deleting its collection") }
    }

    public func drop(knowledgeBase: UUID) async throws {
        for generation in try await generations(of: knowledgeBase) { try await drop(generation) }
    }

    public func ping() async throws {
        let answer = try await client.call(.GET, "/api/v2/heartbeat")
        guard answer.status == 200 else { throw refused(answer, nil, "heartbeat") }
    }

    /// A 4xx answer as an error: a missing collection means the generation must be trained again (and its id is
    /// forgotten, so a new training creates it anew); anything else is an answer Hyperion did not expect.
    func refused(_ answer: EngineClient.Answer, _ generation: IndexGeneration?, _ doing: String) -> IndexEngineError {
        if answer.status == 404, let generation {
            ids.withLock { _ = $0.removeValue(forKey: generation) }
            return IndexEngineError(.needsTraining, engine: engine, knowledgeBase: generation.knowledgeBase,
                                    "the collection of generation \(generation.number) is missing (deleted outside Hyperion?)")
        }
        return IndexEngineError(.badResponse, engine: engine, knowledgeBase: generation?.knowledgeBase, "\(doing): \(answer.status) \(answer.message)")
    }
}

/// One generation's Chroma collection.
struct ChromaVectorIndex: VectorIndex {
    let owner: ChromaCollections
    let generation: IndexGeneration
    /// Records per add: about 8 KB each as JSON at 384 dimensions, well inside Chroma's 40 MiB body limit.
    static let batch = 1000

    var dimension: Int { owner.dimension }

    private func path(_ action: String) async throws -> String {
        "\(owner.databasePath)/collections/\(try await owner.collectionID(generation))/\(action)"
    }

    /// Calls a data route, turning a 4xx into the error it means.
    private func data(_ method: HTTPMethod, _ action: String, json body: (any Encodable & Sendable)? = nil) async throws -> EngineClient.Answer {
        let answer = try await owner.client.call(method, try await path(action), json: body, knowledgeBase: generation.knowledgeBase)
        guard answer.status < 300 else { throw owner.refused(answer, generation, action) }
        return answer
    }

    func count() async throws -> Int {
        try await withSegmentRetry { try await data(.GET, "count") }.decode(Int.self, engine: owner.engine, knowledgeBase: generation.knowledgeBase)
    }

    /// A chunk's metadata. Chroma keeps no empty list, so no tags go out as `null`, which also removes tags an
    /// earlier version of the entry had (upsert merges metadata key by key).
    struct Metadata: Codable, Sendable {
        let document_id: String
        let tags: [String]?

        init(document_id: String, tags: [String]) {
            self.document_id = document_id
            self.tags = tags.isEmpty ? nil : tags
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(document_id, forKey: .document_id)
            if let tags { try container.encode(tags, forKey: .tags) } else { try container.encodeNil(forKey: .tags) }
        }
    }

    func add(_ entries: [VectorEntry]) async throws {
        for entry in entries where entry.vector.count != dimension {
            throw HyperionError.invalid("vector", "has \(entry.vector.count) dimensions, the index \(dimension)")
        }
        for entry in entries where entry.id.isEmpty { throw HyperionError.invalid("id", "must not be empty") }
        let kept = entries.lastPerID(\.id)
        struct Upsert: Encodable, Sendable { let ids: [String]; let embeddings: [String]; let metadatas: [Metadata] }
        for start in stride(from: 0, to: kept.count, by: Self.batch) {
            let part = kept[start..<min(start + Self.batch, kept.count)]
            // Upsert replaces the vector and merges metadata; both keys are always sent, so nothing stale survives.
            // Embeddings travel as base64 of little-endian float32, 2.6 times smaller than JSON numbers.
            _ = try await data(.POST, "upsert", json: Upsert(
                ids: part.map(\.id),
                embeddings: part.map { entry in entry.vector.map { $0.isFinite ? $0 : 0 }.withUnsafeBytes { Data($0).base64EncodedString() } },
                metadatas: part.map { Metadata(document_id: $0.metadata.documentID, tags: $0.metadata.tags) }))
        }
    }

    /// Chroma 1.5 answers a query that meets a collection's very first write still in flight with a 500 ("Error
    /// creating hnsw segment reader: Nothing found on disk"); a moment later the same query succeeds. Retried for up
    /// to a second, then reported as unavailable like any 5xx.
    private func withSegmentRetry(_ call: () async throws -> EngineClient.Answer) async throws -> EngineClient.Answer {
        for _ in 0..<20 {
            do { return try await call() } catch let error as IndexEngineError where error.detail.contains("Nothing found on disk") {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        return try await call()
    }

    func remove(ids: [String]) async throws {
        guard !ids.isEmpty else { return }
        struct Delete: Encodable, Sendable { let ids: [String] }
        for start in stride(from: 0, to: ids.count, by: Self.batch) {
            _ = try await data(.POST, "delete", json: Delete(ids: Array(ids[start..<min(start + Self.batch, ids.count)])))
        }
    }

    func remove(documentIDs: [String]) async throws {
        guard !documentIDs.isEmpty else { return }
        struct Delete: Encodable, Sendable { let `where`: Filter }
        _ = try await data(.POST, "delete", json: Delete(where: .documents(documentIDs)))
    }

    func search(_ query: [Float], k: Int, filter: SearchFilter) async throws -> [IndexHit] {
        guard k > 0 else { return [] }
        guard query.count == dimension else { throw HyperionError.invalid("vector", "has \(query.count) dimensions, the index \(dimension)") }
        if let ids = filter.documentIDs, ids.isEmpty { return [] }
        if let tags = filter.anyTags, tags.isEmpty { return [] }
        var clauses: [Filter] = []
        if let ids = filter.documentIDs { clauses.append(.documents(ids.sorted())) }
        if let tags = filter.anyTags { clauses.append(.or(tags.sorted().map { .tag($0) })) }
        struct Query: Encodable, Sendable {
            let query_embeddings: [[Float]]
            let n_results: Int
            let `where`: Filter?
            let include = ["distances", "metadatas"]
        }
        struct Result: Decodable { let ids: [[String]]; let distances: [[Float?]]?; let metadatas: [[Metadata?]]? }
        let body = Query(query_embeddings: [query], n_results: k, where: clauses.isEmpty ? nil : clauses.count == 1 ? clauses[0] : .and(clauses))
        let answer = try await withSegmentRetry { try await data(.POST, "query", json: body) }
        let result = try answer.decode(Result.self, engine: owner.engine, knowledgeBase: generation.knowledgeBase)
        guard let ids = result.ids.first, let distances = result.distances?.first, let metadatas = result.metadatas?.first,
              distances.count == ids.count, metadatas.count == ids.count else {
            throw IndexEngineError(.badResponse, engine: owner.engine, knowledgeBase: generation.knowledgeBase, "a query answer without distances or metadata")
        }
        return zip(ids, zip(distances, metadatas)).map { id, pair in
            IndexHit(id: id, documentID: pair.1?.document_id ?? "", score: 1 - (pair.0 ?? 2))
        }
    }
}

/// A Chroma `where` clause.
indirect enum Filter: Encodable, Sendable {
    case documents([String])
    case tag(String)
    case or([Filter])
    case and([Filter])

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .documents(let ids): try container.encode(["document_id": ["$in": ids]])
        case .tag(let tag): try container.encode(["tags": ["$contains": tag]])
        case .or(let clauses): try container.encode(["$or": clauses])
        case .and(let clauses): try container.encode(["$and": clauses])
        }
    }
}
