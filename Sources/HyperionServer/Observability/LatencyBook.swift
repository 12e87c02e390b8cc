import HyperionCore
import NIOConcurrencyHelpers

/// The latest durations per key (a route, a provider), for percentiles in `/api/v1/stats`: each key keeps its last
/// ``capacity`` samples in a ring, so memory is bounded and the figures follow recent traffic. Keys are route
/// templates and provider names, never ids; at most ``maxKeys`` are kept.
final class LatencyBook: Sendable {
    static let capacity = 1024
    static let maxKeys = 512

    private struct Ring {
        var samples: [Double] = []
        var next = 0
        var count = 0

        mutating func add(_ value: Double) {
            count += 1
            if samples.count < LatencyBook.capacity {
                samples.append(value)
            } else {
                samples[next] = value
                next = (next + 1) % LatencyBook.capacity
            }
        }
    }

    /// Percentiles of one key, in milliseconds.
    struct Summary: Sendable, Equatable {
        var count: Int
        var p50: Double
        var p95: Double
        var p99: Double
    }

    private let rings = NIOLockedValueBox<[String: Ring]>([:])

    init() {}

    /// Records one duration under `key`.
    func record(_ key: String, _ duration: Duration) {
        let milliseconds = duration.milliseconds
        rings.withLockedValue { rings in
            if rings[key] == nil, rings.count >= Self.maxKeys { return }
            rings[key, default: Ring()].add(milliseconds)
        }
    }

    /// Every key's percentiles over its kept samples; `count` is every sample ever recorded under it.
    func summaries() -> [String: Summary] {
        let copy = rings.withLockedValue { $0 }
        return copy.mapValues { ring in
            let sorted = ring.samples.sorted()
            // Nearest rank: the smallest sample with at least q of them at or below it.
            func at(_ q: Double) -> Double {
                guard !sorted.isEmpty else { return 0 }
                let rank = max(1, Int((q * Double(sorted.count)).rounded(.up)))
                return sorted[min(rank, sorted.count) - 1]
            }
            return Summary(count: ring.count, p50: at(0.5), p95: at(0.95), p99: at(0.99))
        }
    }
}
