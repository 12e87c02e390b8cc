import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HyperionServer
import Testing

@Suite("Logs")
struct LoggingTests {
    @Test("request lines are JSON with the promised fields and never carry credentials")
    func requestLines() async throws {
        let sink = LogSink()
        try await withTestApp(["metrics.token": "very-secret-metrics-token", "log.level": "debug"], sink: sink) { client in
            try await client.execute(
                uri: "/metrics", method: .get,
                headers: [.authorization: "Bearer very-secret-metrics-token", HTTPField.Name("X-Request-ID")!: "log-test-1"]
            ) { response in #expect(response.status == .ok) }
            try await client.execute(uri: "/nowhere?password=hunter22", method: .get, headers: [.authorization: "Bearer sk-abc123"]) { _ in }
        }
        let lines = sink.lines
        let records = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(records.count == lines.count, "every line is JSON")
        let request = try #require(records.first { $0["request_id"] as? String == "log-test-1" } ?? records.first { $0["message"] as? String == "request" && $0["route"] as? String == "unmatched" })
        for key in ["timestamp", "level", "message", "request_id", "method", "route", "status", "duration_ms"] {
            #expect(request[key] != nil, "missing \(key)")
        }
        let all = lines.joined(separator: "\n")
        for secret in ["very-secret-metrics-token", "sk-abc123", "hunter22"] {
            #expect(!all.contains(secret), "\(secret) leaked into the log")
        }
    }
}
