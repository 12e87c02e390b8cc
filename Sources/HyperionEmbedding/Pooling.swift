import Foundation

/// How token vectors become one sentence vector (sentence-transformers' `Pooling` module).
///
/// When several modes are on, their results are concatenated in sentence-transformers' order:
/// CLS, max, mean, mean/√length.
public struct Pooling: Sendable, Equatable {
    /// The vector of the first token (`[CLS]`).
    public var cls = false
    /// Element-wise maximum over the tokens.
    public var max = false
    /// Mean over the tokens.
    public var mean = false
    /// Sum over the tokens divided by √(token count).
    public var meanSqrtLength = false

    /// Number of concatenated vectors.
    var modeCount: Int { [cls, max, mean, meanSqrtLength].filter { $0 }.count }

    /// Reads `1_Pooling/config.json`; its `word_embedding_dimension` must equal the model's hidden size.
    static func load(from url: URL, hiddenSize: Int) throws -> Pooling {
        let raw = try JSONFile.decode(Raw.self, from: url)
        if let dimension = raw.word_embedding_dimension, dimension != hiddenSize {
            throw EmbeddingError.invalidFile(path: url.path, reason: "word_embedding_dimension \(dimension) differs from hidden_size \(hiddenSize) in config.json")
        }
        var pooling = Pooling()
        if let mode = raw.pooling_mode {
            // Newer configs may name one mode.
            switch mode {
            case "cls": pooling.cls = true
            case "max": pooling.max = true
            case "mean": pooling.mean = true
            case "mean_sqrt_len_tokens": pooling.meanSqrtLength = true
            default: throw EmbeddingError.unsupported(path: url.path, reason: "pooling_mode '\(mode)'")
            }
        }
        pooling.cls = pooling.cls || raw.pooling_mode_cls_token == true
        pooling.max = pooling.max || raw.pooling_mode_max_tokens == true
        pooling.mean = pooling.mean || raw.pooling_mode_mean_tokens == true
        pooling.meanSqrtLength = pooling.meanSqrtLength || raw.pooling_mode_mean_sqrt_len_tokens == true
        if raw.pooling_mode_weightedmean_tokens == true || raw.pooling_mode_lasttoken == true {
            throw EmbeddingError.unsupported(path: url.path, reason: "weighted-mean and last-token pooling")
        }
        guard pooling.modeCount > 0 else {
            throw EmbeddingError.invalidFile(path: url.path, reason: "no pooling mode is enabled")
        }
        return pooling
    }

    /// Pools the `count` rows (width `width`) at `rows` into `output` (`modeCount · width` values).
    func pool(_ rows: UnsafePointer<Float>, count: Int, width: Int, into output: UnsafeMutablePointer<Float>) {
        var out = output
        if cls {
            out.update(from: rows, count: width)
            out += width
        }
        if max {
            out.update(from: rows, count: width)
            for r in 1..<Swift.max(count, 1) {
                let row = rows + r * width
                for j in 0..<width { out[j] = Swift.max(out[j], row[j]) }
            }
            out += width
        }
        if mean || meanSqrtLength {
            // sentence-transformers sums in float and clamps the count at 1e-9.
            let sums = UnsafeMutablePointer<Float>.allocate(capacity: width)
            defer { sums.deallocate() }
            sums.initialize(repeating: 0, count: width)
            for r in 0..<count {
                let row = rows + r * width
                for j in 0..<width { sums[j] += row[j] }
            }
            let n = Swift.max(Float(count), 1e-9)
            if mean {
                for j in 0..<width { out[j] = sums[j] / n }
                out += width
            }
            if meanSqrtLength {
                let root = n.squareRoot()
                for j in 0..<width { out[j] = sums[j] / root }
                out += width
            }
        }
    }

    /// Divides `vector` by its L2 norm (norm clamped at 1e-12, like `torch.nn.functional.normalize`).
    static func normalize(_ vector: inout [Float]) {
        var squares: Float = 0
        for v in vector { squares += v * v }
        let norm = Swift.max(squares.squareRoot(), 1e-12)
        for i in vector.indices { vector[i] /= norm }
    }

    private struct Raw: Decodable {
        var word_embedding_dimension: Int?
        var pooling_mode: String?
        var pooling_mode_cls_token: Bool?
        var pooling_mode_mean_tokens: Bool?
        var pooling_mode_max_tokens: Bool?
        var pooling_mode_mean_sqrt_len_tokens: Bool?
        var pooling_mode_weightedmean_tokens: Bool?
        var pooling_mode_lasttoken: Bool?
    }
}
