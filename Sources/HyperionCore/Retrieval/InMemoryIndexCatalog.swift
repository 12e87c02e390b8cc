import Foundation
import Synchronization

/// The in-memory twin of an index catalog: every generation a pair of in-memory indexes. Catalogs made over the
/// same ``Shelf`` see the same generations, which stands in for a restart.
public final class InMemoryIndexCatalog: IndexCatalog {
    /// Where the generations live; share one between catalogs to simulate a process that restarts.
    public final class Shelf: Sendable {
        fileprivate let generations = Mutex<[IndexGeneration: GenerationIndexes]>([:])

        /// Creates an empty shelf.
        public init() {}
    }

    public let dimension: Int
    private let shelf: Shelf
    private let changes = Atomic<Int>(0)

    /// Creates a catalog over `shelf` (a new one by default).
    public init(dimension: Int, shelf: Shelf = Shelf()) {
        self.dimension = dimension
        self.shelf = shelf
    }

    public var changeCount: Int { changes.load(ordering: .relaxed) }

    public func indexes(of generation: IndexGeneration) async throws -> GenerationIndexes {
        shelf.generations.withLock { open in
            if let indexes = open[generation] { return indexes }
            let indexes = GenerationIndexes(vectors: InMemoryVectorIndex(dimension: dimension), keywords: InMemoryKeywordIndex())
            open[generation] = indexes
            return indexes
        }
    }

    public func add(_ entries: IndexEntries, to generation: IndexGeneration) async throws {
        let indexes = try await indexes(of: generation)
        defer { changes.add(1, ordering: .relaxed) }
        try await indexes.vectors.add(entries.vectors)
        try await indexes.keywords.add(entries.keywords)
    }

    public func replace(documentID: String, with entries: IndexEntries, in generation: IndexGeneration) async throws {
        let indexes = try await indexes(of: generation)
        defer { changes.add(1, ordering: .relaxed) }
        try await indexes.vectors.remove(documentIDs: [documentID])
        try await indexes.keywords.remove(documentIDs: [documentID])
        try await indexes.vectors.add(entries.vectors)
        try await indexes.keywords.add(entries.keywords)
    }

    public func remove(documentID: String, knowledgeBase: UUID) async throws {
        defer { changes.add(1, ordering: .relaxed) }
        let all = shelf.generations.withLock { $0.filter { $0.key.knowledgeBase == knowledgeBase }.map(\.value) }
        for indexes in all {
            try await indexes.vectors.remove(documentIDs: [documentID])
            try await indexes.keywords.remove(documentIDs: [documentID])
        }
    }

    public func persist(_ generation: IndexGeneration) async throws {}

    public func drop(_ generation: IndexGeneration) async throws {
        changes.add(1, ordering: .relaxed)
        shelf.generations.withLock { $0[generation] = nil }
    }

    public func drop(knowledgeBase: UUID) async throws {
        changes.add(1, ordering: .relaxed)
        shelf.generations.withLock { open in open = open.filter { $0.key.knowledgeBase != knowledgeBase } }
    }
}
