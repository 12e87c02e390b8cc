import Foundation
import Hummingbird
import HyperionCore
@testable import HyperionProviders
import Testing

@Suite("Remote embedders against stand-in servers")
struct RemoteEmbedderTests {
    /// A stand-in answering each text with [length, 1, 0…] of `dimension`, in reversed list order with indexes.
    static func server(dimension: Int) async throws -> StandIn {
        try await StandIn.start { router, log in
            @Sendable func vectors(_ body: String) -> [[Float]] {
                let object = (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:]
                let texts = object["input"] as? [String] ?? []
                return texts.map { [Float($0.count), 1] + [Float](repeating: 0, count: dimension - 2) }
            }
            router.post("/v1/embeddings") { request, _ in
                let body = try await StandIn.capture(request, path: "/v1/embeddings", log: log)
                let items = vectors(body).enumerated().reversed().map { index, vector in
                    "{\"object\":\"embedding\",\"index\":\(index),\"embedding\":[\(vector.map { String($0) }.joined(separator: ","))]}"
                }
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(
                    string: "{\"object\":\"list\",\"data\":[\(items.joined(separator: ","))],\"model\":\"m\",\"usage\":{\"prompt_tokens\":1,\"total_tokens\":1}}")))
            }
            router.post("/api/embed") { request, _ in
                let body = try await StandIn.capture(request, path: "/api/embed", log: log)
                let rows = vectors(body).map { "[\($0.map { String($0) }.joined(separator: ","))]" }
                return Response(status: .ok, headers: [.contentType: "application/json"],
                                body: .init(byteBuffer: ByteBuffer(string: "{\"model\":\"m\",\"embeddings\":[\(rows.joined(separator: ","))]}")))
            }
        }
    }

    func embedder(_ server: StandIn, kind: EmbeddingProviderKind, path: String, dimension: Int = 4, batch: Int = 2) throws -> RemoteEmbedder {
        let settings = ProviderSettings(name: "embed", kind: .openai, baseURL: server.baseURL.appendingPathComponent(path), apiKey: "k-1",
                                        defaultModel: "embed-model", maxRetries: 0)
        return try RemoteEmbedder(kind: kind, transport: ProviderTransport(settings: settings), dimension: dimension, batchSize: batch)
    }

    @Test("OpenAI-compatible: batches, order by index, bearer key")
    func openAI() async throws {
        let server = try await Self.server(dimension: 4)
        defer { Task { await server.stop() } }
        let vectors = try await embedder(server, kind: .openai, path: "v1").embed(["a", "bb", "ccc"], purpose: .document)
        #expect(vectors.map { $0[0] } == [1, 2, 3])
        #expect(server.log.requests.count == 2)
        #expect(server.log.requests.first?.headers["authorization"] == "Bearer k-1")
        #expect(server.log.bodies.first?["model"] as? String == "embed-model")
    }

    @Test("Voyage sends input_type for queries and documents")
    func voyage() async throws {
        let server = try await Self.server(dimension: 4)
        defer { Task { await server.stop() } }
        let model = try embedder(server, kind: .voyage, path: "v1")
        _ = try await model.embed(["q"], purpose: .query)
        _ = try await model.embed(["d"], purpose: .document)
        #expect(server.log.bodies.map { $0["input_type"] as? String } == ["query", "document"])
    }

    @Test("Ollama /api/embed")
    func ollama() async throws {
        let server = try await Self.server(dimension: 4)
        defer { Task { await server.stop() } }
        let vectors = try await embedder(server, kind: .ollama, path: "", batch: 10).embed(["xy", "z"], purpose: .document)
        #expect(vectors.map { $0[0] } == [2, 1] && server.log.requests.count == 1)
    }

    @Test("a vector of another dimension fails fast, naming both sizes")
    func dimensionMismatch() async throws {
        let server = try await Self.server(dimension: 6)
        defer { Task { await server.stop() } }
        let error = await #expect(throws: ProviderError.self) {
            _ = try await embedder(server, kind: .openai, path: "v1", dimension: 4).embed(["a"], purpose: .document)
        }
        #expect(error?.kind == .badResponse && error?.message.contains("6-dimensional") == true && error?.message.contains("4") == true)
    }

    @Test("token estimate keeps chunks inside the remote window; a missing model is refused")
    func estimate() throws {
        let settings = ProviderSettings(name: "e", kind: .openai, baseURL: URL(string: "http://127.0.0.1:9")!)
        #expect(throws: HyperionError.self) { try RemoteEmbedder(kind: .openai, transport: ProviderTransport(settings: settings), dimension: 4) }
        var named = settings
        named.defaultModel = "m"
        let model = try RemoteEmbedder(kind: .openai, transport: ProviderTransport(settings: named), dimension: 4)
        #expect(model.tokenCount("four words in here") >= 5)
        #expect(model.tokenCount(String(repeating: "x", count: 400)) == 100)
    }
}
