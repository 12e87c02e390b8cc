import Foundation
import Synchronization

/// A small in-process LRU cache with a time to live, safe to share between requests. Entries are
/// evicted least-recently-used first when `capacity` is reached, and ignored once older than `ttl`.
public final class LRUCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Entry {
        var value: Value
        var stored: ContinuousClock.Instant
        var lastUse: UInt64
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var tick: UInt64 = 0
    }

    /// Entries kept at most; 0 turns the cache off.
    public let capacity: Int
    /// How long an entry stays valid.
    public let ttl: Duration
    private let state = Mutex(State())

    /// Creates an empty cache.
    public init(capacity: Int, ttl: Duration) {
        self.capacity = capacity
        self.ttl = ttl
    }

    /// The live value for `key`, marking it used.
    public func value(for key: Key, now: ContinuousClock.Instant = .now) -> Value? {
        guard capacity > 0 else { return nil }
        return state.withLock { state in
            guard let entry = state.entries[key] else { return nil }
            guard now - entry.stored < ttl else {
                state.entries[key] = nil
                return nil
            }
            state.tick += 1
            state.entries[key]?.lastUse = state.tick
            return entry.value
        }
    }

    /// Stores `value`, evicting the least recently used eighth when full (amortised, no linked list).
    public func store(_ value: Value, for key: Key, now: ContinuousClock.Instant = .now) {
        guard capacity > 0 else { return }
        state.withLock { state in
            if state.entries[key] == nil, state.entries.count >= capacity {
                let evict = max(1, capacity / 8)
                let oldest = state.entries.sorted { $0.value.lastUse < $1.value.lastUse }.prefix(evict).map(\.key)
                for key in oldest { state.entries[key] = nil }
            }
            state.tick += 1
            state.entries[key] = Entry(value: value, stored: now, lastUse: state.tick)
        }
    }

    /// Entries held, live or expired.
    public var count: Int { state.withLock { $0.entries.count } }

    /// Empties the cache.
    public func removeAll() { state.withLock { $0.entries.removeAll() } }
}
