import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import HyperionServer
import Logging
import Testing

@Suite("Logs API and the in-memory log")
struct LogsAPITests {
    func record(_ message: String, level: Logger.Level = .info, logger: String = "hyperion", request: String? = nil) -> LogRecord {
        LogRecord(sequence: 0, timestamp: Date(), level: level, logger: logger, message: message, requestID: request, userID: nil, metadata: [:])
    }

    @Test("the ring keeps the newest lines, numbers them in order and filters by level, logger and request")
    func ring() {
        let ring = LogRing(capacity: 3)
        ring.append(record("one"))
        ring.append(record("two", level: .warning, logger: "hyperion.redis"))
        ring.append(record("three", level: .error, request: "r-3"))
        ring.append(record("four", logger: "hyperionx"))
        let all = ring.lines(LogFilter(), skip: 0, limit: 10)
        #expect(all.total == 3 && all.items.map(\.message) == ["four", "three", "two"])
        #expect(all.items.map(\.sequence) == [4, 3, 2])
        #expect(ring.lines(LogFilter(minimumLevel: .warning), skip: 0, limit: 10).items.map(\.message) == ["three", "two"])
        // A logger matches its own label and its children, not a longer name that merely starts the same.
        #expect(ring.lines(LogFilter(logger: "hyperion"), skip: 0, limit: 10).items.map(\.message) == ["three", "two"])
        #expect(ring.lines(LogFilter(requestID: "r-3"), skip: 0, limit: 10).items.map(\.message) == ["three"])
        let paged = ring.lines(LogFilter(), skip: 1, limit: 1)
        #expect(paged.total == 3 && paged.items.map(\.message) == ["three"])
    }

    @Test("a follower gets each new line once, and stops being fed when it goes away")
    func follow() async throws {
        let ring = LogRing(capacity: 10)
        ring.append(record("before"))
        let task = Task { () -> [String] in
            var seen: [String] = []
            for await line in ring.follow() {
                seen.append(line.message)
                if seen.count == 2 { break }
            }
            return seen
        }
        while ring.followerCount == 0 { try await Task.sleep(for: .milliseconds(5)) }
        ring.append(record("first"))
        ring.append(record("second"))
        #expect(await task.value == ["first", "second"])
        ring.append(record("after"))
        #expect(ring.followerCount == 0)
    }

    @Test("the log handler keeps redacted lines in the ring, with the request id apart")
    func handler() {
        let ring = LogRing(capacity: 10)
        let handler = LogLineHandler(label: "hyperion.test", level: .info, format: .json, sink: LogSink(), ring: ring)
        var logger = Logger(label: "hyperion.test") { _ in handler }
        logger.logLevel = .info
        logger.info("signed in", metadata: ["password": "hunter2", "request_id": "r-9", "email": "a@example.com"])
        logger.debug("not at this level")
        let lines = ring.lines(LogFilter(), skip: 0, limit: 10).items
        #expect(lines.count == 1)
        #expect(lines.first?.metadata["password"] == "***" && lines.first?.metadata["email"] == "a@example.com")
        #expect(lines.first?.requestID == "r-9" && lines.first?.metadata["request_id"] == nil && lines.first?.logger == "hyperion.test")
    }

    @Test("GET /api/v1/logs: this instance's lines for admins, filtered, newest first; bad filters 422; users 403")
    func logsAPI() async throws {
        try await withTestApp { client in
            try await client.signup("admin@example.com")
            let admin = try await client.login("admin@example.com").access
            try await client.signup("user@example.com")
            let user = try await client.login("user@example.com").access
            _ = try await client.json(.get, "/api/v1/auth/me", token: admin, headers: [HTTPField.Name("X-Request-ID")!: "logs-test-1"])
            let mine = try await client.json(.get, "/api/v1/logs?request_id=logs-test-1", token: admin)
            let items = mine.body["items"] as? [[String: Any]] ?? []
            #expect(mine.status == .ok && !items.isEmpty, "\(mine.body)")
            #expect(items.allSatisfy { $0["request_id"] as? String == "logs-test-1" })
            let request = items.first { $0["message"] as? String == "request" }
            #expect((request?["metadata"] as? [String: Any])?["route"] as? String == "/api/v1/auth/me")
            #expect(request?["user_id"] as? String != nil)
            let all = try await client.json(.get, "/api/v1/logs?limit=100", token: admin)
            let sequences = (all.body["items"] as? [[String: Any]] ?? []).compactMap { $0["sequence"] as? Int }
            #expect(sequences.count > 3 && sequences == sequences.sorted(by: >))
            let warnings = try await client.json(.get, "/api/v1/logs?level=warning&limit=100", token: admin)
            #expect((warnings.body["items"] as? [[String: Any]] ?? []).allSatisfy { ["warning", "error", "critical"].contains($0["level"] as? String ?? "") })
            for bad in ["level=loud", "user_id=nope", "kind=other", "since=yesterday", "logger="] {
                let refused = try await client.json(.get, "/api/v1/logs?\(bad)", token: admin)
                #expect(refused.status == .unprocessableContent, "\(bad): \(refused.status)")
            }
            #expect(try await client.json(.get, "/api/v1/logs", token: user).status == .forbidden)
            #expect(try await client.json(.get, "/api/v1/logs/stream", token: user).status == .forbidden)
            #expect(try await client.json(.get, "/api/v1/audit", token: user).status == .forbidden)
            #expect(try await client.json(.get, "/api/v1/logs/stream?since=2026-01-01T00:00:00Z", token: admin).status == .unprocessableContent)
        }
    }

    @Test("log.buffer_lines = 0 keeps nothing: the list is empty and the live tail is 404")
    func bufferOff() async throws {
        try await withTestApp(["log.buffer_lines": "0"]) { client in
            try await client.signup("admin@example.com")
            let admin = try await client.login("admin@example.com").access
            let list = try await client.json(.get, "/api/v1/logs", token: admin)
            #expect(list.status == .ok && list.body["total"] as? Int == 0)
            #expect(try await client.json(.get, "/api/v1/logs/stream", token: admin).status == .notFound)
        }
    }
}
