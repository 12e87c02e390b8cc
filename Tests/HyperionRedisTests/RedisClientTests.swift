import Foundation
import HyperionConformance
import HyperionCore
import NIOCore
@testable import HyperionRedis
import Testing

@Suite("Redis client against a real server", .enabled(if: TestRedis.isAvailable))
struct RedisClientTests {
    @Test("commands over TCP with a password, over TLS with a private CA, and over a unix socket")
    func transports() async throws {
        let tcp = try TestRedis.client()
        try await tcp.ping()
        let key = tcp.settings.keyPrefix + "transport"
        try await tcp.send(["SET", .string(key), "plain"])
        let tlsSettings = try TestRedis.settings("HYPERION_TEST_REDIS_TLS_URL", caFile: TestRedis.environment["HYPERION_TEST_REDIS_CA"])
        let tls = RedisClient(settings: tlsSettings, logger: TestRedis.logger)
        #expect(try await tls.send(["GET", .string(key)]).string == "plain")
        let socket = try TestRedis.client("HYPERION_TEST_REDIS_SOCKET_URL")
        #expect(try await socket.send(["GET", .string(key)]).string == "plain")
        // TLS against the system's trust roots refuses the private CA: nothing is sent in the clear instead.
        let untrusted = RedisClient(settings: try TestRedis.settings("HYPERION_TEST_REDIS_TLS_URL"), logger: TestRedis.logger)
        await #expect(throws: RedisError.self) { try await untrusted.ping() }
        #expect(!untrusted.isAvailable)
        for client in [tcp, tls, socket, untrusted] { client.close() }
    }

    @Test("a wrong password is refused with Redis's own reason; the database number keeps data apart")
    func authAndDatabases() async throws {
        var wrong = try TestRedis.settings()
        wrong.password = "not-the-password"
        let refused = RedisClient(settings: wrong, logger: TestRedis.logger)
        do {
            try await refused.ping()
            Issue.record("a wrong password was accepted")
        } catch let error as RedisError {
            #expect("\(error)".contains("WRONGPASS") || "\(error)".contains("invalid"), "\(error)")
        }
        var one = try TestRedis.settings()
        one.database = 1
        var two = one
        two.database = 2
        let a = RedisClient(settings: one, logger: TestRedis.logger)
        let b = RedisClient(settings: two, logger: TestRedis.logger)
        let key = one.keyPrefix + "db"
        try await a.send(["SET", .string(key), "in-one"])
        #expect(try await b.send(["GET", .string(key)]).isNull)
        #expect(try await a.send(["GET", .string(key)]).string == "in-one")
        a.close(); b.close(); refused.close()
    }

    @Test("500 parallel commands pipeline on one connection; values are binary-safe; error replies throw and leave it usable")
    func pipelining() async throws {
        let client = try TestRedis.client()
        let key = client.settings.keyPrefix + "counter"
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<500 { group.addTask { try await client.send(["INCR", .string(key)]) } }
            try await group.waitForAll()
        }
        #expect(try await client.send(["GET", .string(key)]).integer == 500)
        let bytes: [UInt8] = [0, 13, 10, 36, 42, 255, 254]
        try await client.send(["SET", .string(key + ":bin"), .bytes(ByteBuffer(bytes: bytes))])
        guard case .bulkString(let back?) = try await client.send(["GET", .string(key + ":bin")]) else {
            Issue.record("no bulk string")
            return
        }
        #expect(Array(back.readableBytesView) == bytes)
        await #expect(throws: RedisError.server("ERR unknown command 'NOSUCHCOMMAND', with args beginning with: ")) {
            try await client.send(["NOSUCHCOMMAND"])
        }
        try await client.ping()
        #expect(client.isAvailable)
        client.close()
    }

    @Test("a server that is not there fails fast, and keeps failing fast while it stays away")
    func unreachable() async throws {
        let client = RedisClient(settings: try RedisSettings(url: "redis://127.0.0.1:\(try ServerSocketProbe.freePort())/0"), logger: TestRedis.logger)
        await #expect(throws: RedisError.self) { try await client.ping() }
        #expect(!client.isAvailable && client.lastError != nil)
        let started = ContinuousClock.now
        for _ in 0..<100 { _ = try? await client.ping() }
        // 100 calls while down: answered from the circuit, not by 100 connection attempts (generous for a loaded machine).
        #expect(ContinuousClock.now - started < .seconds(2))
    }

    @Test("a reply slower than the timeout fails its call and drops the connection; calls work again after")
    func slowReply() async throws {
        let server = try PrivateRedis()
        try await server.start()
        defer { server.kill() }
        var settings = try RedisSettings(url: server.url)
        settings.timeout = .milliseconds(200)
        let client = RedisClient(settings: settings, logger: TestRedis.logger)
        try await client.ping()
        // Keeps the (private) server busy for 0.8 s: no reply within 200 ms.
        let busy = "local s = redis.call('TIME') repeat local n = redis.call('TIME') until (n[1] - s[1]) * 1000000 + (n[2] - s[2]) > 800000 return 1"
        do {
            _ = try await client.evaluate(busy, keys: [], arguments: [])
            Issue.record("a reply came back within the timeout")
        } catch RedisError.unavailable(let reason) {
            #expect(reason.contains("no reply within 200 ms"), "\(reason)")
        }
        #expect(!client.isAvailable)
        try await Task.sleep(for: .seconds(1))
        try await client.probe()
        #expect(client.isAvailable)
        client.close()
    }

    @Test("a server killed and restarted: calls fail while it is down, work again when it is back, scripts reload")
    func outage() async throws {
        let server = try PrivateRedis()
        try await server.start()
        let client = RedisClient(settings: try RedisSettings(url: server.url), logger: TestRedis.logger)
        #expect(try await client.evaluate("return 7", keys: [], arguments: []).integer == 7)
        server.kill()
        await #expect(throws: RedisError.self) { try await client.ping() }
        #expect(!client.isAvailable)
        try await server.start()
        var back = false
        for _ in 0..<60 where !back {
            back = (try? await client.ping()) != nil
            if !back { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(back, "the client did not reconnect within 6 s")
        #expect(client.isAvailable)
        // The restarted server forgot the script: NOSCRIPT is answered by loading it again.
        #expect(try await client.evaluate("return 7", keys: [], arguments: []).integer == 7)
        client.close()
    }
}

@Suite("Redis rate limiter and bus", .enabled(if: TestRedis.isAvailable))
struct RedisSharedStateTests {
    @Test("the rate limiter conformance suite", arguments: RateLimiterConformance.checks)
    func rateLimiter(_ check: ConformanceCheck<RateLimiterHarness>) async throws {
        let client = try TestRedis.client()
        defer { client.close() }
        try await check.run(RateLimiterHarness { RedisRateLimiter(client: client) })
    }

    @Test("the cluster bus conformance suite, two buses as two instances", arguments: ClusterBusConformance.checks)
    func bus(_ check: ConformanceCheck<ClusterBusHarness>) async throws {
        let settings = try TestRedis.settings()
        let a = RedisClusterBus(client: RedisClient(settings: settings, logger: TestRedis.logger), logger: TestRedis.logger)
        let b = RedisClusterBus(client: RedisClient(settings: settings, logger: TestRedis.logger), logger: TestRedis.logger)
        try await check.run(ClusterBusHarness { (a, b) })
        await a.shutdown()
        await b.shutdown()
    }

    @Test("two limiters (two instances) share one window")
    func sharedWindow() async throws {
        let settings = try TestRedis.settings()
        let a = RedisRateLimiter(client: RedisClient(settings: settings, logger: TestRedis.logger))
        let b = RedisRateLimiter(client: RedisClient(settings: settings, logger: TestRedis.logger))
        let rule = RateLimitRule(key: "user:shared", limit: 4, window: .seconds(60))
        var admitted = 0
        for index in 0..<10 where await (index.isMultiple(of: 2) ? a : b).admit([rule]).allowed { admitted += 1 }
        #expect(admitted == 4)
        // A busy caller under a large limit on both instances: each leases slots ahead, every one counted in Redis,
        // so together they never pass the limit.
        let busy = RateLimitRule(key: "user:busy-\(UUID().uuidString)", limit: 300, window: .seconds(60))
        var outcomes: [Bool] = []
        for index in 0..<310 { outcomes.append(await (index.isMultiple(of: 2) ? a : b).admit([busy]).allowed) }
        // Exactly the limit, in order: near it leases shrink to single slots, so neither instance is refused while the
        // other still holds slots (the cluster check sees the same through nginx).
        #expect(outcomes.prefix(300).allSatisfy { $0 } && outcomes.suffix(10).allSatisfy { !$0 },
                "refused at \(outcomes.indices.filter { !outcomes[$0] }.prefix(5)), admitted after: \(outcomes.indices.filter { outcomes[$0] && $0 >= 300 })")
        // Leases really were taken ahead: Redis counted more than the first few calls spent.
        let lead = RateLimitRule(key: "user:lead-\(UUID().uuidString)", limit: 300, window: .seconds(60))
        for _ in 0..<4 { _ = await a.admit([lead]) }
        let counted = try await a.client.send(["ZCARD", .string(a.client.settings.keyPrefix + "rl:" + lead.key)]).integer ?? 0
        #expect(counted > 4, "Redis counted \(counted) for 4 events")
    }

    @Test("Redis down: the limiter counts in memory; back: it counts in Redis again")
    func limiterFallback() async throws {
        let server = try PrivateRedis()
        try await server.start()
        let limiter = RedisRateLimiter(client: RedisClient(settings: try RedisSettings(url: server.url), logger: TestRedis.logger))
        let rule = RateLimitRule(key: "user:fallback", limit: 2, window: .seconds(60))
        #expect(await limiter.admit([rule]).allowed)
        server.kill()
        // In memory from zero: two more, then refused; never an error.
        #expect(await limiter.admit([rule]).allowed)
        #expect(await limiter.admit([rule]).allowed)
        #expect(!(await limiter.admit([rule]).allowed))
        try await server.start()
        var counted = false
        for _ in 0..<60 where !counted {
            _ = await limiter.admit([RateLimitRule(key: "probe", limit: 1000, window: .seconds(60))])
            counted = limiter.client.isAvailable
            if !counted { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(counted, "the limiter did not go back to Redis")
        // The restarted Redis is empty: its window for the key starts afresh.
        #expect(await limiter.admit([rule]).remaining == 1)
    }

    @Test("the bus resubscribes after Redis restarts, telling listeners to resync, and events flow again")
    func busOutage() async throws {
        let server = try PrivateRedis()
        try await server.start()
        let settings = try RedisSettings(url: server.url)
        let bus = RedisClusterBus(client: RedisClient(settings: settings, logger: TestRedis.logger), logger: TestRedis.logger)
        var events = bus.events().makeAsyncIterator()
        #expect(await events.next() == .resync)
        server.kill()
        try await server.start()
        #expect(await events.next() == .resync, "no resync after the restart")
        let user = UUID()
        await bus.publish(.userChanged(user))
        #expect(await events.next() == .event(.userChanged(user)))
        await bus.shutdown()
    }
}

@Suite("Redis query cache", .enabled(if: TestRedis.isAvailable))
struct RedisQueryCacheTests {
    @Test("the query cache conformance suite", arguments: QueryCacheConformance.checks)
    func conformance(_ check: ConformanceCheck<QueryCacheHarness>) async throws {
        let client = try TestRedis.client()
        defer { client.close() }
        try await check.run(QueryCacheHarness { RedisQueryCache(client: client, capacity: $0, ttl: $1) })
    }

    @Test("at most capacity entries are kept, the oldest evicted first; Redis down is a miss, never an error")
    func capacityAndOutage() async throws {
        let client = try TestRedis.client()
        let cache = RedisQueryCache(client: client, capacity: 3, ttl: .seconds(60))
        let generation = IndexGeneration(knowledgeBase: UUID(), number: 1)
        let keys = (0..<5).map { RetrievalCacheKey(generation: generation, indexChanges: 0, query: "q\($0)", k: 5, mode: .hybrid, filter: .none) }
        for key in keys { await cache.store([], for: key) }
        var kept: [Bool] = []
        for key in keys { kept.append(await cache.hits(for: key) != nil) }
        #expect(kept == [false, false, true, true, true])
        client.close()
        let down = RedisQueryCache(client: RedisClient(settings: try RedisSettings(url: "redis://127.0.0.1:\(try ServerSocketProbe.freePort())"),
                                                       logger: TestRedis.logger), capacity: 3, ttl: .seconds(60))
        await down.store([], for: keys[0])
        #expect(await down.hits(for: keys[0]) == nil)
    }
}
