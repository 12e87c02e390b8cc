import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HyperionCore
import Testing

@Suite("OpenAI-compatible /v1")
struct OpenAICompatTests {
    @Test("models, chat completion with sources and citations, by id or by name")
    func chat() async throws {
        try await withTestApp { client in
            let (token, model) = try await client.readyModel()
            let models = try await client.json(.get, "/v1/models", token: token).body
            #expect(models["object"] as? String == "list")
            let entry = try #require((models["data"] as? [[String: Any]])?.first)
            #expect(entry["id"] as? String == model && entry["object"] as? String == "model" && entry["name"] as? String == "Energy")

            for name in [model, "Energy"] {
                let result = try await client.json(.post, "/v1/chat/completions", [
                    "model": name, "messages": [["role": "system", "content": "ignored"], ["role": "user", "content": [["type": "text", "text": "What are photovoltaic cells made of?"]]]],
                ], token: token)
                #expect(result.status == .ok)
                #expect(result.body["object"] as? String == "chat.completion" && (result.body["id"] as? String)?.hasPrefix("chatcmpl-") == true)
                let choice = try #require((result.body["choices"] as? [[String: Any]])?.first)
                #expect(choice["finish_reason"] as? String == "stop")
                #expect(((choice["message"] as? [String: Any])?["content"] as? String)?.contains("silicon") == true)
                #expect((result.body["citations"] as? [[String: Any]])?.first?["n"] as? Int == 1)
                #expect(result.body["usage"] is [String: Any])
            }
        }
    }

    @Test("streaming: chunk objects, role first, sources and citations extras, usage on request, data: [DONE] last")
    func streaming() async throws {
        try await withTestApp { client in
            let (token, model) = try await client.readyModel()
            let body = try JSONSerialization.data(withJSONObject: [
                "model": model, "stream": true, "stream_options": ["include_usage": true],
                "messages": [["role": "user", "content": "How do wind turbines work?"]],
            ])
            let text = try await client.execute(uri: "/v1/chat/completions", method: .post,
                                                headers: [.contentType: "application/json", .authorization: "Bearer \(token)"],
                                                body: ByteBuffer(data: body)) { String(buffer: $0.body) }
            let lines = text.components(separatedBy: "\n\n").filter { !$0.isEmpty && !$0.hasPrefix(":") }
            #expect(lines.allSatisfy { $0.hasPrefix("data: ") })
            #expect(lines.last == "data: [DONE]")
            let chunks = lines.dropLast().compactMap { try? JSONSerialization.jsonObject(with: Data($0.dropFirst(6).utf8)) as? [String: Any] }
            #expect(chunks.count == lines.count - 1 && chunks.allSatisfy { $0["object"] as? String == "chat.completion.chunk" })
            let first = try #require(chunks.first)
            #expect(((first["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["role"] as? String == "assistant")
            #expect((first["sources"] as? [Any])?.isEmpty == false)
            let content = chunks.compactMap { (($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["content"] as? String }.joined()
            #expect(content.contains("wind"))
            let finish = chunks.first { ($0["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String == "stop" }
            #expect(finish?["citations"] is [Any])
            #expect(chunks.last?["usage"] is [String: Any] && (chunks.last?["choices"] as? [Any])?.isEmpty == true)
        }
    }

    @Test("embeddings: float and base64 agree, one per input, model checked")
    func embeddings() async throws {
        try await withTestApp { client in
            try await client.signup("e@example.com")
            let token = try await client.login("e@example.com").access
            let floats = try await client.json(.post, "/v1/embeddings", ["model": "hashing-256", "input": ["solar power", "wind"]], token: token)
            #expect(floats.status == .ok)
            let data = try #require(floats.body["data"] as? [[String: Any]])
            #expect(data.count == 2 && data[1]["index"] as? Int == 1)
            let vector = try #require(data[0]["embedding"] as? [Double])
            #expect(vector.count == 256)
            let encoded = try await client.json(.post, "/v1/embeddings", ["model": "hashing-256", "input": "solar power", "encoding_format": "base64"], token: token)
            let base64 = try #require((encoded.body["data"] as? [[String: Any]])?.first?["embedding"] as? String)
            let decoded = try #require(Data(base64Encoded: base64)).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            #expect(decoded.count == 256 && zip(decoded, vector).allSatisfy { abs(Double($0) - $1) < 1e-6 })
            let unknown = try await client.json(.post, "/v1/embeddings", ["model": "text-embedding-3-small", "input": "x"], token: token)
            #expect(unknown.status == .notFound && (unknown.body["error"] as? [String: Any])?["code"] as? String == "model_not_found")
            #expect(try await client.json(.post, "/v1/embeddings", ["model": "hashing-256", "input": [1, 2, 3]], token: token).status.code >= 400)
            #expect(try await client.json(.post, "/v1/embeddings", ["model": "hashing-256", "input": []], token: token).status == .unprocessableContent)
        }
    }

    @Test("errors in OpenAI's shape: no key 401, unknown model 404, last message not the user's 422")
    func errors() async throws {
        try await withTestApp { client in
            let (token, model) = try await client.readyModel()
            let anonymous = try await client.json(.get, "/v1/models")
            #expect(anonymous.status == .unauthorized && (anonymous.body["error"] as? [String: Any])?["type"] as? String == "authentication_error")
            let missing = try await client.json(.post, "/v1/chat/completions", ["model": "nope", "messages": [["role": "user", "content": "x"]]], token: token)
            #expect(missing.status == .notFound && (missing.body["error"] as? [String: Any])?["message"] is String)
            let wrongTurn = try await client.json(.post, "/v1/chat/completions", ["model": model, "messages": [["role": "assistant", "content": "x"]]], token: token)
            #expect(wrongTurn.status == .unprocessableContent && (wrongTurn.body["error"] as? [String: Any])?["param"] as? String == "messages")
            let badRole = try await client.json(.post, "/v1/chat/completions", ["model": model, "messages": [["role": "tool", "content": "x"]]], token: token)
            #expect(badRole.status == .unprocessableContent)
        }
    }
}
