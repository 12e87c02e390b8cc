/// Async mutual exclusion per key (here: a blob's SHA-256), so "is this blob still used? then remove it" cannot
/// interleave with an upload that writes the same blob and is about to reference it. Waiters suspend, never
/// block a thread. Within one process; instances sharing a files folder would need the store to arbitrate.
actor KeyedLocks {
    private var held: [String: [CheckedContinuation<Void, Never>]] = [:]

    /// Runs `body` holding every key of `keys` (taken in sorted order, so two callers never deadlock).
    func withLocks<T: Sendable>(_ keys: some Sequence<String>, _ body: @Sendable () async throws -> T) async throws -> T {
        let ordered = Set(keys).sorted()
        for key in ordered { await lock(key) }
        defer { for key in ordered { unlock(key) } }
        return try await body()
    }

    private func lock(_ key: String) async {
        if held[key] == nil {
            held[key] = []
            return
        }
        await withCheckedContinuation { held[key, default: []].append($0) }
    }

    private func unlock(_ key: String) {
        guard var waiters = held[key], !waiters.isEmpty else {
            held[key] = nil
            return
        }
        let next = waiters.removeFirst()
        held[key] = waiters
        next.resume()  // the key stays held, now by `next`
    }
}
