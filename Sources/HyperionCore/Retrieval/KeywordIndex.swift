/// A text to index for keyword search.
public struct KeywordEntry: Sendable {
    /// Unique id of the entry (a chunk id); adding an existing id replaces it.
    public var id: String
    /// The text to analyse and index.
    public var text: String
    /// Document and tags, for filtered searches.
    public var metadata: EntryMetadata

    /// Creates an entry.
    public init(id: String, text: String, metadata: EntryMetadata) {
        self.id = id
        self.text = text
        self.metadata = metadata
    }
}

/// Ranked keyword search (BM25 in the embedded default; PostgreSQL full-text when scaled out).
public protocol KeywordIndex: Sendable {
    /// Number of live (not deleted) entries.
    func count() async throws -> Int
    /// Adds entries, replacing entries with the same id.
    func add(_ entries: [KeywordEntry]) async throws
    /// Deletes entries by id; unknown ids are ignored.
    func remove(ids: [String]) async throws
    /// Deletes every entry of the given documents.
    func remove(documentIDs: [String]) async throws
    /// The `k` best-matching entries for `text` that pass `filter`, best first. Empty text gives no hits.
    func search(_ text: String, k: Int, filter: SearchFilter) async throws -> [IndexHit]
}
