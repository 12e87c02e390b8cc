import Synchronization

/// Wakes idle ingestion workers the moment a job is queued on this instance; they also poll the store
/// every second, for jobs queued by other instances sharing the database. A waiting worker costs nothing:
/// it used to re-check a counter every 50 ms, about 40 wake-ups a second with two workers and nothing to do.
final class JobSignal: Sendable {
    private enum Waiter {
        case armed
        case waiting(CheckedContinuation<Void, Never>)
        case woken
    }

    private struct State {
        var generation = 0
        var nextID = 0
        var waiters: [Int: Waiter] = [:]
    }

    private let state = Mutex(State())

    /// Counts notifications. Read it before looking for work and pass it to ``wait(since:timeout:)``, so a
    /// job queued in between is not slept through.
    var generation: Int { state.withLock { $0.generation } }

    /// Wakes every waiter.
    func notify() {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.generation &+= 1
            var woken: [CheckedContinuation<Void, Never>] = []
            for (id, waiter) in state.waiters {
                if case .waiting(let continuation) = waiter { woken.append(continuation) }
                state.waiters[id] = .woken
            }
            return woken
        }
        for continuation in woken { continuation.resume() }
    }

    /// Returns once there has been a notification since `seen`, after `timeout`, or when the task is
    /// cancelled, whichever comes first.
    func wait(since seen: Int, timeout: Duration) async {
        let id = state.withLock { state -> Int in
            state.nextID &+= 1
            state.waiters[state.nextID] = .armed
            return state.nextID
        }
        let timer = Task {
            do { try await Task.sleep(for: timeout) } catch { return }
            self.wake(id)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.generation != seen || Task.isCancelled { return true }
                    if case .woken? = state.waiters[id] { return true }
                    state.waiters[id] = .waiting(continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            self.wake(id)
        }
        timer.cancel()
        state.withLock { _ = $0.waiters.removeValue(forKey: id) }
    }

    /// Wakes one waiter (its timeout or its cancellation); one that has not parked yet will not.
    private func wake(_ id: Int) {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            switch state.waiters[id] {
            case .waiting(let continuation)?:
                state.waiters[id] = .woken
                return continuation
            case .armed?:
                state.waiters[id] = .woken
                return nil
            case .woken?, nil:
                return nil
            }
        }
        continuation?.resume()
    }
}
