import Foundation

/// One searchable state of a knowledge base: the vector and keyword index built with one embedding model and
/// one chunking setting. Ingestion appends to the live generation; training builds the next one beside it.
public struct IndexGeneration: Hashable, Sendable, CustomStringConvertible {
    /// The knowledge base the generation belongs to.
    public var knowledgeBase: UUID
    /// Its number; a knowledge base's live generation is the one its record points at.
    public var number: Int

    /// Creates a generation reference.
    public init(knowledgeBase: UUID, number: Int) {
        self.knowledgeBase = knowledgeBase
        self.number = number
    }

    public var description: String { "\(knowledgeBase.lowercasedString)/\(number)" }
}

/// The two indexes of one generation, searched by a ``Retriever``.
public struct GenerationIndexes: Sendable {
    /// Embedding similarity.
    public let vectors: any VectorIndex
    /// BM25 (or the engine's keyword ranking).
    public let keywords: any KeywordIndex

    /// Pairs two indexes.
    public init(vectors: any VectorIndex, keywords: any KeywordIndex) {
        self.vectors = vectors
        self.keywords = keywords
    }
}

/// What a catalog rebuilds a generation from when its own copy is missing or out of step: the store, which keeps
/// every chunk's text and embedding, so an index is never the only copy of anything.
public protocol IndexSource: Sendable {
    /// The ids of every chunk the generation should hold.
    func chunkIDs(of generation: IndexGeneration) async throws -> Set<String>
    /// Every chunk of the generation as index entries (see ``IndexEntries``).
    func entries(of generation: IndexGeneration) async throws -> IndexEntries
}

/// Entries for both indexes, usually of one document's chunks.
public struct IndexEntries: Sendable {
    /// What the vector index gets.
    public var vectors: [VectorEntry]
    /// What the keyword index gets.
    public var keywords: [KeywordEntry]

    /// Creates entries.
    public init(vectors: [VectorEntry] = [], keywords: [KeywordEntry] = []) {
        self.vectors = vectors
        self.keywords = keywords
    }

    /// The entries of a document's chunks: one vector and one keyword entry per chunk, the keyword text led by the
    /// document's title and the chunk's headings so a query naming them finds the chunk. Chunks whose embedding is
    /// not `dimension` long (indexed by another model) are left out.
    public init(chunks: [ChunkRecord], documents: [UUID: DocumentRecord], dimension: Int) {
        let usable = chunks.filter { $0.embedding.count == dimension }
        func metadata(_ chunk: ChunkRecord) -> EntryMetadata {
            EntryMetadata(documentID: chunk.documentID.uuidString, tags: documents[chunk.documentID]?.tags ?? [])
        }
        vectors = usable.map { VectorEntry(id: $0.id.uuidString, vector: $0.embedding, metadata: metadata($0)) }
        keywords = usable.map { chunk in
            let title = documents[chunk.documentID]?.title ?? ""
            return KeywordEntry(id: chunk.id.uuidString, text: ([title] + chunk.headingPath + [chunk.text]).joined(separator: "\n"),
                                metadata: metadata(chunk))
        }
    }
}

/// Every index generation of every knowledge base: where ingestion writes and retrieval reads.
///
/// The embedded default is HyperionIndex's `LocalIndexCatalog` (HNSW + BM25 files under `<data_dir>/indexes`);
/// pgvector, Milvus and Chroma implement the same protocol, and `IndexCatalogConformance` (HyperionConformance)
/// is what proves an implementation right.
public protocol IndexCatalog: Sendable {
    /// Length of every vector.
    var dimension: Int { get }
    /// Grows with every change made through the catalog, so a cache of search results that keys on it is
    /// invalidated by any change.
    var changeCount: Int { get }
    /// The generation's indexes, opened (or rebuilt from the source of truth) on first use; empty when new.
    func indexes(of generation: IndexGeneration) async throws -> GenerationIndexes
    /// Adds entries to a generation, replacing entries with the same ids.
    func add(_ entries: IndexEntries, to generation: IndexGeneration) async throws
    /// Replaces every entry of `documentID` in `generation` by `entries` (none: the document leaves that generation).
    func replace(documentID: String, with entries: IndexEntries, in generation: IndexGeneration) async throws
    /// Removes a document from every generation of its knowledge base at once: from the moment this returns no
    /// search returns it.
    func remove(documentID: String, knowledgeBase: UUID) async throws
    /// Makes the generation's current state durable (after a job, not after every document).
    func persist(_ generation: IndexGeneration) async throws
    /// Forgets one generation and everything kept for it (after a switch to the next, or a canceled training).
    func drop(_ generation: IndexGeneration) async throws
    /// Forgets every generation of a knowledge base.
    func drop(knowledgeBase: UUID) async throws
}

extension IndexCatalog {
    /// A retriever over a generation's indexes.
    public func retriever(for generation: IndexGeneration, embedder: any Embedder, settings: RetrieverSettings) async throws -> Retriever {
        let indexes = try await indexes(of: generation)
        return Retriever(embedder: embedder, vectors: indexes.vectors, keywords: indexes.keywords, settings: settings)
    }
}
