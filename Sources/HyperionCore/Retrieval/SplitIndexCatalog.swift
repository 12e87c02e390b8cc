import Foundation
import Synchronization

/// An index catalog whose vector and keyword halves live in outside engines, one collection per generation each:
/// vectors in pgvector, Milvus or Chroma, keywords in the shared store. Nothing is kept in this process, so every
/// instance over the same engines sees the same generations.
public final class SplitIndexCatalog: IndexCatalog {
    public let dimension: Int
    /// Where vectors live.
    public let vectors: any GenerationCollections<any VectorIndex>
    /// Where keyword postings live.
    public let keywords: any GenerationCollections<any KeywordIndex>
    private let changes = Atomic<Int>(0)

    /// Pairs two engines; `dimension` is the embedder's.
    public init(dimension: Int, vectors: any GenerationCollections<any VectorIndex>, keywords: any GenerationCollections<any KeywordIndex>) {
        self.dimension = dimension
        self.vectors = vectors
        self.keywords = keywords
    }

    /// Changes made through this instance; another instance's changes reach it through the engines, not this count.
    public var changeCount: Int { changes.load(ordering: .relaxed) }

    public func indexes(of generation: IndexGeneration) async throws -> GenerationIndexes {
        async let vectorIndex = vectors.collection(of: generation)
        async let keywordIndex = keywords.collection(of: generation)
        return GenerationIndexes(vectors: try await vectorIndex, keywords: try await keywordIndex)
    }

    public func add(_ entries: IndexEntries, to generation: IndexGeneration) async throws {
        let indexes = try await indexes(of: generation)
        defer { changes.add(1, ordering: .relaxed) }
        // Keywords first: a vector hit without its keyword entry is still found; the reverse order would let a crash
        // between the two leave a chunk only keyword search knows. Both writes are idempotent, so a retried job heals.
        try await indexes.keywords.add(entries.keywords)
        try await indexes.vectors.add(entries.vectors)
    }

    public func replace(documentID: String, with entries: IndexEntries, in generation: IndexGeneration) async throws {
        let indexes = try await indexes(of: generation)
        defer { changes.add(1, ordering: .relaxed) }
        try await indexes.vectors.remove(documentIDs: [documentID])
        try await indexes.keywords.remove(documentIDs: [documentID])
        try await indexes.keywords.add(entries.keywords)
        try await indexes.vectors.add(entries.vectors)
    }

    public func remove(documentID: String, knowledgeBase: UUID) async throws {
        defer { changes.add(1, ordering: .relaxed) }
        for generation in try await vectors.generations(of: knowledgeBase) {
            try await vectors.collection(of: generation).remove(documentIDs: [documentID])
        }
        for generation in try await keywords.generations(of: knowledgeBase) {
            try await keywords.collection(of: generation).remove(documentIDs: [documentID])
        }
    }

    /// Every write is durable when it returns; engines that keep recent writes apart (Milvus) seal them.
    public func persist(_ generation: IndexGeneration) async throws {
        try await vectors.persist(generation)
        try await keywords.persist(generation)
    }

    public func drop(_ generation: IndexGeneration) async throws {
        defer { changes.add(1, ordering: .relaxed) }
        try await vectors.drop(generation)
        try await keywords.drop(generation)
    }

    public func drop(knowledgeBase: UUID) async throws {
        defer { changes.add(1, ordering: .relaxed) }
        try await vectors.drop(knowledgeBase: knowledgeBase)
        try await keywords.drop(knowledgeBase: knowledgeBase)
    }
}

/// The in-memory twin of a ``GenerationCollections``: one index per generation, made by `make`.
public final class InMemoryCollections<Index: Sendable>: GenerationCollections {
    public let engine: String
    private let make: @Sendable () -> Index
    private let open = Mutex<[IndexGeneration: Index]>([:])

    /// A twin named `engine` whose collections `make` creates.
    public init(engine: String = "memory", make: @escaping @Sendable () -> Index) {
        self.engine = engine
        self.make = make
    }

    public func collection(of generation: IndexGeneration) async throws -> Index {
        open.withLock { open in
            if let index = open[generation] { return index }
            let index = make()
            open[generation] = index
            return index
        }
    }

    public func generations(of knowledgeBase: UUID) async throws -> [IndexGeneration] {
        open.withLock { $0.keys.filter { $0.knowledgeBase == knowledgeBase } }
    }

    public func drop(_ generation: IndexGeneration) async throws { open.withLock { $0[generation] = nil } }

    public func drop(knowledgeBase: UUID) async throws {
        open.withLock { open in open = open.filter { $0.key.knowledgeBase != knowledgeBase } }
    }

    public func ping() async throws {}
}
