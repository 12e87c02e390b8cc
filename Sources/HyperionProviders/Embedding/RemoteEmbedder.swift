import AsyncHTTPClient
import Foundation
import HyperionCore

/// The embedding APIs Hyperion can call instead of its in-process model.
public enum EmbeddingProviderKind: String, Sendable, CaseIterable {
    /// `POST {base}/embeddings` (OpenAI and compatible servers: vLLM, llama.cpp, LM Studio, IONOS).
    case openai
    /// `POST {base}/api/embed`.
    case ollama
    /// Voyage AI, `POST {base}/embeddings` with `input_type` query or document.
    case voyage
}

extension EmbeddingProviderKind {
    /// Where the API listens unless `embedding.base_url` says otherwise.
    public var defaultBaseURL: String {
        switch self {
        case .openai: "https://api.openai.com/v1"
        case .ollama: "http://127.0.0.1:11434"
        case .voyage: "https://api.voyageai.com/v1"
        }
    }
}

/// An embedder behind an HTTP API: batched, retried like the chat clients, and checked: every vector
/// must have the configured dimension, so a model swapped behind the same name fails fast instead of
/// filling the index with vectors that cannot be compared.
public struct RemoteEmbedder: DocumentEmbedder {
    public let kind: EmbeddingProviderKind
    public let transport: ProviderTransport
    /// The provider's model name, also what RAG models record as their embedding model.
    public let modelID: String
    public let dimension: Int
    /// Texts per request.
    public let batchSize: Int
    /// Tokens the remote model reads; chunks are cut to fit.
    public let maxTokens: Int

    /// Creates the embedder; `transport.settings.defaultModel` is the model.
    public init(kind: EmbeddingProviderKind, transport: ProviderTransport, dimension: Int, batchSize: Int = 64, maxTokens: Int = 512) throws {
        guard let model = transport.settings.defaultModel, !model.isEmpty else {
            throw HyperionError.invalid("embedding.model", "is required for the \(kind.rawValue) embedding provider")
        }
        self.kind = kind
        self.transport = transport
        modelID = model
        self.dimension = dimension
        self.batchSize = batchSize
        self.maxTokens = maxTokens
    }

    /// An estimate for chunking (remote tokenizers are unknown here): about four characters or 0.75
    /// words per token, whichever is more, so chunks stay inside the remote window.
    public func tokenCount(_ text: String) -> Int {
        let words = text.split(whereSeparator: \.isWhitespace).count
        return max((text.utf8.count + 3) / 4, (words * 4 + 2) / 3)
    }

    public func embed(_ texts: [String], purpose: EmbeddingPurpose) async throws -> [[Float]] {
        var vectors: [[Float]] = []
        vectors.reserveCapacity(texts.count)
        var start = 0
        while start < texts.count {
            let batch = Array(texts[start..<min(start + batchSize, texts.count)])
            let result = try await embedBatch(batch, purpose: purpose)
            guard result.count == batch.count else {
                throw transport.error(.badResponse, "returned \(result.count) embeddings for \(batch.count) texts")
            }
            for vector in result where vector.count != dimension {
                throw transport.error(.badResponse, "returned \(vector.count)-dimensional embeddings; embedding.dimension is \(dimension) (model \(modelID))")
            }
            vectors += result
            start += batch.count
        }
        return vectors
    }

    private func embedBatch(_ texts: [String], purpose: EmbeddingPurpose) async throws -> [[Float]] {
        let transport = self.transport
        let headers = transport.bearerHeaders
        switch kind {
        case .openai, .voyage:
            struct Body: Encodable { var model: String; var input: [String]; var input_type: String?; var encoding_format: String? }
            struct Answer: Decodable { struct Item: Decodable { var index: Int?; var embedding: [Float] }; var data: [Item] }
            let body = try JSONEncoder().encode(Body(model: modelID, input: texts, input_type: kind == .voyage ? purpose.rawValue : nil,
                                                     encoding_format: kind == .openai ? "float" : nil))
            let buffer = try await transport.json { transport.post("/embeddings", json: body, headers: headers) }
            guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(buffer.readableBytesView)) else {
                throw transport.error(.badResponse, "answered /embeddings with something that is not an embedding list")
            }
            // Results carry their index; order by it rather than trusting the list order.
            return answer.data.enumerated().sorted { ($0.element.index ?? $0.offset) < ($1.element.index ?? $1.offset) }.map(\.element.embedding)
        case .ollama:
            struct Body: Encodable { var model: String; var input: [String] }
            struct Answer: Decodable { var embeddings: [[Float]] }
            let body = try JSONEncoder().encode(Body(model: modelID, input: texts))
            let buffer = try await transport.json { transport.post("/api/embed", json: body, headers: headers) }
            guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(buffer.readableBytesView)) else {
                throw transport.error(.badResponse, "answered /api/embed with something that is not an embedding list")
            }
            return answer.embeddings
        }
    }
}
