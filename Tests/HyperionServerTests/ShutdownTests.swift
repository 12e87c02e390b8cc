import Foundation
import HummingbirdTesting
import HyperionCore
import HyperionServer
import HyperionStorage
import Logging
import Testing

/// The hashing twin, slowed down so that a job is still embedding when the application is asked to stop.
struct SlowEmbedder: DocumentEmbedder {
    let inner = HashingEmbedder()
    let delay: Duration
    var modelID: String { inner.modelID }
    var dimension: Int { inner.dimension }
    var maxTokens: Int { inner.maxTokens }
    func tokenCount(_ text: String) -> Int { inner.tokenCount(text) }
    func embed(_ texts: [String], purpose: EmbeddingPurpose) async throws -> [[Float]] {
        try await Task.sleep(for: delay)
        return try await inner.embed(texts, purpose: purpose)
    }
}

@Suite("Graceful shutdown")
struct ShutdownTests {
    /// Hardening finding 13: a long job kept the process busy for minutes after SIGTERM. Jobs now stop between
    /// steps at shutdown and are handed back to the queue (attempt not counted), before the store closes.
    @Test("a job running when the application stops goes back to the queue; the next start finishes it")
    func runningJobIsHandedBack() async throws {
        let dir = testDataDirectory("shutdown")
        let jobID = Carry(""), modelID = Carry("")
        let app = try await testApp(dataDirectory: dir, embedder: SlowEmbedder(delay: .milliseconds(300)))
        try await app.test(.router) { client in
            try await client.signup("stopper@example.com")
            let token = try await client.login("stopper@example.com").access
            let model = try await client.createModel("Stopping", token: token)
            modelID.value = model
            let upload = try await client.upload("/api/v1/models/\(model)/documents", files: [("energy.txt", solarText), ("storage.md", batteryMarkdown)],
                                                 token: token)
            let id = try #require(upload.body["job_id"] as? String)
            jobID.value = id
            // Return (which stops the application) while the job is embedding.
            for _ in 0..<200 {
                if try await client.json(.get, "/api/v1/jobs/\(id)", token: token).body["status"] as? String == "running" { return }
                try await Task.sleep(for: .milliseconds(10))
            }
            Issue.record("the job never started")
        }
        // The application has stopped: read what its store recorded.
        let settings = try ServerSettings(reader: testReader(["data_dir": dir]))
        let store = try await Store.open(settings.store, logger: Logger(label: "test"))
        let job = try await store.jobs.find(try #require(UUID(uuidString: jobID.value)))
        let documents = try await store.documents.all(modelID: try #require(UUID(uuidString: modelID.value)))
        try await store.close()
        #expect(job?.status == .queued && job?.attempts == 0, "job left \(job?.status.rawValue ?? "missing"), attempts \(job?.attempts ?? -1)")
        #expect(documents.count == 2 && documents.allSatisfy { $0.status == .queued || $0.status == .ready }, "\(documents.map(\.status))")

        let again = try await testApp(dataDirectory: dir, embedder: HashingEmbedder())
        try await again.test(.router) { client in
            let token = try await client.login("stopper@example.com").access
            let finished = try await client.waitForJob(jobID.value, token: token)
            #expect(finished["status"] as? String == "succeeded", "\(finished)")
            let listed = try await client.json(.get, "/api/v1/models/\(modelID.value)/documents", token: token).body["items"] as? [[String: Any]] ?? []
            #expect(listed.count == 2 && listed.allSatisfy { $0["status"] as? String == "ready" })
        }
    }
}
