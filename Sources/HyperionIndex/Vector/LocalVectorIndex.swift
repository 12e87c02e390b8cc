import CKernels
import Foundation
import HyperionCore
import Synchronization

/// The embedded vector index: exact search (BLAS) below ``VectorIndexSettings/exactThreshold`` live
/// vectors, an HNSW graph above it. Deletes are tombstones checked before any result leaves the index;
/// ``compact()`` reclaims them. Filters are applied inside the search. Thread-safe: searches run in
/// parallel, writes one at a time.
public final class LocalVectorIndex: VectorIndex, @unchecked Sendable {
    /// Number of dimensions every vector must have.
    public let dimension: Int
    /// Search-time settings (graph-shape settings are fixed when the graph is built).
    public let settings: VectorIndexSettings

    private let lock = ReadWriteLock()
    private var table = EntryTable()
    /// Slot-major vectors (normalised for cosine).
    private var vectors: [Float] = []
    private var graph: HNSWGraph?
    private var buildVisited = VisitedSet()
    private let visitedPool = Mutex<[VisitedSet]>([])

    static let magic = "HYPVEC01"

    /// Creates an empty index.
    public init(dimension: Int, settings: VectorIndexSettings = .init()) {
        precondition(dimension > 0, "dimension must be positive")
        self.dimension = dimension
        self.settings = settings
    }

    private init(dimension: Int, table: EntryTable, vectors: [Float], graph: HNSWGraph?, settings: VectorIndexSettings) {
        self.dimension = dimension
        var settings = settings
        if let graph { settings.m = graph.m; settings.efConstruction = graph.efConstruction }
        self.settings = settings
        self.table = table
        self.vectors = vectors
        self.graph = graph
    }

    private func vector(_ slot: Int) -> [Float] { Array(vectors[(slot * dimension)..<((slot + 1) * dimension)]) }

    // MARK: state

    /// Number of live entries.
    public var liveCount: Int { lock.withReadLock { table.liveCount } }
    /// Number of slots including tombstones (what compaction would reclaim is `slotCount - liveCount`).
    public var slotCount: Int { lock.withReadLock { table.slotCount } }
    /// Bytes the index holds in memory, roughly: vectors, graph links, and ~80 bytes per entry for ids and metadata.
    public var approximateBytes: Int {
        lock.withReadLock { vectors.count * 4 + ((graph?.links0.count ?? 0) + (graph?.upperLinks.count ?? 0)) * 4 + table.slotCount * 80 }
    }
    /// Whether searches currently go through the HNSW graph.
    public var usesGraph: Bool { lock.withReadLock { graph != nil } }

    public func count() async throws -> Int { liveCount }

    /// Whether `id` is live in the index.
    public func contains(_ id: String) -> Bool { lock.withReadLock { table.slotByID[id] != nil } }

    /// The live entries (vector as stored: normalised for cosine), for rebuilding other indexes.
    public func entries() -> [VectorEntry] {
        lock.withReadLock {
            (0..<table.slotCount).compactMap { slot in
                let s = UInt32(slot)
                return table.deleted[slot] ? nil : VectorEntry(id: table.ids[slot], vector: vector(slot), metadata: table.metadata(s))
            }
        }
    }

    // MARK: writes

    /// Checks a vector's length and components; nothing is written when any entry fails.
    func validated(_ vector: [Float], what: String) throws -> [Float] {
        guard vector.count == dimension else {
            throw HyperionError(.validation, code: "dimension_mismatch",
                                message: "\(what) has \(vector.count) dimensions but the index has \(dimension)")
        }
        if let bad = vector.firstIndex(where: { !$0.isFinite }) {
            throw HyperionError(.validation, code: "invalid_vector", message: "\(what) has a non-finite component at \(bad) (\(vector[bad]))")
        }
        var vector = vector
        if settings.metric == .cosine { VectorMath.normalize(&vector) }
        return vector
    }

    public func add(_ entries: [VectorEntry]) async throws { try addSync(entries) }

    /// Adds entries (replacing existing ids) synchronously.
    public func addSync(_ entries: [VectorEntry]) throws {
        var prepared: [(String, [Float], EntryMetadata)] = []
        prepared.reserveCapacity(entries.count)
        for entry in entries {
            guard !entry.id.isEmpty else { throw HyperionError.invalid("id", "must not be empty") }
            prepared.append((entry.id, try validated(entry.vector, what: "vector \(entry.id)"), entry.metadata))
        }
        lock.withWriteLock {
            vectors.reserveCapacity(vectors.count + prepared.count * dimension)
            for (id, vector, metadata) in prepared {
                table.append(id: id, metadata: metadata)
                vectors.append(contentsOf: vector)
            }
            growGraph()
        }
    }

    /// Builds the graph once the index crosses the threshold, then keeps it in step with the slots.
    private func growGraph() {
        if graph == nil {
            guard table.liveCount >= settings.exactThreshold, table.liveCount > 0 else { return }
            graph = HNSWGraph(m: settings.m, efConstruction: settings.efConstruction, seed: settings.seed)
        }
        guard var g = graph, g.count < table.slotCount else { return }
        graph = nil  // keep the graph uniquely referenced while it grows
        vectors.withUnsafeBufferPointer { buffer in
            let space = VectorSpace(base: buffer.baseAddress!, dimension: dimension, isL2: settings.metric == .l2)
            while g.count < table.slotCount { g.insert(space: space, visited: &buildVisited) }
        }
        graph = g
    }

    public func remove(ids: [String]) async throws { removeSync(ids: ids) }

    /// Deletes entries by id synchronously; compacts when tombstones outnumber live entries.
    public func removeSync(ids: [String]) {
        lock.withWriteLock {
            for id in ids { if let slot = table.slotByID[id] { table.tombstone(slot) } }
            if table.isWasteful { compactLocked() }
        }
    }

    public func remove(documentIDs: [String]) async throws { removeSync(documentIDs: documentIDs) }

    /// Deletes every entry of the given documents synchronously.
    public func removeSync(documentIDs: [String]) {
        lock.withWriteLock {
            for slot in table.slots(ofDocuments: documentIDs) { table.tombstone(slot) }
            if table.isWasteful { compactLocked() }
        }
    }

    /// Drops tombstoned slots and rebuilds the graph from the live vectors.
    public func compact() { lock.withWriteLock { compactLocked() } }

    private func compactLocked() {
        guard table.slotCount != table.liveCount else { return }
        var freshTable = EntryTable()
        var freshVectors: [Float] = []
        freshVectors.reserveCapacity(table.liveCount * dimension)
        for slot in 0..<table.slotCount where !table.deleted[slot] {
            freshTable.append(id: table.ids[slot], metadata: table.metadata(UInt32(slot)))
            freshVectors.append(contentsOf: vector(slot))
        }
        table = freshTable
        vectors = freshVectors
        graph = nil
        growGraph()
    }

    // MARK: search

    public func search(_ query: [Float], k: Int, filter: SearchFilter) async throws -> [IndexHit] {
        try searchSync(query, k: k, filter: filter)
    }

    /// Searches synchronously; see ``VectorIndex/search(_:k:filter:)``.
    public func searchSync(_ query: [Float], k: Int, filter: SearchFilter = .none, efSearch: Int? = nil) throws -> [IndexHit] {
        if query.isEmpty || k <= 0 { return [] }
        let query = try validated(query, what: "query vector")
        return lock.withReadLock {
            guard table.liveCount > 0 else { return [] }
            let admitted = table.admission(for: filter)
            let admittedCount = admitted.map { $0.lazy.filter { $0 }.count } ?? table.liveCount
            guard admittedCount > 0 else { return [] }
            var found: [(score: Float, slot: UInt32)]
            // A selective filter is answered exactly: walking a graph for a few admitted nodes costs more.
            if let graph, admittedCount > max(k * 20, table.liveCount / 20) {
                found = graphSearch(graph, query, k: k, ef: max(efSearch ?? settings.efSearch, k), admitted: admitted)
                if found.count < min(k, admittedCount) { found = exactSearch(query, k: k, admitted: admitted) }
            } else {
                found = exactSearch(query, k: k, admitted: admitted)
            }
            return found.map { IndexHit(id: table.ids[Int($0.slot)], documentID: table.documentID($0.slot), score: $0.score) }
        }
    }

    private func graphSearch(_ graph: HNSWGraph, _ query: [Float], k: Int, ef: Int, admitted: [Bool]?) -> [(score: Float, slot: UInt32)] {
        var visited = visitedPool.withLock { $0.popLast() } ?? VisitedSet()
        defer { visitedPool.withLock { $0.append(visited) } }
        let deleted = table.deleted
        let hasDeletes = table.liveCount != table.slotCount
        return vectors.withUnsafeBufferPointer { buffer in
            let space = VectorSpace(base: buffer.baseAddress!, dimension: dimension, isL2: settings.metric == .l2)
            return query.withUnsafeBufferPointer { q in
                let admit: ((UInt32) -> Bool)?
                if let admitted { admit = { admitted[Int($0)] } }
                else if hasDeletes { admit = { !deleted[Int($0)] } }
                else { admit = nil }
                return graph.search(q.baseAddress!, ef: ef, space: space, visited: &visited, admit: admit)
                    .prefix(k).map { (score: -$0.distance, slot: $0.slot) }
            }
        }
    }

    /// Scores every admitted slot: one BLAS matrix–vector product when most slots count, SIMD otherwise.
    private func exactSearch(_ query: [Float], k: Int, admitted: [Bool]?) -> [(score: Float, slot: UInt32)] {
        let n = table.slotCount
        let isL2 = settings.metric == .l2
        var top = TopK(k)
        vectors.withUnsafeBufferPointer { buffer in
            query.withUnsafeBufferPointer { q in
                let base = buffer.baseAddress!, qp = q.baseAddress!
                if admitted == nil && !isL2 {
                    var scores = [Float](repeating: 0, count: n)
                    hyp_sgemv(Int32(n), Int32(dimension), base, Int32(dimension), qp, &scores)
                    for slot in 0..<n where !table.deleted[slot] { top.offer(scores[slot], UInt32(slot)) }
                } else {
                    for slot in 0..<n where admitted?[slot] ?? !table.deleted[slot] {
                        let v = base + slot * dimension
                        let score = isL2 ? -VectorMath.squaredDistance(qp, v, dimension) : VectorMath.dot(qp, v, dimension)
                        top.offer(score, UInt32(slot))
                    }
                }
            }
        }
        return top.sorted()
    }

    // MARK: persistence

    /// Writes the index to `url` atomically (new file, fsync, rename).
    public func save(to url: URL) throws {
        let payload: Data = lock.withReadLock {
            var writer = BinaryWriter(capacity: vectors.count * 4 + table.slotCount * 200)
            writer.write(UInt32(1))
            writer.write(UInt32(dimension))
            writer.writeString(settings.metric.rawValue)
            table.encode(into: &writer)
            writer.writeArray(vectors)
            writer.write(UInt8(graph == nil ? 0 : 1))
            graph?.encode(into: &writer)
            return writer.data
        }
        try IndexFile.write(payload, magic: Self.magic, to: url)
    }

    /// Loads an index saved by ``save(to:)``; throws ``IndexFileError`` when the file is missing or damaged.
    /// `settings` supplies the search-time values; dimension, metric and graph shape come from the file.
    public static func load(from url: URL, settings: VectorIndexSettings = .init()) throws -> LocalVectorIndex {
        var reader = BinaryReader(try IndexFile.read(magic: magic, from: url))
        guard try reader.read(UInt32.self) == 1 else { throw IndexFileError.corrupt("unknown vector index version") }
        let dimension = Int(try reader.read(UInt32.self))
        guard dimension > 0, let metric = VectorMetric(rawValue: try reader.readString()) else {
            throw IndexFileError.corrupt("bad vector index header")
        }
        let table = try EntryTable.decode(from: &reader)
        let vectors = try reader.readArray(Float.self)
        guard vectors.count == table.slotCount * dimension else { throw IndexFileError.corrupt("vector section has the wrong length") }
        let graph: HNSWGraph? = try reader.read(UInt8.self) == 1 ? try HNSWGraph.decode(from: &reader, nodes: table.slotCount) : nil
        guard reader.remaining == 0 else { throw IndexFileError.corrupt("trailing bytes") }
        var settings = settings
        settings.metric = metric
        return LocalVectorIndex(dimension: dimension, table: table, vectors: vectors, graph: graph, settings: settings)
    }

    /// Loads the index at `url`, or, when it is missing or damaged, builds it from `rebuild()` (the
    /// embeddings kept in the store) and saves it. Returns the index and the problem that forced a rebuild.
    public static func openOrRebuild(
        at url: URL, dimension: Int, settings: VectorIndexSettings = .init(),
        rebuild: () async throws -> [VectorEntry]
    ) async throws -> (index: LocalVectorIndex, rebuiltBecause: IndexFileError?) {
        do {
            let index = try load(from: url, settings: settings)
            guard index.dimension == dimension else {
                throw HyperionError(.validation, code: "dimension_mismatch",
                                    message: "index \(url.lastPathComponent) has \(index.dimension) dimensions but the embedder gives \(dimension)")
            }
            return (index, nil)
        } catch let problem as IndexFileError {
            let index = LocalVectorIndex(dimension: dimension, settings: settings)
            try index.addSync(try await rebuild())
            try index.save(to: url)
            return (index, problem)
        }
    }
}
