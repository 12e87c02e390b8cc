import Synchronization

/// Runs `body` and gives up waiting after `limit`, throwing `timeout()`. The body is cancelled but keeps running
/// until it notices (a database driver's call may not), with its result discarded: the caller is never held past
/// the limit by an engine that stopped answering.
public func withDeadline<T: Sendable>(_ limit: Duration, timeout: @escaping @Sendable () -> any Error,
                                      _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let race = DeadlineRace<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            race.start(continuation: continuation, limit: limit, timeout: timeout, body: body)
        }
    } onCancel: {
        race.cancelWork()
    }
}

/// The state of one ``withDeadline(_:timeout:_:)``: the first outcome resumes the caller, the other is dropped.
private final class DeadlineRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var work: Task<Void, Never>?
        var timer: Task<Void, Never>?
    }
    private let state = Mutex(State())

    func start(continuation: CheckedContinuation<T, any Error>, limit: Duration, timeout: @escaping @Sendable () -> any Error,
               body: @escaping @Sendable () async throws -> T) {
        state.withLock { $0.continuation = continuation }
        let work = Task {
            let result: Result<T, any Error>
            do { result = .success(try await body()) } catch { result = .failure(error) }
            self.finish(result)?.timer?.cancel()
        }
        let timer = Task {
            try? await Task.sleep(for: limit)
            guard !Task.isCancelled else { return }
            self.finish(.failure(timeout()))?.work?.cancel()
        }
        state.withLock { $0.work = work; $0.timer = timer }
    }

    /// Resumes the caller unless already done; returns the state when this call was first.
    private func finish(_ result: Result<T, any Error>) -> State? {
        let taken: State? = state.withLock { state in
            guard state.continuation != nil else { return nil }
            defer { state.continuation = nil }
            return state
        }
        taken?.continuation?.resume(with: result)
        return taken
    }

    func cancelWork() { state.withLock { $0.work }?.cancel() }
}
