import Foundation
import HyperionCore
import HyperionStorage
import Logging

/// Copies every knowledge base's live generation into the vector store the settings name, from the store (which keeps
/// each chunk's text and embedding, so nothing is embedded again).
///
/// Run while the servers still answer from the old vector store: each document is replaced in the target as a whole,
/// so the copy is idempotent and may be run again after the servers were switched over, to pick up what was ingested
/// meanwhile. Queries keep answering from the old store until the servers restart with the new one.
public enum IndexMigration {
    /// What was copied for one knowledge base.
    public struct Copied: Sendable {
        /// Its name.
        public var name: String
        /// Its id.
        public var id: UUID
        /// Documents copied.
        public var documents: Int
        /// Chunks copied (vector and keyword entry each).
        public var chunks: Int
        /// Vectors the target holds for the generation afterwards.
        public var targetCount: Int
        /// Wall time.
        public var seconds: Double
    }

    /// Copies each knowledge base's live generation; `progress` hears about each one as it finishes.
    public static func run(settings: ServerSettings, store: Store, dimension: Int, logger: Logger,
                           progress: @Sendable (Copied) -> Void = { _ in }) async throws -> [Copied] {
        let engines = try IndexEngines.make(settings: settings, store: store, dimension: dimension, logger: logger)
        do {
            let copied = try await copy(into: engines.catalog, store: store, dimension: dimension, progress: progress)
            try await engines.close()
            return copied
        } catch {
            try? await engines.close()
            throw error
        }
    }

    static func copy(into catalog: any IndexCatalog, store: Store, dimension: Int, progress: @Sendable (Copied) -> Void) async throws -> [Copied] {
        let source = StoreIndexSource(store: store, dimension: dimension)
        var copied: [Copied] = []
        for knowledgeBase in try await store.knowledgeBases.all(visibleTo: UUID(), role: .admin) {
            let started = ContinuousClock.now
            let generation = IndexGeneration(knowledgeBase: knowledgeBase.id, number: knowledgeBase.generation)
            let entries = try await source.entries(of: generation)
            let vectors = Dictionary(grouping: entries.vectors, by: \.metadata.documentID)
            let keywords = Dictionary(grouping: entries.keywords, by: \.metadata.documentID)
            for documentID in Set(vectors.keys).union(keywords.keys).sorted() {
                try await catalog.replace(documentID: documentID, with: IndexEntries(vectors: vectors[documentID] ?? [], keywords: keywords[documentID] ?? []),
                                                  in: generation)
            }
            try await catalog.persist(generation)
            let count = try await catalog.indexes(of: generation).vectors.count()
            let done = Copied(name: knowledgeBase.name, id: knowledgeBase.id, documents: Set(vectors.keys).count, chunks: entries.vectors.count,
                              targetCount: count, seconds: (ContinuousClock.now - started).seconds)
            progress(done)
            copied.append(done)
        }
        return copied
    }
}
