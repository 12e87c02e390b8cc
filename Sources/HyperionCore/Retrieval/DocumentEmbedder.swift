/// An embedder that can also count its own tokens, so documents are chunked to its window.
public protocol DocumentEmbedder: Embedder, TokenCounter {
    /// Tokens one text may have before the model truncates it (special tokens excluded).
    var maxTokens: Int { get }
}

/// The in-memory twin of the in-process model: feature hashing of lower-cased words into a unit vector.
/// Deterministic, instant, and similar texts get similar vectors; for tests and for running without a model.
public struct HashingEmbedder: DocumentEmbedder {
    public let dimension: Int
    public let maxTokens: Int
    public var modelID: String { "hashing-\(dimension)" }

    /// Creates the twin.
    public init(dimension: Int = 256, maxTokens: Int = 254) {
        self.dimension = dimension
        self.maxTokens = maxTokens
    }

    public func tokenCount(_ text: String) -> Int { words(text).count }

    public func embed(_ texts: [String], purpose: EmbeddingPurpose) async throws -> [[Float]] {
        texts.map { text in
            var vector = [Float](repeating: 0, count: dimension)
            for word in words(text).prefix(maxTokens) {
                // FNV-1a: stable across runs and platforms, unlike Hasher.
                var hash: UInt64 = 0xcbf2_9ce4_8422_2325
                for byte in word.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
                vector[Int(hash % UInt64(dimension))] += (hash >> 63) == 0 ? 1 : -1
            }
            let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return norm > 0 ? vector.map { $0 / norm } : vector
        }
    }

    private func words(_ text: String) -> [Substring] {
        text.lowercased().split { !$0.isLetter && !$0.isNumber }
    }
}
