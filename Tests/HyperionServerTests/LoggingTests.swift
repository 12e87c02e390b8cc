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

    @Test("an authenticated request's lines name its caller and its request id; an anonymous one's name no caller")
    func callerInLines() async throws {
        let sink = LogSink()
        let userID = Carry<String?>(nil)
        try await withTestApp(["log.level": "info"], sink: sink) { client in
            let user = try await client.signup("logged@example.com")
            userID.value = user["id"] as? String
            let token = try await client.login("logged@example.com").access
            let me = try await client.json(.get, "/api/v1/auth/me", token: token, headers: [HTTPField.Name("X-Request-ID")!: "me-1"])
            #expect(me.status == .ok)
            let anonymous = try await client.json(.get, "/api/v1/auth/me", headers: [HTTPField.Name("X-Request-ID")!: "anon-1"])
            #expect(anonymous.status == .unauthorized)
        }
        let records = sink.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let me = try #require(records.first { $0["request_id"] as? String == "me-1" && $0["message"] as? String == "request" })
        let id = try #require(userID.value)
        #expect(me["user_id"] as? String == id)
        #expect(me["route"] as? String == "/api/v1/auth/me" && me["status"] as? Int == 200)
        let anonymous = try #require(records.first { $0["request_id"] as? String == "anon-1" && $0["message"] as? String == "request" })
        #expect(anonymous["user_id"] == nil)
        #expect(anonymous["status"] as? Int == 401)
    }
}

