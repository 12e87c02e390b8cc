/// An async mutual-exclusion gate: waiters suspend (they never block a thread) and enter in FIFO order.
///
/// SQLite allows one writer; without this, concurrent write transactions would each park a thread of the
/// driver's pool in `busy_timeout` while the transaction holding the lock waits for a free thread.
actor AsyncGate {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func enter() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func leave() {
        if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
    }

    /// Runs `body` alone.
    func withGate<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await enter()
        do {
            let value = try await body()
            leave()
            return value
        } catch {
            leave()
            throw error
        }
    }
}
