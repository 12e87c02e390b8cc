// The cost of a rate-limit check with Redis on loopback, measured through Hyperion's own client: sequential calls
// (one request's view), p50 and p99 in microseconds, beside PING through the same client and an in-memory check.
//   hyperion-redis-bench REDIS_URL [CALLS]   → one JSON object on stdout
import Foundation
import HyperionCore
import HyperionRedis
import Logging

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: hyperion-redis-bench REDIS_URL [CALLS]\n".utf8))
    exit(2)
}
let calls = arguments.count > 2 ? Int(arguments[2]) ?? 20_000 : 20_000
var logger = Logger(label: "bench")
logger.logLevel = .error
let client = RedisClient(settings: try RedisSettings(url: arguments[1], keyPrefix: "bench-\(UUID().uuidString.prefix(8)):"), logger: logger)
let limiter = RedisRateLimiter(client: client)
let memory = InMemoryRateLimiter()
let rule = RateLimitRule(key: "requests:user:bench", limit: 1_000_000_000, window: .seconds(60))

/// Microseconds per call, sorted.
func measure(_ count: Int, _ body: () async throws -> Void) async rethrows -> [Double] {
    var samples: [Double] = []
    samples.reserveCapacity(count)
    let clock = ContinuousClock()
    for _ in 0..<count {
        let start = clock.now
        try await body()
        let (seconds, attoseconds) = (clock.now - start).components
        samples.append(Double(seconds) * 1e6 + Double(attoseconds) / 1e12)
    }
    return samples.sorted()
}

func percentile(_ sorted: [Double], _ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }

_ = try await measure(1000) { try await client.ping() }
_ = await measure(1000) { _ = await limiter.admit([rule]) }
let ping = try await measure(calls) { try await client.ping() }
// A window holding many events is the worst case of the sorted-set script: run the admits into one key.
let admit = await measure(calls) { _ = await limiter.admit([rule]) }
let inMemory = await measure(calls) { _ = await memory.admit([rule]) }
let result: [String: Double] = [
    "calls": Double(calls),
    "ping_p50_us": percentile(ping, 0.5), "ping_p99_us": percentile(ping, 0.99),
    "admit_p50_us": percentile(admit, 0.5), "admit_p99_us": percentile(admit, 0.99),
    "memory_admit_p50_us": percentile(inMemory, 0.5), "memory_admit_p99_us": percentile(inMemory, 0.99),
]
let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
print(String(decoding: json, as: UTF8.self))
client.close()
