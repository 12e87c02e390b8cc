import Atomics
import Foundation
import HyperionCore
import HyperionIndex
import HyperionStorage
import Logging

/// The searchable state of one RAG model generation: its vector and keyword index.
final class ModelIndexes: Sendable {
    let vectors: LocalVectorIndex
    let keywords: BM25Index

    init(vectors: LocalVectorIndex, keywords: BM25Index) {
        self.vectors = vectors
        self.keywords = keywords
    }

    /// Bytes both indexes hold in memory, roughly.
    var approximateBytes: Int { vectors.approximateBytes + keywords.approximateBytes }

    func save(to directory: URL) throws {
        try vectors.save(to: directory.appendingPathComponent("vectors.hyv"))
        try keywords.save(to: directory.appendingPathComponent("keywords.hyk"))
    }
}

/// Opens, keeps and persists the indexes of every RAG model generation under `<data_dir>/indexes`.
///
/// The store is the source of truth: an index file that is missing, damaged or out of step with the
/// store's chunks (a crash between a commit and a save) is rebuilt from the embeddings kept there.
///
/// Open indexes are kept up to `cacheBytes` (0: no limit): past it the least recently used ones are saved and
/// released, and load again from their files on next use.
actor IndexRegistry {
    let root: URL
    let store: Store
    let dimension: Int
    let logger: Logger
    let cacheBytes: Int
    private var open: [String: ModelIndexes] = [:]
    /// Use order: a larger number was used more recently.
    private var lastUse: [String: UInt64] = [:]
    private var useClock: UInt64 = 0
    /// Bumped by every change to any index; caches of search results key on it, so a change
    /// invalidates them at once.
    nonisolated let changes = ManagedAtomic<Int>(0)

    init(root: URL, store: Store, dimension: Int, logger: Logger, cacheBytes: Int = 0) {
        self.cacheBytes = cacheBytes
        self.root = root
        self.store = store
        self.dimension = dimension
        self.logger = logger
    }

    private func key(_ model: UUID, _ generation: Int) -> String { "\(model.lowercasedString)/\(generation)" }
    private func directory(_ model: UUID, _ generation: Int) -> URL { root.appendingPathComponent(key(model, generation)) }

    /// The indexes of a model generation, loaded or rebuilt on first use.
    func indexes(model: UUID, generation: Int) async throws -> ModelIndexes {
        let key = key(model, generation)
        useClock += 1
        lastUse[key] = useClock
        if let indexes = open[key] { return indexes }
        let indexes = try await load(model: model, generation: generation)
        if let raced = open[key] { return raced }
        open[key] = indexes
        releaseOverBudget(keeping: key)
        return indexes
    }

    /// Saves and releases the least recently used indexes until the open ones fit in `cacheBytes` (the one in use
    /// stays, whatever its size). An index released while a job still writes to it is rebuilt from the store at
    /// its next load, which notices it is out of step.
    private func releaseOverBudget(keeping: String) {
        guard cacheBytes > 0 else { return }
        var sizes = open.mapValues(\.approximateBytes)
        var total = sizes.values.reduce(0, +)
        while total > cacheBytes, let victim = sizes.keys.filter({ $0 != keeping }).min(by: { lastUse[$0, default: 0] < lastUse[$1, default: 0] }) {
            if let indexes = open[victim] {
                do { try indexes.save(to: root.appendingPathComponent(victim)) } catch {
                    logger.warning("could not save an index before releasing it", metadata: ["index": "\(victim)", "error": "\(error)"])
                }
            }
            open[victim] = nil
            lastUse[victim] = nil
            total -= sizes.removeValue(forKey: victim) ?? 0
            logger.info("released an index from memory", metadata: ["index": "\(victim)", "open_bytes": "\(total)"])
        }
    }

    private func load(model: UUID, generation: Int) async throws -> ModelIndexes {
        let dir = directory(model, generation)
        let storedIDs = Set(try await store.documents.chunks(modelID: model, generation: generation).map { $0.id.uuidString })
        do {
            let vectors = try LocalVectorIndex.load(from: dir.appendingPathComponent("vectors.hyv"))
            let keywords = try BM25Index.load(from: dir.appendingPathComponent("keywords.hyk"))
            let indexed = Set(vectors.entries().map(\.id))
            if vectors.dimension == dimension, indexed == storedIDs, keywords.liveCount == storedIDs.count {
                return ModelIndexes(vectors: vectors, keywords: keywords)
            }
            logger.warning("index out of step with the store; rebuilding", metadata: ["model_id": "\(model)", "generation": "\(generation)"])
        } catch IndexFileError.missing {
            // First use of this generation, or never saved: build from the store.
        } catch {
            logger.warning("index file unusable; rebuilding", metadata: ["model_id": "\(model)", "error": "\(error)"])
        }
        let indexes = ModelIndexes(vectors: LocalVectorIndex(dimension: dimension), keywords: BM25Index())
        let chunks = try await store.documents.chunks(modelID: model, generation: generation)
        let documents = Dictionary(uniqueKeysWithValues: try await store.documents.all(modelID: model).map { ($0.id, $0) })
        try add(chunks, documents: documents, to: indexes)
        if !chunks.isEmpty { try indexes.save(to: dir) }
        return indexes
    }

    private func add(_ chunks: [ChunkRecord], documents: [UUID: DocumentRecord], to indexes: ModelIndexes) throws {
        let usable = chunks.filter { $0.embedding.count == dimension }
        func metadata(_ chunk: ChunkRecord) -> EntryMetadata {
            EntryMetadata(documentID: chunk.documentID.uuidString, tags: documents[chunk.documentID]?.tags ?? [])
        }
        try indexes.vectors.addSync(usable.map { VectorEntry(id: $0.id.uuidString, vector: $0.embedding, metadata: metadata($0)) })
        try indexes.keywords.addSync(usable.map { chunk in
            let title = documents[chunk.documentID]?.title ?? ""
            return KeywordEntry(id: chunk.id.uuidString, text: ([title] + chunk.headingPath + [chunk.text]).joined(separator: "\n"), metadata: metadata(chunk))
        })
    }

    /// Puts a document's chunks into the generation's indexes, replacing any it had, and saves them.
    func replace(document: DocumentRecord, chunks: [ChunkRecord], model: UUID, generation: Int) async throws {
        let indexes = try await indexes(model: model, generation: generation)
        indexes.vectors.removeSync(documentIDs: [document.id.uuidString])
        indexes.keywords.removeSync(documentIDs: [document.id.uuidString])
        defer { changes.wrappingIncrement(ordering: .relaxed) }
        try add(chunks, documents: [document.id: document], to: indexes)
        releaseOverBudget(keeping: key(model, generation))
    }

    /// Writes a generation's indexes to disk (after a job, not after every document).
    func save(model: UUID, generation: Int) throws {
        guard let indexes = open[key(model, generation)] else { return }
        try indexes.save(to: directory(model, generation))
    }

    /// Removes a document from every open generation of the model at once.
    func remove(documentID: UUID, model: UUID) {
        let prefix = model.lowercasedString + "/"
        defer { changes.wrappingIncrement(ordering: .relaxed) }
        for (key, indexes) in open where key.hasPrefix(prefix) {
            indexes.vectors.removeSync(documentIDs: [documentID.uuidString])
            indexes.keywords.removeSync(documentIDs: [documentID.uuidString])
        }
    }

    /// Forgets one generation and deletes its files (after a switch, or a canceled training).
    func drop(model: UUID, generation: Int) {
        changes.wrappingIncrement(ordering: .relaxed)
        open[key(model, generation)] = nil
        lastUse[key(model, generation)] = nil
        try? FileManager.default.removeItem(at: directory(model, generation))
    }

    /// Forgets a model and deletes its index files.
    func drop(model: UUID) {
        changes.wrappingIncrement(ordering: .relaxed)
        let prefix = model.lowercasedString + "/"
        for key in open.keys where key.hasPrefix(prefix) {
            open[key] = nil
            lastUse[key] = nil
        }
        try? FileManager.default.removeItem(at: root.appendingPathComponent(model.lowercasedString))
    }

}
