import Foundation
import HyperionCore

/// The ``RateLimiter`` every instance shares: one sorted set per key in Redis, scored by Redis's own clock (so the
/// instances' clocks need not agree), checked and counted by one Lua script (so parallel requests on several
/// instances cannot all pass the check). A busy caller under a large limit takes slots ahead in leases and spends them
/// without a round trip (``RateLimitLeases``). While Redis is unavailable it counts in memory, per instance, and goes back
/// to Redis as soon as Redis answers again.
public final class RedisRateLimiter: RateLimiter {
    let client: RedisClient
    let fallback: InMemoryRateLimiter
    /// Slots counted ahead for busy callers (see ``RateLimitLeases``).
    let leases = RateLimitLeases()

    /// Creates a limiter on `client`; `fallback` counts while Redis is down.
    public init(client: RedisClient, fallback: InMemoryRateLimiter = InMemoryRateLimiter()) {
        self.client = client
        self.fallback = fallback
    }

    /// KEYS: one sorted set per rule. ARGV: limit and window (µs) per rule, then a token unique to this call, then how
    /// many events to count at once (a lease; 1 for one event), then members of the first key to remove before
    /// counting (a stale lease's unspent slots). Grants up to that number, at most a quarter of the room every rule
    /// still has (but one when there is room at all), or none. Returns per rule {room left before, limit, remaining after, µs until a slot frees}, flattened, then the
    /// number granted.
    static let admitScript = """
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
    local n = #KEYS
    local grant = tonumber(ARGV[2 * n + 2])
    if #ARGV > 2 * n + 2 then
      redis.call('ZREM', KEYS[1], unpack(ARGV, 2 * n + 3))
    end
    local counts = {}
    for i = 1, n do
      local limit = tonumber(ARGV[2 * i - 1])
      local window = tonumber(ARGV[2 * i])
      redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
      local count = redis.call('ZCARD', KEYS[i])
      counts[i] = count
      -- A quarter of the room, judged here where the count is exact: an instance's lease is then spent long before
      -- the others use up what is left, so near the limit none is refused while another still holds slots.
      local room = limit - count
      grant = math.min(grant, math.max(1, math.floor(room / 4)), room)
    end
    if grant < 0 then grant = 0 end
    local out = {}
    for i = 1, n do
      local limit = tonumber(ARGV[2 * i - 1])
      local window = tonumber(ARGV[2 * i])
      local count = counts[i]
      local untilFree = window
      if count > 0 then
        local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
        untilFree = tonumber(oldest[2]) + window - now
      end
      if grant > 0 then
        local members = {}
        for j = 1, grant do
          members[#members + 1] = now
          members[#members + 1] = ARGV[2 * n + 1] .. ':' .. i .. ':' .. j
        end
        redis.call('ZADD', KEYS[i], unpack(members))
        redis.call('PEXPIRE', KEYS[i], math.ceil(window / 1000) + 1000)
      end
      out[#out + 1] = math.max(limit - count, 0)
      out[#out + 1] = limit
      out[#out + 1] = math.max(limit - count - grant, 0)
      out[#out + 1] = untilFree
    end
    out[#out + 1] = grant
    return out
    """

    public func admit(_ rules: [RateLimitRule]) async -> RateLimitDecision {
        guard !rules.isEmpty else { return fallback.admitNow(rules) }
        if rules.count == 1, RateLimitLeases.cap(rules[0]) >= 2 {
            let decision = await leases.admit(rules[0]) { request in
                await self.ask(rules, count: request.count, token: request.token, returning: request.returning)
            }
            return decision ?? fallback.admitNow(rules)
        }
        switch await ask(rules, count: 1, token: UUID().uuidString) {
        case .granted(_, let decision), .refused(let decision): return decision
        case .unavailable: return fallback.admitNow(rules)
        }
    }

    /// Runs the script for `count` events under every rule at once, named by `token`, after removing `returning`.
    func ask(_ rules: [RateLimitRule], count: Int, token: String, returning: [String] = []) async -> RateLimitLeases.Answer {
        var arguments: [RedisArgument] = []
        for rule in rules {
            arguments.append(.int(rule.limit))
            arguments.append(.int(max(1, RedisConnection.nanoseconds(rule.window) / 1000)))
        }
        arguments.append(.string(token))
        arguments.append(.int(count))
        arguments += returning.map { .string($0) }
        do {
            let reply = try await client.evaluate(Self.admitScript, keys: rules.map { key($0.key) }, arguments: arguments)
            guard let values = reply.array?.compactMap(\.integer), values.count == 4 * rules.count + 1 else {
                throw RedisError.unexpectedReply("the rate limit script answered \(reply)")
            }
            let granted = Int(values[4 * rules.count])
            var outcomes: [RateLimitDecision] = []
            for index in rules.indices {
                let roomBefore = values[4 * index]
                let wait = InMemoryRateLimiter.seconds(.microseconds(values[4 * index + 3]))
                let allowed = granted > 0 || roomBefore > 0
                outcomes.append(RateLimitDecision(allowed: allowed, limit: Int(values[4 * index + 1]), remaining: Int(values[4 * index + 2]),
                                                  resetSeconds: wait, retryAfter: allowed ? nil : wait))
            }
            var decision = RateLimitDecision.combine(outcomes)!
            guard granted > 0 else {
                // A rule that was itself under its limit but whose event was refused because of another rule: the
                // caller only needs the refusing rule.
                decision.allowed = false
                if decision.retryAfter == nil { decision.retryAfter = decision.resetSeconds }
                return .refused(decision)
            }
            return .granted(granted, decision)
        } catch {
            return .unavailable
        }
    }

    public func takeBack(_ key: String) async {
        if await leases.giveBack(key) { return }
        do { try await client.send(["ZPOPMAX", .string(self.key(key))]) } catch { fallback.takeBackNow(key) }
    }

    public func forget(_ key: String) async {
        await leases.forget(key)
        do { try await client.send(["DEL", .string(self.key(key))]) } catch { fallback.forgetNow(key) }
        fallback.forgetNow(key)
    }

    private func key(_ name: String) -> String { client.settings.keyPrefix + "rl:" + name }
}
