/// A vector to index with its metadata.
public struct VectorEntry: Sendable {
    /// Unique id of the entry (a chunk id); adding an existing id replaces it.
    public var id: String
    /// The vector; its length must equal the index's dimension.
    public var vector: [Float]
    /// Document and tags, for filtered searches.
    public var metadata: EntryMetadata

    /// Creates an entry.
    public init(id: String, vector: [Float], metadata: EntryMetadata) {
        self.id = id
        self.vector = vector
        self.metadata = metadata
    }
}

/// Nearest-neighbour search over embeddings. The embedded default is HyperionIndex's
/// `LocalVectorIndex`; Milvus, Chroma and pgvector implement the same protocol.
public protocol VectorIndex: Sendable {
    /// Number of dimensions every vector must have.
    var dimension: Int { get }
    /// Number of live (not deleted) entries.
    func count() async throws -> Int
    /// Adds entries, replacing entries with the same id.
    func add(_ entries: [VectorEntry]) async throws
    /// Deletes entries by id; unknown ids are ignored. Deleted ids are never returned afterwards.
    func remove(ids: [String]) async throws
    /// Deletes every entry of the given documents.
    func remove(documentIDs: [String]) async throws
    /// The `k` entries most similar to `query` that pass `filter`, best first.
    func search(_ query: [Float], k: Int, filter: SearchFilter) async throws -> [IndexHit]
}
