import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HyperionCore
import HyperionServer
import Testing

@Suite("Embedding model changes")
struct EmbeddingMismatchTests {
    @Test("a model indexed with another embedding model fails fast with 409, until switched and trained")
    func mismatch() async throws {
        let dir = testDataDirectory("mismatch")
        let box = Carry("")
        let first = try await testApp(dataDirectory: dir, embedder: HashingEmbedder())
        try await first.test(.router) { client in
            let (_, model) = try await client.readyModel()
            box.value = model
        }
        let second = try await testApp(dataDirectory: dir, embedder: HashingEmbedder(dimension: 128))
        try await second.test(.router) { client in
            let token = try await client.login("asker@example.com").access
            let refused = try await client.json(.post, "/api/v1/models/\(box.value)/search", ["query": "silicon"], token: token)
            #expect(refused.status == .conflict && refused.body["code"] as? String == "embedding_mismatch")
            #expect((refused.body["detail"] as? String)?.contains("hashing-256") == true && (refused.body["detail"] as? String)?.contains("hashing-128") == true)
            #expect(try await client.json(.post, "/api/v1/query", ["model_id": box.value, "query": "silicon"], token: token).status == .conflict)
            let upload = try await client.upload("/api/v1/models/\(box.value)/documents", files: [("more.txt", solarText)], token: token)
            #expect(upload.status == .conflict)

            let switched = try await client.json(.patch, "/api/v1/models/\(box.value)", ["embedding": "hashing-128"], token: token)
            #expect(switched.status == .ok && switched.body["status"] as? String == "needs_training")
            let train = try await client.json(.post, "/api/v1/models/\(box.value)/train", token: token)
            let job = try await client.waitForJob(try #require(train.body["id"] as? String), token: token)
            #expect(job["status"] as? String == "succeeded")
            let search = try await client.json(.post, "/api/v1/models/\(box.value)/search", ["query": "silicon"], token: token)
            #expect(search.status == .ok && ((search.body["results"] as? [[String: Any]])?.first?["text"] as? String)?.contains("silicon") == true)
        }
    }
}
