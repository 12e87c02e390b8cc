/// Settings of a ``Retriever``.
public struct RetrieverSettings: Sendable, Hashable {
    /// How hybrid mode combines the rankings.
    public var fusion: Fusion
    /// How many candidates each mode contributes before fusion (at least the requested k).
    public var candidates: Int
    /// Whether chunks or whole documents are ranked.
    public var granularity: Granularity

    /// Creates settings; the defaults are weighted fusion with equal weights over 100 candidates per mode,
    /// chunk results. Equal weights beat RRF (k = 60) on SciFact's train split: nDCG@10 0.739 vs 0.723
    /// (BENCHMARKS.md).
    public init(fusion: Fusion = .weighted(vectorWeight: 0.5), candidates: Int = 100, granularity: Granularity = .chunk) {
        self.fusion = fusion
        self.candidates = candidates
        self.granularity = granularity
    }
}

/// Answers a text query from a vector index, a keyword index, or both fused.
public struct Retriever: Sendable {
    /// Embeds the query for the vector index.
    public let embedder: any Embedder
    /// The vector index searched in `vector` and `hybrid` mode.
    public let vectors: any VectorIndex
    /// The keyword index searched in `keyword` and `hybrid` mode.
    public let keywords: any KeywordIndex
    /// Fusion and candidate settings.
    public let settings: RetrieverSettings

    /// Creates a retriever over the given indexes.
    public init(embedder: any Embedder, vectors: any VectorIndex, keywords: any KeywordIndex, settings: RetrieverSettings = .init()) {
        self.embedder = embedder
        self.vectors = vectors
        self.keywords = keywords
        self.settings = settings
    }

    /// The best `k` results for `query`, each with its per-mode ranks and scores. A blank query gives none.
    public func retrieve(_ query: String, k: Int, mode: RetrievalMode, filter: SearchFilter = .none) async throws -> [RetrievedItem] {
        guard k > 0, query.contains(where: { !$0.isWhitespace }) else { return [] }
        // Document granularity collapses chunks, so ask for more so k documents remain.
        let depth = max(k, settings.candidates) * (settings.granularity == .document ? 4 : 1)
        switch mode {
        case .vector:
            let hits = try await vectorHits(query, depth: depth, filter: filter)
            return Fusion.single(hits, mode: .vector, granularity: settings.granularity, limit: k)
        case .keyword:
            let hits = try await keywordHits(query, depth: depth, filter: filter)
            return Fusion.single(hits, mode: .keyword, granularity: settings.granularity, limit: k)
        case .hybrid:
            async let keywordHits = keywordHits(query, depth: depth, filter: filter)
            let vectorHits = try await vectorHits(query, depth: depth, filter: filter)
            let limit = settings.candidates
            let vector = Array(Fusion.collapse(vectorHits, by: settings.granularity).prefix(max(k, limit)))
            let keyword = Array(Fusion.collapse(try await keywordHits, by: settings.granularity).prefix(max(k, limit)))
            return await Spans.run("fuse") { span in
                span.update { attributes in
                    attributes["hyperion.fuse.vector_candidates"] = vector.count
                    attributes["hyperion.fuse.keyword_candidates"] = keyword.count
                }
                return settings.fusion.fuse(vector: vector, keyword: keyword, granularity: settings.granularity, limit: k)
            }
        }
    }

    private func vectorHits(_ query: String, depth: Int, filter: SearchFilter) async throws -> [IndexHit] {
        let embedding = try await Spans.run("embed query", .embedding) { span in
            if span.keepsContent { span.set(OpenInference.embeddingText(0), query) }
            return try await embedder.embed([query], purpose: .query).first
        }
        guard let embedding else { return [] }
        return try await Spans.run("vector search", .retriever) { span in
            let hits = try await vectors.search(embedding, k: depth, filter: filter)
            span.set("hyperion.hits", hits.count)
            return hits
        }
    }

    private func keywordHits(_ query: String, depth: Int, filter: SearchFilter) async throws -> [IndexHit] {
        try await Spans.run("keyword search", .retriever) { span in
            let hits = try await keywords.search(query, k: depth, filter: filter)
            span.set("hyperion.hits", hits.count)
            return hits
        }
    }
}
