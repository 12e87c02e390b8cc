/// Which indexes a retrieval asks.
public enum RetrievalMode: String, Sendable, Codable, CaseIterable {
    /// Embedding similarity only.
    case vector
    /// BM25 only.
    case keyword
    /// Both, fused.
    case hybrid
}

/// How hybrid retrieval combines the vector and keyword rankings.
public enum Fusion: Sendable, Hashable {
    /// Reciprocal Rank Fusion: Σ 1 / (k + rank). Needs no score calibration; `k` is usually 60.
    case reciprocalRank(k: Double)
    /// Min–max normalised scores, `vectorWeight · v + (1 − vectorWeight) · keyword`.
    case weighted(vectorWeight: Double)
}

/// What the ranked units of a retrieval are.
public enum Granularity: String, Sendable, Codable {
    /// Chunks, as indexed.
    case chunk
    /// Documents: each ranking keeps only the best chunk of a document before fusion.
    case document
}

/// One mode's view of a result: its 1-based rank and raw score in that mode's ranking.
public struct ModeRank: Sendable, Hashable, Codable {
    /// 1-based position in the mode's ranking.
    public var rank: Int
    /// The mode's raw score (similarity or BM25).
    public var score: Float

    /// Creates a mode rank.
    public init(rank: Int, score: Float) {
        self.rank = rank
        self.score = score
    }
}

/// A retrieval result with the reasons it came back.
public struct RetrievedItem: Sendable, Hashable {
    /// The chunk id (for document granularity: the document's best chunk).
    public var id: String
    /// The document the chunk belongs to.
    public var documentID: String
    /// The final score that ordered the results (fused for hybrid).
    public var score: Double
    /// Rank and score in the vector ranking, when it appeared there.
    public var vector: ModeRank?
    /// Rank and score in the keyword ranking, when it appeared there.
    public var keyword: ModeRank?

    /// Creates a retrieved item.
    public init(id: String, documentID: String, score: Double, vector: ModeRank? = nil, keyword: ModeRank? = nil) {
        self.id = id
        self.documentID = documentID
        self.score = score
        self.vector = vector
        self.keyword = keyword
    }
}

extension Fusion {
    /// Keeps the first (best) hit per unit of `granularity`, preserving order.
    public static func collapse(_ hits: [IndexHit], by granularity: Granularity) -> [IndexHit] {
        guard granularity == .document else { return hits }
        var seen = Set<String>()
        return hits.filter { seen.insert($0.documentID).inserted }
    }

    /// One ranking turned into results (the single-mode case), keeping ranks and scores.
    public static func single(_ hits: [IndexHit], mode: RetrievalMode, granularity: Granularity, limit: Int) -> [RetrievedItem] {
        let hits = collapse(hits, by: granularity)
        return hits.prefix(limit).enumerated().map { index, hit in
            let rank = ModeRank(rank: index + 1, score: hit.score)
            return RetrievedItem(
                id: hit.id, documentID: hit.documentID, score: Double(hit.score),
                vector: mode == .vector ? rank : nil, keyword: mode == .keyword ? rank : nil
            )
        }
    }

    /// Fuses the two rankings (each best first) and returns the best `limit`, ties broken by id.
    public func fuse(vector: [IndexHit], keyword: [IndexHit], granularity: Granularity, limit: Int) -> [RetrievedItem] {
        let vector = Fusion.collapse(vector, by: granularity)
        let keyword = Fusion.collapse(keyword, by: granularity)
        func key(_ hit: IndexHit) -> String { granularity == .document ? hit.documentID : hit.id }

        var items: [String: RetrievedItem] = [:]
        for (index, hit) in vector.enumerated() {
            items[key(hit)] = RetrievedItem(id: hit.id, documentID: hit.documentID, score: 0,
                                            vector: ModeRank(rank: index + 1, score: hit.score))
        }
        for (index, hit) in keyword.enumerated() {
            let rank = ModeRank(rank: index + 1, score: hit.score)
            items[key(hit), default: RetrievedItem(id: hit.id, documentID: hit.documentID, score: 0)].keyword = rank
        }

        switch self {
        case .reciprocalRank(let k):
            for (key, item) in items {
                var score = 0.0
                if let v = item.vector { score += 1 / (k + Double(v.rank)) }
                if let w = item.keyword { score += 1 / (k + Double(w.rank)) }
                items[key]!.score = score
            }
        case .weighted(let weight):
            let vNorm = Normaliser(vector.map(\.score))
            let kNorm = Normaliser(keyword.map(\.score))
            for (key, item) in items {
                let v = item.vector.map { vNorm($0.score) } ?? 0
                let w = item.keyword.map { kNorm($0.score) } ?? 0
                items[key]!.score = weight * v + (1 - weight) * w
            }
        }
        let ordered = items.values.sorted { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }
        return Array(ordered.prefix(limit))
    }
}

/// Min–max normalisation of one ranking's scores onto 0…1 (all equal → 1).
struct Normaliser {
    let low: Double
    let span: Double

    init(_ scores: [Float]) {
        let low = Double(scores.min() ?? 0)
        let high = Double(scores.max() ?? 0)
        self.low = low
        self.span = high - low
    }

    func callAsFunction(_ score: Float) -> Double {
        span > 0 ? (Double(score) - low) / span : 1
    }
}
