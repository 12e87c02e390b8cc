import Foundation

/// A chunk a retrieval returned: why it ranked (``RetrievedItem``), the chunk itself and its document's title.
/// The one shape between the index and the wire.
public struct ScoredChunk: Sendable {
    /// Ranks and scores that placed it.
    public var item: RetrievedItem
    /// The chunk as stored.
    public var chunk: ChunkRecord
    /// Title of the chunk's document.
    public var documentTitle: String

    /// Creates a scored chunk.
    public init(item: RetrievedItem, chunk: ChunkRecord, documentTitle: String) {
        self.item = item
        self.chunk = chunk
        self.documentTitle = documentTitle
    }
}

/// What a cached retrieval is keyed by: any difference in these gives different results.
public struct RetrievalCacheKey: Hashable, Sendable {
    /// The generation searched.
    public var generation: IndexGeneration
    /// ``IndexCatalog/changeCount`` when the search ran: any change to any index invalidates the entry.
    public var indexChanges: Int
    /// The question, lower-cased with its white space folded.
    public var query: String
    public var k: Int
    public var mode: RetrievalMode
    /// The document filter, sorted.
    public var documentIDs: [String]?
    /// The tag filter, sorted.
    public var tags: [String]?

    /// Creates a key; the query is normalised here so that equal questions share an entry.
    public init(generation: IndexGeneration, indexChanges: Int, query: String, k: Int, mode: RetrievalMode, filter: SearchFilter) {
        self.generation = generation
        self.indexChanges = indexChanges
        self.query = query.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
        self.k = k
        self.mode = mode
        self.documentIDs = filter.documentIDs.map { $0.sorted() }
        self.tags = filter.anyTags.map { $0.sorted() }
    }
}

/// Recent retrieval results, so a repeated question is not embedded and searched again. The embedded default is
/// ``InProcessQueryCache``; Redis implements it to share results between instances. `QueryCacheConformance`
/// (HyperionConformance) is what proves an implementation right.
public protocol QueryCache: Sendable {
    /// The results stored for `key`, unless expired or evicted.
    func hits(for key: RetrievalCacheKey) async -> [ScoredChunk]?
    /// Stores results for `key`.
    func store(_ hits: [ScoredChunk], for key: RetrievalCacheKey) async
}

/// The in-process query cache: an LRU of `capacity` entries that live `ttl` (capacity 0: off).
public struct InProcessQueryCache: QueryCache {
    let cache: LRUCache<RetrievalCacheKey, [ScoredChunk]>

    /// Creates an empty cache.
    public init(capacity: Int, ttl: Duration) {
        cache = LRUCache(capacity: capacity, ttl: ttl)
    }

    public func hits(for key: RetrievalCacheKey) async -> [ScoredChunk]? { cache.value(for: key) }

    public func store(_ hits: [ScoredChunk], for key: RetrievalCacheKey) async { cache.store(hits, for: key) }
}
