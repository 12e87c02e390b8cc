import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HyperionCore
@testable import HyperionServer
import NIOCore
import Testing

/// What a Sentry server received: envelopes with their headers.
actor SentryInbox {
    struct Envelope: @unchecked Sendable {  // parsed JSON, never changed after
        var auth: String
        var contentType: String
        var lines: [[String: Any]]
        var event: [String: Any] { lines.count == 3 ? lines[2] : [:] }
    }

    private(set) var envelopes: [Envelope] = []
    func add(_ envelope: Envelope) { envelopes.append(envelope) }
}

/// Runs `body` with a live HTTP server speaking Sentry's envelope endpoint for project 42, answering 200 (or 429 with
/// `Retry-After: 60` once `refuseAfter` envelopes have come).
func withSentryReceiver(refuseAfter: Int = .max, _ body: @escaping @Sendable (_ dsn: String, _ inbox: SentryInbox) async throws -> Void) async throws {
    let inbox = SentryInbox()
    let router = Router()
    router.post("/api/42/envelope/") { request, _ -> Response in
        let data = try await request.body.collect(upTo: 1 << 20)
        let lines = String(buffer: data).split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let count = await inbox.envelopes.count
        guard count < refuseAfter else { return Response(status: .tooManyRequests, headers: [.retryAfter: "60"]) }
        await inbox.add(.init(auth: request.headers[HTTPField.Name("X-Sentry-Auth")!] ?? "", contentType: request.headers[.contentType] ?? "", lines: lines))
        return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: #"{"id":"x"}"#)))
    }
    let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    try await app.test(.live) { client in
        let port = try #require(client.port)
        try await body("http://public-key@127.0.0.1:\(port)/42", inbox)
    }
}

@Suite("Error reports to Sentry")
struct SentryTests {
    struct Broken: Error, CustomStringConvertible {
        var description: String { "the vector index lost its footing" }
    }

    @Test("DSNs: the envelope address is derived; a bad DSN names the key and never echoes the secret")
    func dsn() throws {
        let cloud = try SentrySettings.DSN("https://abc123@o11.ingest.sentry.io/4506")
        #expect(cloud.envelopeURL.absoluteString == "https://o11.ingest.sentry.io/api/4506/envelope/" && cloud.publicKey == "abc123" && cloud.projectID == "4506")
        let prefixed = try SentrySettings.DSN("http://k@127.0.0.1:9000/sentry/42")
        #expect(prefixed.envelopeURL.absoluteString == "http://127.0.0.1:9000/sentry/api/42/envelope/")
        for bad in ["not a dsn", "https://o11.ingest.sentry.io/4506", "https://secretkey@host/", "ftp://secretkey@host/1"] {
            do {
                _ = try SentrySettings.DSN(bad)
                Issue.record("\(bad) was accepted")
            } catch let error as HyperionError {
                #expect(error.field == "sentry.dsn" && !error.message.contains("secretkey"), "\(error)")
            }
        }
        #expect(throws: HyperionError.self) { try ServerSettings(reader: testReader(["sentry.dsn": "https://nokey.example/1"])) }
    }

    @Test("an envelope is its header, the item header and the event, each one line; the length is the event's bytes")
    func envelope() throws {
        var event = SentryEvent(type: "Broken", value: "it broke", mechanism: "http")
        event.tags = ["request_id": "r-1"]
        event.userID = "u-1"
        let data = event.envelope(dsn: "https://k@h/1", release: "hyperion@1.0", environment: "test", serverName: "box")
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 4 && lines[3].isEmpty)
        let header = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        let item = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        let payload = try #require(try JSONSerialization.jsonObject(with: Data(lines[2].utf8)) as? [String: Any])
        #expect(header["event_id"] as? String == event.eventID && header["dsn"] as? String == "https://k@h/1" && header["sent_at"] != nil)
        #expect(item["type"] as? String == "event" && item["length"] as? Int == lines[2].utf8.count)
        #expect(payload["release"] as? String == "hyperion@1.0" && payload["environment"] as? String == "test")
        #expect((payload["user"] as? [String: Any])?["id"] as? String == "u-1" && (payload["user"] as? [String: Any])?["email"] == nil)
        #expect(event.eventID.count == 32 && event.eventID.allSatisfy(\.isHexDigit))
    }

    @Test("a 500 is reported in the background with request id, user, route and the request's log lines; the answer is the usual envelope")
    func internalError() async throws {
        let failing = ScriptedChatModel(providerName: "failing", defaultModel: "f-1") { _ in throw Broken() }
        try await withSentryReceiver { dsn, inbox in
            let app = try await buildApplication(reader: testReader(["sentry.dsn": dsn, "sentry.environment": "staging"]),
                                                 passwordHasher: PasswordHasher(cost: 4), embedder: HashingEmbedder(), chatModels: ["failing": failing])
            try await app.test(.live) { client in
                try await client.signup("admin@example.com")
                let token = try await client.login("admin@example.com").access
                let result = try await client.json(.post, "/api/v1/generate", ["provider": "failing", "prompt": "hi"], token: token,
                                                   headers: [HTTPField.Name("X-Request-ID")!: "sentry-500-1"])
                #expect(result.status == .internalServerError && result.body["code"] as? String == "internal_error")
                #expect((result.body["detail"] as? String)?.contains("footing") == false)
                var envelope: SentryInbox.Envelope?
                for _ in 0..<100 where envelope == nil {
                    envelope = await inbox.envelopes.first
                    if envelope == nil { try await Task.sleep(for: .milliseconds(50)) }
                }
                let received = try #require(envelope, "no envelope arrived")
                #expect(received.contentType == "application/x-sentry-envelope")
                #expect(received.auth.hasPrefix("Sentry ") && received.auth.contains("sentry_key=public-key") && received.auth.contains("sentry_version=7"))
                let event = received.event
                let exception = ((event["exception"] as? [String: Any])?["values"] as? [[String: Any]])?.first
                #expect(exception?["type"] as? String == "Broken" && (exception?["value"] as? String)?.contains("footing") == true)
                #expect((event["tags"] as? [String: Any])?["request_id"] as? String == "sentry-500-1")
                #expect((event["tags"] as? [String: Any])?["route"] as? String == "/api/v1/generate")
                #expect(event["environment"] as? String == "staging" && (event["release"] as? String)?.hasPrefix("hyperion@") == true)
                #expect((event["user"] as? [String: Any])?["id"] as? String != nil && (event["user"] as? [String: Any])?["email"] == nil)
                #expect((event["request"] as? [String: Any])?["url"] as? String == "/api/v1/generate")
                let crumbs = (event["breadcrumbs"] as? [String: Any])?["values"] as? [[String: Any]] ?? []
                #expect(crumbs.contains { ($0["message"] as? String) == "unhandled error" && ($0["level"] as? String) == "error" }, "\(crumbs)")
            }
        }
    }

    @Test("over the per-minute budget, and after Sentry answers 429, reports are dropped and counted, never queued without end")
    func budget() async throws {
        let failing = ScriptedChatModel(providerName: "failing", defaultModel: "f-1") { _ in throw Broken() }
        try await withSentryReceiver(refuseAfter: 2) { dsn, inbox in
            let app = try await buildApplication(reader: testReader(["sentry.dsn": dsn, "sentry.max_events_per_minute": "4"]),
                                                 passwordHasher: PasswordHasher(cost: 4), embedder: HashingEmbedder(), chatModels: ["failing": failing])
            try await app.test(.live) { client in
                try await client.signup("admin@example.com")
                let token = try await client.login("admin@example.com").access
                for _ in 0..<8 {
                    _ = try await client.json(.post, "/api/v1/generate", ["provider": "failing", "prompt": "hi"], token: token)
                    try await Task.sleep(for: .milliseconds(100))
                }
                // The last reports go out in the background: wait until all eight are accounted for.
                var metrics = ""
                for _ in 0..<100 {
                    metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
                    if metrics.contains(#"hyperion_sentry_events_total{outcome="dropped"} 6"#) { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(await inbox.envelopes.count == 2)
                // 8 errors: 4 within the budget (2 sent, the third refused with 429, the fourth dropped while paused), 4 over it.
                #expect(metrics.contains(#"hyperion_sentry_events_total{outcome="sent"} 2"#), "\(metrics.split(separator: "\n").filter { $0.contains("sentry") })")
                #expect(metrics.contains(#"hyperion_sentry_events_total{outcome="dropped"} 6"#))
            }
        }
    }
}
