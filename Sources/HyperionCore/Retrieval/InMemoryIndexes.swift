import Synchronization

/// The in-memory twin of a vector index: exact cosine search over every entry. Small and obviously right; for
/// tests and as the reference the conformance suite's expectations are written against.
public final class InMemoryVectorIndex: VectorIndex {
    public let dimension: Int
    private let entries = Mutex<[String: VectorEntry]>([:])

    /// Creates an empty index.
    public init(dimension: Int) {
        self.dimension = dimension
    }

    public func count() async throws -> Int { entries.withLock { $0.count } }

    public func add(_ entries: [VectorEntry]) async throws {
        for entry in entries {
            guard !entry.id.isEmpty else { throw HyperionError.invalid("id", "must not be empty") }
            guard entry.vector.count == dimension else {
                throw HyperionError.invalid("vector", "has \(entry.vector.count) dimensions; the index has \(dimension)")
            }
        }
        self.entries.withLock { stored in
            for entry in entries { stored[entry.id] = VectorEntry(id: entry.id, vector: Self.unit(entry.vector), metadata: entry.metadata) }
        }
    }

    public func remove(ids: [String]) async throws {
        entries.withLock { stored in for id in ids { stored[id] = nil } }
    }

    public func remove(documentIDs: [String]) async throws {
        let documents = Set(documentIDs)
        entries.withLock { stored in stored = stored.filter { !documents.contains($0.value.metadata.documentID) } }
    }

    public func search(_ query: [Float], k: Int, filter: SearchFilter) async throws -> [IndexHit] {
        guard query.count == dimension else {
            throw HyperionError.invalid("vector", "has \(query.count) dimensions; the index has \(dimension)")
        }
        guard k > 0 else { return [] }
        let query = Self.unit(query)
        let hits = entries.withLock { stored in
            stored.values.filter { filter.admits($0.metadata) }.map { entry in
                IndexHit(id: entry.id, documentID: entry.metadata.documentID, score: zip(query, entry.vector).reduce(0) { $0 + $1.0 * $1.1 })
            }
        }
        return Array(hits.sorted { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }.prefix(k))
    }

    private static func unit(_ vector: [Float]) -> [Float] {
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? vector.map { $0 / norm } : vector
    }
}

/// The in-memory twin of a keyword index: lower-cased words, scored by how often the query's words occur
/// (each weighted by its rarity), so an entry holding a query word always outranks one that holds none.
public final class InMemoryKeywordIndex: KeywordIndex {
    private let entries = Mutex<[String: (words: [String: Int], metadata: EntryMetadata)]>([:])

    /// Creates an empty index.
    public init() {}

    public func count() async throws -> Int { entries.withLock { $0.count } }

    public func add(_ entries: [KeywordEntry]) async throws {
        for entry in entries where entry.id.isEmpty { throw HyperionError.invalid("id", "must not be empty") }
        self.entries.withLock { stored in
            for entry in entries {
                stored[entry.id] = (Self.words(entry.text).reduce(into: [:]) { $0[$1, default: 0] += 1 }, entry.metadata)
            }
        }
    }

    public func remove(ids: [String]) async throws {
        entries.withLock { stored in for id in ids { stored[id] = nil } }
    }

    public func remove(documentIDs: [String]) async throws {
        let documents = Set(documentIDs)
        entries.withLock { stored in stored = stored.filter { !documents.contains($0.value.metadata.documentID) } }
    }

    public func search(_ text: String, k: Int, filter: SearchFilter) async throws -> [IndexHit] {
        let query = Set(Self.words(text))
        guard k > 0, !query.isEmpty else { return [] }
        let hits: [IndexHit] = entries.withLock { stored in
            let n = Float(stored.count)
            var frequency: [String: Float] = [:]
            for word in query { frequency[word] = Float(stored.values.count { $0.words[word] != nil }) }
            return stored.compactMap { id, entry in
                guard filter.admits(entry.metadata) else { return nil }
                let score = query.reduce(Float(0)) { sum, word in
                    guard let count = entry.words[word], let df = frequency[word] else { return sum }
                    return sum + Float(count) * (1 + (n / df).squareRoot())
                }
                return score > 0 ? IndexHit(id: id, documentID: entry.metadata.documentID, score: score) : nil
            }
        }
        return Array(hits.sorted { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }.prefix(k))
    }

    private static func words(_ text: String) -> [String] {
        text.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init)
    }
}
