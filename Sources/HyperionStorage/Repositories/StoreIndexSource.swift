import Foundation
import HyperionCore

/// The store as the source of truth of every index: it keeps each chunk's text and embedding, so an index catalog
/// rebuilds a missing or stale generation from here without embedding anything again.
public struct StoreIndexSource: IndexSource {
    let store: Store
    /// Length of the embeddings the catalog indexes (chunks of another length are left out).
    let dimension: Int

    /// A source reading `store`.
    public init(store: Store, dimension: Int) {
        self.store = store
        self.dimension = dimension
    }

    public func chunkIDs(of generation: IndexGeneration) async throws -> Set<String> {
        Set(try await store.documents.chunkIDs(modelID: generation.knowledgeBase, generation: generation.number).map(\.uuidString))
    }

    public func entries(of generation: IndexGeneration) async throws -> IndexEntries {
        let chunks = try await store.documents.chunks(modelID: generation.knowledgeBase, generation: generation.number)
        let documents = Dictionary(uniqueKeysWithValues: try await store.documents.all(modelID: generation.knowledgeBase).map { ($0.id, $0) })
        return IndexEntries(chunks: chunks, documents: documents, dimension: dimension)
    }
}
