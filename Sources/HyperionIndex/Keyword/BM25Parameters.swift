/// Okapi BM25 parameters, as in Lucene and Anserini.
public struct BM25Parameters: Sendable, Hashable {
    /// Term-frequency saturation; higher lets repeated terms count for more.
    public var k1: Float
    /// Length normalisation, 0 (none) to 1 (full).
    public var b: Float

    /// Creates parameters; the defaults (k1 0.9, b 0.4) are Anserini's for BEIR.
    public init(k1: Float = 0.9, b: Float = 0.4) {
        self.k1 = max(0, k1)
        self.b = min(max(0, b), 1)
    }
}
