import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HyperionCore
import HyperionServer
import Testing

/// Streams a question on `streaming`, stops it through `stopping` once it runs, and checks what both see.
private func streamAndStop(streaming: any TestClientProtocol, stopping: any TestClientProtocol, token: String, model: String) async throws {
    let started = ContinuousClock.now
    let body = try JSONSerialization.data(withJSONObject: ["model_id": model, "query": "silicon?", "stream": true])
    let stream = Task {
        try await streaming.execute(uri: "/api/v1/query", method: .post, headers: [.contentType: "application/json", .authorization: "Bearer \(token)"],
                                    body: ByteBuffer(data: body)) { String(buffer: $0.body) }
    }
    var queryID: String?
    for _ in 0..<200 where queryID == nil {
        let items = try await stopping.json(.get, "/api/v1/queries", token: token).body["items"] as? [[String: Any]] ?? []
        queryID = items.first { $0["status"] as? String == "running" }?["id"] as? String
        if queryID == nil { try await Task.sleep(for: .milliseconds(25)) }
    }
    let id = try #require(queryID, "the query never showed as running")
    let stop = try await stopping.json(.post, "/api/v1/query/\(id)/stop", token: token)
    #expect(stop.status == .accepted && stop.body["status"] as? String == "stopping", "\(stop)")
    let text = try await stream.value
    // The stand-in model would answer after 30 s.
    #expect(ContinuousClock.now - started < .seconds(20), "the stream was not stopped")
    let events = sseEvents(text)
    #expect(events.first?.event == "sources")
    #expect(events.last?.event == "error" && events.last?.data["code"] as? String == "query_stopped", "\(events.map(\.event))")
    var status: String?
    for _ in 0..<100 where status != "cancelled" {
        status = try await stopping.json(.get, "/api/v1/query/\(id)", token: token).body["status"] as? String
        if status != "cancelled" { try await Task.sleep(for: .milliseconds(20)) }
    }
    #expect(status == "cancelled")
    let again = try await stopping.json(.post, "/api/v1/query/\(id)/stop", token: token)
    #expect(again.status == .conflict && again.body["code"] as? String == "query_finished")
}

@Suite("Stopping a query")
struct StopQueryTests {
    @Test("a running answer stops on request: its stream ends with query_stopped and it is stored as cancelled; others may not stop it")
    func stopHere() async throws {
        try await withTestApp(chatModels: ["slow": SlowChatModel(delay: .seconds(30))]) { client in
            let (token, model) = try await client.readyModel(extra: ["llm": ["provider": "slow"]])
            try await client.signup("other@example.com")
            let other = try await client.login("other@example.com").access
            #expect(try await client.json(.post, "/api/v1/query/\(UUID().uuidString)/stop", token: other).status == .notFound)
            try await streamAndStop(streaming: client, stopping: client, token: token, model: model)
        }
    }

    @Test("a stop that lands on another instance than the stream still stops it", .enabled(if: ServerTestRedis.isAvailable))
    func stopElsewhere() async throws {
        try await withTwoInstances(try ServerTestRedis.values(), chatModels: ["slow": SlowChatModel(delay: .seconds(30))]) { a, b in
            let (token, model) = try await a.readyModel(extra: ["llm": ["provider": "slow"]])
            try await streamAndStop(streaming: b, stopping: a, token: token, model: model)
        }
    }
}
