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

    func save(to directory: URL) throws {
        try vectors.save(to: directory.appendingPathComponent("vectors.hyv"))
        try keywords.save(to: directory.appendingPathComponent("keywords.hyk"))
    }
}

/// Opens, keeps and persists the indexes of every RAG model generation under `<data_dir>/indexes`.
///
/// The store is the source of truth: an index file that is missing, damaged or out of step with the
/// store's chunks (a crash between a commit and a save) is rebuilt from the embeddings kept there.
actor IndexRegistry {
    let root: URL
    let store: Store
    let dimension: Int
    let logger: Logger
    private var open: [String: ModelIndexes] = [:]
    /// Bumped by every change to any index; caches of search results key on it, so a change
    /// invalidates them at once.
    nonisolated let changes = ManagedAtomic<Int>(0)

    init(root: URL, store: Store, dimension: Int, logger: Logger) {
        self.root = root
        self.store = store
        self.dimension = dimension
        self.logger = logger
    }

    private func key(_ model: UUID, _ generation: Int) -> String { "\(model.lowercasedString)/\(generation)" }
    private func directory(_ model: UUID, _ generation: Int) -> URL { root.appendingPathComponent(key(model, generation)) }

    /// The indexes of a model generation, loaded or rebuilt on first use.
    func indexes(model: UUID, generation: Int) async throws -> ModelIndexes {
        if let indexes = open[key(model, generation)] { return indexes }
        let indexes = try await load(model: model, generation: generation)
        if let raced = open[key(model, generation)] { return raced }
        open[key(model, generation)] = indexes
        return indexes
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
        try? FileManager.default.removeItem(at: directory(model, generation))
    }

    /// Forgets a model and deletes its index files.
    func drop(model: UUID) {
        changes.wrappingIncrement(ordering: .relaxed)
        let prefix = model.lowercasedString + "/"
        for key in open.keys where key.hasPrefix(prefix) { open[key] = nil }
        try? FileManager.default.removeItem(at: root.appendingPathComponent(model.lowercasedString))
    }

    /// Sizes of the open indexes, for status pages.
    func sizes() -> [String: Int] {
        open.mapValues { $0.vectors.liveCount }
    }
}
