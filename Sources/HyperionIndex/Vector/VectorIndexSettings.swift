import HyperionCore

/// Settings of the in-process vector index.
public struct VectorIndexSettings: Sendable, Hashable {
    /// Similarity measure.
    public var metric: VectorMetric
    /// HNSW links per node on the upper layers (twice this on layer 0).
    public var m: Int
    /// Candidate list size while inserting; higher builds a better graph, slower.
    public var efConstruction: Int
    /// Candidate list size while searching (at least k); higher is more exact, slower.
    public var efSearch: Int
    /// Below this many live vectors search is exact; at or above it an HNSW graph is built.
    public var exactThreshold: Int
    /// Seed of the level generator, so builds are reproducible.
    public var seed: UInt64

    /// Creates settings. Defaults: cosine, M 16, efConstruction 100, efSearch 64, exact below 10,000.
    public init(metric: VectorMetric = .cosine, m: Int = 16, efConstruction: Int = 100, efSearch: Int = 64,
                exactThreshold: Int = 10_000, seed: UInt64 = 42) {
        self.metric = metric
        self.m = max(2, m)
        self.efConstruction = max(1, efConstruction)
        self.efSearch = max(1, efSearch)
        self.exactThreshold = max(0, exactThreshold)
        self.seed = seed
    }
}
