import Foundation
import HyperionCore

/// The ``RateLimiter`` every instance shares: one sorted set per key in Redis, scored by Redis's own clock (so the
/// instances' clocks need not agree), checked and counted by one Lua script (so parallel requests on several
/// instances cannot all pass the check). While Redis is unavailable it counts in memory, per instance, and goes back
/// to Redis as soon as Redis answers again.
public final class RedisRateLimiter: RateLimiter {
    let client: RedisClient
    let fallback: InMemoryRateLimiter

    /// Creates a limiter on `client`; `fallback` counts while Redis is down.
    public init(client: RedisClient, fallback: InMemoryRateLimiter = InMemoryRateLimiter()) {
        self.client = client
        self.fallback = fallback
    }

    /// KEYS: one sorted set per rule. ARGV: limit and window (µs) per rule, then a token unique to this call.
    /// Returns per rule {allowed, limit, remaining, µs until a slot frees}, flattened.
    static let admitScript = """
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
    local n = #KEYS
    local out = {}
    local refused = false
    local counts = {}
    for i = 1, n do
      local limit = tonumber(ARGV[2 * i - 1])
      local window = tonumber(ARGV[2 * i])
      redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
      local count = redis.call('ZCARD', KEYS[i])
      counts[i] = count
      if count >= limit then refused = true end
    end
    for i = 1, n do
      local limit = tonumber(ARGV[2 * i - 1])
      local window = tonumber(ARGV[2 * i])
      local count = counts[i]
      local untilFree = window
      if count > 0 then
        local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
        untilFree = tonumber(oldest[2]) + window - now
      end
      if refused then
        local allowed = 0
        if count < limit then allowed = 1 end
        out[#out + 1] = allowed
        out[#out + 1] = limit
        out[#out + 1] = math.max(limit - count, 0)
        out[#out + 1] = untilFree
      else
        redis.call('ZADD', KEYS[i], now, ARGV[2 * n + 1] .. ':' .. i)
        redis.call('PEXPIRE', KEYS[i], math.ceil(window / 1000) + 1000)
        out[#out + 1] = 1
        out[#out + 1] = limit
        out[#out + 1] = limit - count - 1
        out[#out + 1] = untilFree
      end
    end
    return out
    """

    public func admit(_ rules: [RateLimitRule]) async -> RateLimitDecision {
        guard !rules.isEmpty else { return fallback.admitNow(rules) }
        var arguments: [RedisArgument] = []
        for rule in rules {
            arguments.append(.int(rule.limit))
            arguments.append(.int(max(1, RedisConnection.nanoseconds(rule.window) / 1000)))
        }
        arguments.append(.string(UUID().uuidString))
        do {
            let reply = try await client.evaluate(Self.admitScript, keys: rules.map { key($0.key) }, arguments: arguments)
            guard let values = reply.array?.compactMap(\.integer), values.count == 4 * rules.count else {
                throw RedisError.unexpectedReply("the rate limit script answered \(reply)")
            }
            var outcomes: [RateLimitDecision] = []
            for index in rules.indices {
                let allowed = values[4 * index] == 1
                let wait = InMemoryRateLimiter.seconds(.microseconds(values[4 * index + 3]))
                outcomes.append(RateLimitDecision(allowed: allowed, limit: Int(values[4 * index + 1]), remaining: Int(values[4 * index + 2]),
                                                  resetSeconds: wait, retryAfter: allowed ? nil : wait))
            }
            var decision = RateLimitDecision.combine(outcomes)!
            // A rule that was itself under its limit but whose event was refused because of another rule: the caller
            // only needs the refusing rule.
            if !decision.allowed, decision.retryAfter == nil { decision.retryAfter = decision.resetSeconds }
            return decision
        } catch {
            return fallback.admitNow(rules)
        }
    }

    public func takeBack(_ key: String) async {
        do { try await client.send(["ZPOPMAX", .string(self.key(key))]) } catch { fallback.takeBackNow(key) }
    }

    public func forget(_ key: String) async {
        do { try await client.send(["DEL", .string(self.key(key))]) } catch { fallback.forgetNow(key) }
        fallback.forgetNow(key)
    }

    private func key(_ name: String) -> String { client.settings.keyPrefix + "rl:" + name }
}
