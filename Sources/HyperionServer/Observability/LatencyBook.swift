import HyperionCore
import NIOConcurrencyHelpers

/// The latest ``capacity`` durations of one thing (a route, a provider), for percentiles in `/api/v1/stats`: memory
/// is bounded and the figures follow recent traffic.
struct LatencyRing: Sendable {
    static let capacity = 1024

    /// Percentiles in milliseconds; `count` is every sample ever recorded.
    struct Summary: Sendable, Equatable {
        var count: Int
        var p50: Double
        var p95: Double
        var p99: Double
    }

    private var samples: [Double] = []
    private var next = 0
    private var count = 0

    /// Records one duration.
    mutating func add(_ duration: Duration) {
        count += 1
        if samples.count < Self.capacity {
            samples.append(duration.milliseconds)
        } else {
            samples[next] = duration.milliseconds
            next = (next + 1) % Self.capacity
        }
    }

    /// Nearest-rank percentiles over the kept samples (the smallest sample with at least q of them at or below it).
    var summary: Summary {
        let sorted = samples.sorted()
        func at(_ q: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let rank = max(1, Int((q * Double(sorted.count)).rounded(.up)))
            return sorted[min(rank, sorted.count) - 1]
        }
        return Summary(count: count, p50: at(0.5), p95: at(0.95), p99: at(0.99))
    }
}

/// A ``LatencyRing`` per key (a provider name, a retrieval mode; never an id), at most ``maxKeys`` of them.
final class LatencyBook<Key: Hashable & Sendable>: Sendable {
    static var maxKeys: Int { 512 }

    private let rings = NIOLockedValueBox<[Key: LatencyRing]>([:])

    init() {}

    /// Records one duration under `key`.
    func record(_ key: Key, _ duration: Duration) {
        rings.withLockedValue { rings in
            if rings[key] == nil, rings.count >= Self.maxKeys { return }
            rings[key, default: LatencyRing()].add(duration)
        }
    }

    /// Every key's percentiles.
    func summaries() -> [Key: LatencyRing.Summary] {
        rings.withLockedValue { $0 }.mapValues(\.summary)
    }
}
