import Foundation

/// The activation of BERT's feed-forward block (`hidden_act` in config.json).
public enum BertActivation: String, Sendable {
    /// Exact GELU, `x·Φ(x)` with erf (`"gelu"`).
    case gelu
    /// GELU's tanh approximation (`"gelu_new"`, `"gelu_pytorch_tanh"`).
    case geluTanh
    /// `max(0, x)`.
    case relu
    /// `x·sigmoid(x)` (`"silu"`, `"swish"`).
    case silu
}

/// The hyper-parameters of a BERT encoder, read from config.json and validated.
public struct BertConfig: Sendable, Equatable {
    /// Width of every token vector.
    public var hiddenSize: Int
    /// Number of encoder layers.
    public var layerCount: Int
    /// Number of attention heads; divides `hiddenSize`.
    public var headCount: Int
    /// Width of the feed-forward block.
    public var intermediateSize: Int
    /// Number of position embeddings: the longest sequence the model accepts.
    public var maxPositions: Int
    /// Number of rows of the word embedding table.
    public var vocabSize: Int
    /// Number of token-type embeddings (only type 0 is used).
    public var typeVocabSize: Int
    /// Epsilon of every LayerNorm.
    public var layerNormEps: Float
    /// Feed-forward activation.
    public var activation: BertActivation

    /// Width of one attention head.
    public var headSize: Int { hiddenSize / headCount }

    /// Reads and validates `url` (a config.json); only BERT-family encoders are accepted.
    public static func load(from url: URL) throws -> BertConfig {
        let raw = try JSONFile.decode(RawConfig.self, from: url)
        func invalid(_ reason: String) -> EmbeddingError { .invalidFile(path: url.path, reason: reason) }

        // BERT-compatible checkpoints share tensor names and maths; anything else would load garbage.
        let accepted: Set<String> = ["bert"]
        if let type = raw.model_type {
            guard accepted.contains(type) else {
                throw EmbeddingError.unsupported(path: url.path, reason: "model_type '\(type)' is not a BERT model (only 'bert' is supported)")
            }
        } else if let architectures = raw.architectures, !architectures.contains(where: { $0.hasPrefix("Bert") }) {
            throw EmbeddingError.unsupported(path: url.path, reason: "architectures \(architectures) are not BERT")
        } else if raw.architectures == nil {
            throw invalid("neither model_type nor architectures is given")
        }
        if let kind = raw.position_embedding_type, kind != "absolute" {
            throw EmbeddingError.unsupported(path: url.path, reason: "position_embedding_type '\(kind)' (only 'absolute')")
        }
        func required(_ value: Int?, _ key: String) throws -> Int {
            guard let value else { throw invalid("missing key '\(key)'") }
            guard value > 0 else { throw invalid("'\(key)' must be positive, found \(value)") }
            return value
        }
        let hidden = try required(raw.hidden_size, "hidden_size")
        let heads = try required(raw.num_attention_heads, "num_attention_heads")
        guard hidden % heads == 0 else {
            throw invalid("hidden_size \(hidden) is not a multiple of num_attention_heads \(heads)")
        }
        let activationName = raw.hidden_act ?? "gelu"
        let activation: BertActivation
        switch activationName {
        case "gelu": activation = .gelu
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": activation = .geluTanh
        case "relu": activation = .relu
        case "silu", "swish": activation = .silu
        default:
            throw EmbeddingError.unsupported(path: url.path, reason: "hidden_act '\(activationName)'")
        }
        let eps = raw.layer_norm_eps ?? 1e-12
        guard eps > 0, eps.isFinite else { throw invalid("layer_norm_eps must be positive, found \(eps)") }
        return BertConfig(
            hiddenSize: hidden,
            layerCount: try required(raw.num_hidden_layers, "num_hidden_layers"),
            headCount: heads,
            intermediateSize: try required(raw.intermediate_size, "intermediate_size"),
            maxPositions: try required(raw.max_position_embeddings, "max_position_embeddings"),
            vocabSize: try required(raw.vocab_size, "vocab_size"),
            typeVocabSize: try required(raw.type_vocab_size ?? 2, "type_vocab_size"),
            layerNormEps: Float(eps),
            activation: activation
        )
    }

    // Names follow the JSON keys.
    private struct RawConfig: Decodable {
        var model_type: String?
        var architectures: [String]?
        var hidden_size: Int?
        var num_hidden_layers: Int?
        var num_attention_heads: Int?
        var intermediate_size: Int?
        var max_position_embeddings: Int?
        var vocab_size: Int?
        var type_vocab_size: Int?
        var layer_norm_eps: Double?
        var hidden_act: String?
        var position_embedding_type: String?
    }
}
