import Logging
import ServiceLifecycle

/// Keeps the store open while the application runs and closes its pools on graceful shutdown,
/// after the HTTP server has finished its in-flight requests.
public struct StoreService: Service {
    let store: Store
    let logger: Logger

    /// Creates the service for `store`.
    public init(store: Store, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// Waits for graceful shutdown, then closes the store.
    public func run() async throws {
        try? await gracefulShutdown()
        do {
            try await store.close()
            logger.info("store closed")
        } catch {
            logger.error("closing the store failed", metadata: ["error": "\(error)"])
        }
    }
}
