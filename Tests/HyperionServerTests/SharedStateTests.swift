import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HyperionCore
import HyperionServer
import Testing

/// Redis from `make test` (scripts/redis.sh), for the suites that run two instances on it.
enum ServerTestRedis {
    static let url = ProcessInfo.processInfo.environment["HYPERION_TEST_REDIS_URL"]
    static var isAvailable: Bool { url != nil || ProcessInfo.processInfo.environment["HYPERION_TEST_REQUIRE_REDIS"] == "1" }

    /// Keys for one test's instances: the shared Redis with a prefix of the test's own.
    static func values(_ extra: [String: String] = [:]) throws -> [String: String] {
        guard let url else {
            Issue.record("HYPERION_TEST_REDIS_URL is not set: run the suite through `make test`, which starts Redis")
            throw CancellationError()
        }
        return extra.merging(["redis.url": url, "redis.key_prefix": "srv-\(UUID().uuidString.prefix(8)):"]) { $1 }
    }
}

extension TestClientProtocol {
    /// Creates an API key with the given access token and returns it.
    func apiKey(_ access: String) async throws -> String {
        let created = try await json(.post, "/api/v1/auth/api-keys", ["name": "test"], token: access)
        guard let key = created.body["key"] as? String else { throw TestFailure("no API key: \(created.status) \(created.body)") }
        return key
    }

    /// The user id of the caller.
    func me(_ access: String) async throws -> String {
        guard let id = try await json(.get, "/api/v1/auth/me", token: access).body["id"] as? String else { throw TestFailure("no /me") }
        return id
    }
}

@Suite("Per-caller rate limits")
struct RateLimitTests {
    @Test("over the budget: 429 rate_limited with Retry-After; RateLimit-* on every answer; per user, per API key and per role")
    func budgets() async throws {
        let values = ["rate_limit.requests_per_minute": "4", "rate_limit.admin_requests_per_minute": "0"]
        try await withTestApp(values) { client in
            try await client.signup("admin@example.com")
            try await client.signup("user@example.com")
            let admin = try await client.login("admin@example.com").access
            for _ in 0..<10 {
                let answer = try await client.json(.get, "/api/v1/auth/me", token: admin)
                #expect(answer.status == .ok && answer.headers[HTTPField.Name("RateLimit-Limit")!] == nil, "admins are unlimited here")
            }
            let user = try await client.login("user@example.com").access
            let key = try await client.apiKey(user)  // counts as the user's first request
            for remaining in [2, 1, 0] {
                let answer = try await client.json(.get, "/api/v1/auth/me", token: user)
                #expect(answer.status == .ok)
                #expect(answer.headers[HTTPField.Name("RateLimit-Limit")!] == "4")
                #expect(answer.headers[HTTPField.Name("RateLimit-Remaining")!] == "\(remaining)")
                #expect((1...60).contains(Int(answer.headers[HTTPField.Name("RateLimit-Reset")!] ?? "") ?? 0))
            }
            let refused = try await client.json(.get, "/api/v1/auth/me", token: user)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.body["code"] as? String == "rate_limited")
            #expect((refused.body["detail"] as? String)?.contains("4 requests per minute") == true, "\(refused.body)")
            #expect((1...60).contains(Int(refused.headers[.retryAfter] ?? "") ?? 0))
            #expect(refused.headers[HTTPField.Name("RateLimit-Remaining")!] == "0")
            let metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(metrics.contains(#"hyperion_rate_limited_total{budget="requests"} 1"#), "\(metrics.prefix(2000))")
            // The API key has a budget of its own.
            for _ in 0..<4 { #expect(try await client.json(.get, "/api/v1/auth/me", token: key).status == .ok) }
            #expect(try await client.json(.get, "/api/v1/auth/me", token: key).status == .tooManyRequests)
            // Unauthenticated routes are not budgeted (login has its own throttle).
            #expect(try await client.json(.get, "/health").status == .ok)
        }
    }

    @Test("LLM-backed calls have a budget of their own on top; the OpenAI surface answers in OpenAI's error shape")
    func llmBudget() async throws {
        let values = ["rate_limit.requests_per_minute": "100", "rate_limit.llm_requests_per_minute": "1"]
        try await withTestApp(values) { client in
            try await client.signup("a@example.com")
            let token = try await client.login("a@example.com").access
            let body: [String: Any] = ["model": "no-such-model", "messages": [["role": "user", "content": "hi"]]]
            let first = try await client.json(.post, "/v1/chat/completions", body, token: token)
            #expect(first.status != .tooManyRequests, "the first LLM call is within budget")
            let second = try await client.json(.post, "/v1/chat/completions", body, token: token)
            #expect(second.status == .tooManyRequests)
            let error = second.body["error"] as? [String: Any]
            #expect(error?["type"] as? String == "rate_limit_error" && error?["code"] as? String == "rate_limited", "\(second.body)")
            #expect((error?["message"] as? String)?.contains("LLM") == true)
            #expect(second.headers[.retryAfter] != nil)
            // The general budget still has room: other routes work.
            let other = try await client.json(.get, "/api/v1/auth/me", token: token)
            #expect(other.status == .ok && other.headers[HTTPField.Name("RateLimit-Limit")!] == "100")
        }
    }

    @Test("bad rate-limit and Redis settings fail at start naming the key")
    func badSettings() async throws {
        for (key, value) in [("rate_limit.requests_per_minute", "-3"), ("rate_limit.llm_requests_per_minute", "lots"), ("redis.url", "http://x"),
                             ("redis.url", "redis://host/notanumber"), ("redis.timeout_ms", "0"), ("redis.tls_ca_file", "/nonexistent/ca.pem")] {
            var values = [key: value]
            if key == "redis.tls_ca_file" { values["redis.url"] = "rediss://127.0.0.1:1" }
            do {
                try await withTestApp(values) { _ in }
                Issue.record("\(key)=\(value) was accepted")
            } catch let error as HyperionError {
                #expect(error.field == key || error.message.contains(key), "\(key): \(error)")
            }
        }
    }
}

@Suite("Two instances on one Redis", .enabled(if: ServerTestRedis.isAvailable))
struct TwoInstanceTests {
    @Test("a rate limit hit through alternating instances; login throttling shared")
    func sharedWindows() async throws {
        try await withTwoInstances(try ServerTestRedis.values(["rate_limit.requests_per_minute": "6"])) { a, b in
            try await a.signup("admin@example.com")
            try await a.signup("user@example.com")
            let token = try await a.login("user@example.com").access
            var statuses: [HTTPResponse.Status] = []
            for index in 0..<8 { statuses.append(try await (index.isMultiple(of: 2) ? a : b).json(.get, "/api/v1/auth/me", token: token).status) }
            #expect(statuses == Array(repeating: .ok, count: 6) + [.tooManyRequests, .tooManyRequests], "\(statuses)")
            // 5 failed logins for one email, spread over both instances, block it on both.
            for index in 0..<5 {
                let failed = try await (index.isMultiple(of: 2) ? a : b).json(.post, "/api/v1/auth/login", ["email": "admin@example.com", "password": "wrong password"])
                #expect(failed.status == .unauthorized)
            }
            for client in [a, b] {
                #expect(try await client.json(.post, "/api/v1/auth/login", ["email": "admin@example.com", "password": "correct horse"]).status == .tooManyRequests)
            }
            let ready = try await a.json(.get, "/ready")
            #expect(ready.status == .ok && (ready.body["checks"] as? [String: String])?["redis"] == "ok", "\(ready.body)")
        }
    }

    @Test("a user disabled, or signed out everywhere, through one instance is refused by the other at once")
    func revocation() async throws {
        try await withTwoInstances(try ServerTestRedis.values()) { a, b in
            try await a.signup("admin@example.com")
            try await a.signup("user@example.com")
            try await a.signup("other@example.com")
            let admin = try await a.login("admin@example.com").access
            let user = try await a.login("user@example.com").access
            let userID = try await b.me(user)  // b now holds the user in its user-state cache
            #expect(try await a.json(.patch, "/api/v1/users/\(userID)", ["is_disabled": true], token: admin).status == .ok)
            // Milliseconds on a quiet machine (BENCHMARKS.md); the bound allows for every suite running at once on two
            // cores, and stays far below the user-state cache's 10 s that would otherwise hide the change.
            #expect(try await refusedWithin(.seconds(5), b, user), "the disabled user still works on the other instance")

            let other = try await b.login("other@example.com").access
            _ = try await b.me(other)
            #expect(try await a.json(.post, "/api/v1/auth/logout-all", token: other).status == .noContent)
            #expect(try await refusedWithin(.seconds(5), b, other), "a signed-out access token still works on the other instance")
        }
    }

    /// Polls `client` until `token` is refused (401), for at most `limit`.
    private func refusedWithin(_ limit: Duration, _ client: any TestClientProtocol, _ token: String) async throws -> Bool {
        let started = ContinuousClock.now
        while ContinuousClock.now - started < limit {
            if try await client.json(.get, "/api/v1/auth/me", token: token).status == .unauthorized { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }
}

@Suite("Redis down")
struct RedisDownTests {
    @Test("the server serves without Redis: /ready 200 degraded naming it, limits per instance; strict makes /ready 503")
    func degraded() async throws {
        let values = ["redis.url": "redis://127.0.0.1:1/0", "rate_limit.requests_per_minute": "3", "redis.timeout_ms": "200"]
        try await withTestApp(values) { client in
            let ready = try await client.json(.get, "/ready")
            #expect(ready.status == .ok && ready.body["status"] as? String == "degraded", "\(ready.body)")
            #expect(((ready.body["checks"] as? [String: String])?["redis"])?.hasPrefix("degraded: unavailable") == true, "\(ready.body)")
            try await client.signup("a@example.com")
            let token = try await client.login("a@example.com").access
            let statuses = try await (0..<4).asyncMap { _ in try await client.json(.get, "/api/v1/auth/me", token: token).status }
            #expect(statuses == [.ok, .ok, .ok, .tooManyRequests], "\(statuses)")
        }
        try await withTestApp(values.merging(["redis.strict": "true"]) { $1 }) { client in
            let ready = try await client.json(.get, "/ready")
            #expect(ready.status == .serviceUnavailable && (ready.body["detail"] as? String)?.contains("redis") == true, "\(ready.body)")
        }
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var values: [T] = []
        for element in self { values.append(try await transform(element)) }
        return values
    }
}

@Suite("One query cache for two instances", .enabled(if: ServerTestRedis.isAvailable))
struct SharedQueryCacheTests {
    @Test("a retrieval cached through one instance is a hit on the other; an ingestion anywhere moves every instance to new keys")
    func shared() async throws {
        try await withTwoInstances(try ServerTestRedis.values()) { a, b in
            let (token, model) = try await a.readyModel()
            let hits: @Sendable (any TestClientProtocol) async throws -> Int = { client in
                let text = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
                let line = text.split(separator: "\n").first { $0.hasPrefix("rag_query_cache_hits_total ") }
                return Int(Double(line?.split(separator: " ").last ?? "0") ?? 0)
            }
            let search: @Sendable (any TestClientProtocol) async throws -> [String] = { client in
                let answer = try await client.json(.post, "/api/v1/models/\(model)/search", ["query": "lithium phosphate cells", "top_k": 3], token: token)
                return (answer.body["results"] as? [[String: Any]] ?? []).compactMap { $0["chunk_id"] as? String }
            }
            // a's indexes are caught up once its follower has read the log: until then nothing is stored.
            var stored = false
            for _ in 0..<100 where !stored {
                let before = try await hits(a)
                _ = try await search(a)
                _ = try await search(a)
                stored = try await hits(a) > before
                if !stored { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(stored, "a never cached its own retrieval")
            let first = try await search(a)
            let onB = try await hits(b)
            #expect(try await search(b) == first)
            #expect(try await hits(b) == onB + 1, "b did not hit the entry a stored")

            // A new document through a: b's next search is a miss (new position), and in time finds it.
            let upload = try await a.upload("/api/v1/models/\(model)/documents", files: [("more.txt", Data("Lithium phosphate cells again, more text.".utf8))], token: token)
            _ = try await a.waitForJob(try #require(upload.body["job_id"] as? String), token: token)
            let missesBefore = try await hits(b)
            _ = try await search(b)
            #expect(try await hits(b) == missesBefore, "a stale entry was served after an ingestion")
        }
    }
}
