/// What an index keeps beside each entry so searches can be filtered inside the index.
public struct EntryMetadata: Sendable, Hashable, Codable {
    /// The document the entry (a chunk) belongs to.
    public var documentID: String
    /// Free-form labels a search can be restricted to.
    public var tags: [String]

    /// Creates metadata.
    public init(documentID: String, tags: [String] = []) {
        self.documentID = documentID
        self.tags = tags
    }
}

/// A restriction applied inside a search, so a filtered top-k still holds k results when k exist.
public struct SearchFilter: Sendable, Hashable {
    /// Only entries of these documents, when set.
    public var documentIDs: Set<String>?
    /// Only entries carrying at least one of these tags, when set.
    public var anyTags: Set<String>?

    /// Creates a filter; `nil` parts do not restrict.
    public init(documentIDs: Set<String>? = nil, anyTags: Set<String>? = nil) {
        self.documentIDs = documentIDs
        self.anyTags = anyTags
    }

    /// The filter that lets everything through.
    public static let none = SearchFilter()

    /// Whether the filter restricts anything.
    public var isEmpty: Bool { documentIDs == nil && anyTags == nil }

    /// Whether an entry with `metadata` passes.
    public func admits(_ metadata: EntryMetadata) -> Bool {
        if let documentIDs, !documentIDs.contains(metadata.documentID) { return false }
        if let anyTags, !metadata.tags.contains(where: anyTags.contains) { return false }
        return true
    }
}

/// One result of an index search, best first; higher scores are better.
public struct IndexHit: Sendable, Hashable {
    /// The entry's id (a chunk id).
    public var id: String
    /// The document the entry belongs to.
    public var documentID: String
    /// Similarity (vector index) or BM25 score (keyword index); higher is better.
    public var score: Float

    /// Creates a hit.
    public init(id: String, documentID: String, score: Float) {
        self.id = id
        self.documentID = documentID
        self.score = score
    }
}

/// How vector similarity is measured. Scores are always "higher is better".
public enum VectorMetric: String, Sendable, Codable, CaseIterable {
    /// Cosine similarity; vectors are normalised on the way in.
    case cosine
    /// Inner product of the vectors as given.
    case dot
    /// Euclidean distance, reported as its negative square so that higher is better.
    case l2
}
