import Dispatch
import Foundation
import Logging

/// A publishing connection owned by a serial queue: calls run one at a time off Swift's cooperative threads (the
/// client blocks), the connection is opened on first use and again after any failure, and a broker that refused a
/// connection is not tried again for a second, so callers fail fast while it is down.
final class RabbitMQPublisher: @unchecked Sendable {
    private let queue = DispatchQueue(label: "hyperion.rabbitmq.publisher")
    private let settings: RabbitMQSettings
    private let setup: (AMQPConnection) throws -> Void
    private let logger: Logger
    // Touched on `queue` only.
    private var connection: AMQPConnection?
    private var downUntil = ContinuousClock.now
    /// Counts connections opened: publishes that must all go through one connection compare it.
    private var generation = 0

    /// Creates the publisher; `setup` runs on every new connection (topology, confirm mode).
    init(settings: RabbitMQSettings, logger: Logger, setup: @escaping (AMQPConnection) throws -> Void) {
        self.settings = settings
        self.setup = setup
        self.logger = logger
    }

    /// Runs `body` with the connection and its generation. With `retry`, a failure on a connection that had worked is
    /// retried once on a new one (the broker restarted since it was last used); without, the caller decides.
    func run<T: Sendable>(retry: Bool = true, _ body: @escaping @Sendable (AMQPConnection, Int) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try self.withConnection(retry: retry, body) })
            }
        }
    }

    /// Runs `body` with the connection (retrying once as above).
    func run<T: Sendable>(_ body: @escaping @Sendable (AMQPConnection) throws -> T) async throws -> T {
        try await run(retry: true) { connection, _ in try body(connection) }
    }

    private func withConnection<T>(retry: Bool, _ body: (AMQPConnection, Int) throws -> T) throws -> T {
        let reused = connection != nil
        do {
            return try body(try current(), generation)
        } catch {
            drop()
            guard reused, retry else { throw error }
            return try body(try current(), generation)
        }
    }

    private func current() throws -> AMQPConnection {
        if let connection { return connection }
        guard ContinuousClock.now >= downUntil else { throw AMQPError(message: "RabbitMQ at \(settings) was unreachable less than a second ago") }
        do {
            // No heartbeats: this connection idles between publishes, and a dead one shows at the next publish.
            let fresh = try AMQPConnection(settings: settings, heartbeatSeconds: 0)
            try setup(fresh)
            connection = fresh
            generation += 1
            return fresh
        } catch {
            downUntil = ContinuousClock.now + .seconds(1)
            logger.warning("RabbitMQ: cannot connect", metadata: ["broker": "\(settings)", "error": "\(error)"])
            throw error
        }
    }

    private func drop() {
        connection?.abandon()
        connection = nil
    }

    /// Closes the connection.
    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                self.connection = nil
                continuation.resume()
            }
        }
    }
}
