import Foundation
import NIOConcurrencyHelpers

/// Event counts per key over a sliding window, in memory per instance: the one mechanism behind login
/// throttling and the signup limit.
public final class SlidingWindow: Sendable {
    /// Window length in seconds.
    public let window: TimeInterval
    private let state = NIOLockedValueBox<[String: [Date]]>([:])

    /// Creates an empty window of `window` seconds.
    public init(window: TimeInterval) { self.window = window }

    /// Admits an event under every `(key, limit)` at once: seconds to wait when any key is at its limit (nothing
    /// recorded), else nil with the event recorded under every key. Check and record are one step, so a burst
    /// of parallel events cannot all pass the check before any is counted.
    public func admit(_ limits: [(key: String, limit: Int)], now: Date = Date()) -> Int? {
        state.withLockedValue { state in
            var wait: TimeInterval = 0
            for (key, limit) in limits {
                let recent = (state[key] ?? []).filter { now.timeIntervalSince($0) < window }
                state[key] = recent
                if recent.count >= limit, let oldest = recent.first {
                    wait = max(wait, window - now.timeIntervalSince(oldest))
                }
            }
            if wait > 0 { return max(1, Int(wait.rounded(.up))) }
            for (key, _) in limits { state[key, default: []].append(now) }
            if state.count > 100_000 {  // bound memory under a spray of random keys
                state = state.filter { $0.value.contains { now.timeIntervalSince($0) < window } }
            }
            return nil
        }
    }

    /// Takes the newest event of `key` back.
    public func takeBack(_ key: String) {
        state.withLockedValue { state in
            guard var events = state[key], !events.isEmpty else { return }
            events.removeLast()
            state[key] = events.isEmpty ? nil : events
        }
    }

    /// Forgets every event of `key`.
    public func forget(_ key: String) {
        _ = state.withLockedValue { $0.removeValue(forKey: key) }
    }
}
