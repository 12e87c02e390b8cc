@preconcurrency import AsyncKit
import Logging
import NIOPosix
import Synchronization

/// Owns a connection pool (and the thread pool its connections block on, if any) and closes it exactly once.
///
/// AsyncKit traps when a pool is released without having been shut down. A store or engine dropped on an error
/// path (a failed migration, a test that throws before closing) must not take the process down with it, so an
/// owner released while still open starts the shutdown itself; the shutdown callbacks keep the pool alive until
/// it has finished.
final class OwnedPool<Source: ConnectionPoolSource>: Sendable {
    let pool: EventLoopGroupConnectionPool<Source>
    private let threads: NIOThreadPool?
    private let closed = Mutex(false)
    private let logger: Logger

    init(_ pool: EventLoopGroupConnectionPool<Source>, threads: NIOThreadPool? = nil, logger: Logger) {
        self.pool = pool
        self.threads = threads
        self.logger = logger
    }

    /// Closes every connection, then the thread pool. Later calls do nothing.
    func close() async throws {
        guard markClosed() else { return }
        do {
            try await pool.shutdownAsync()
        } catch {
            try? await threads?.shutdownGracefully()
            throw error
        }
        try await threads?.shutdownGracefully()
    }

    private func markClosed() -> Bool {
        closed.withLock { wasClosed in
            defer { wasClosed = true }
            return !wasClosed
        }
    }

    deinit {
        guard markClosed() else { return }
        logger.warning("a connection pool was released without being closed; closing it now")
        let threads = threads
        pool.shutdownGracefully { _ in threads?.shutdownGracefully { _ in } }
    }
}
