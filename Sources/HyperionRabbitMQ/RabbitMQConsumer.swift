import Foundation
import HyperionCore
import Logging
import Synchronization

/// A consuming connection on a thread of its own (the client blocks): it connects (again, with backoff, after any
/// failure), runs `setup` to declare and start its consumers, hands every delivery to `deliver`, and between
/// deliveries performs the acknowledgements other threads asked for. Delivery tags belong to one connection: an
/// acknowledgement for an earlier connection is dropped (the broker delivers that message again anyway).
final class RabbitMQConsumer: Sendable {
    /// Work for the consumer's thread.
    enum Command: Sendable {
        case ack(generation: Int, tag: UInt64)
        case reject(generation: Int, tag: UInt64, requeue: Bool)
        /// Stop the named consumer (no new deliveries; settlements still go through).
        case cancel(consumerTag: String)
    }

    private struct State {
        var commands: [Command] = []
        var generation = 0
        var connected = false
        var lastError: String?
        var stopped = false
    }

    private let settings: RabbitMQSettings
    private let logger: Logger
    private let setup: @Sendable (AMQPConnection) throws -> Void
    private let deliver: @Sendable (AMQPDelivery, Int) -> Void
    private let state = Mutex(State())
    private let exited = Atomic<Bool>(false)
    private let started = Atomic<Bool>(false)

    /// Creates the consumer; `setup` declares and consumes, `deliver` receives each delivery with its connection's
    /// generation. Nothing runs before ``start()``.
    init(settings: RabbitMQSettings, logger: Logger, setup: @escaping @Sendable (AMQPConnection) throws -> Void,
         deliver: @escaping @Sendable (AMQPDelivery, Int) -> Void) {
        self.settings = settings
        self.logger = logger
        self.setup = setup
        self.deliver = deliver
    }

    /// Starts the thread.
    func start() {
        started.store(true, ordering: .relaxed)
        let thread = Thread { [self] in loop() }
        thread.name = "hyperion-rabbitmq-consumer"
        thread.start()
    }

    /// Whether the consumer is connected and consuming, and the last error when it is not.
    var status: (connected: Bool, error: String?) { state.withLock { ($0.connected, $0.lastError) } }

    /// The current connection's generation.
    var generation: Int { state.withLock { $0.generation } }

    /// Queues work for the thread.
    func send(_ command: Command) { state.withLock { $0.commands.append(command) } }

    /// Stops the thread and waits until it has closed its connection.
    func stop() async {
        state.withLock { $0.stopped = true }
        guard started.load(ordering: .relaxed) else { return }
        // The thread notices within one consume wait (20 ms) plus the close handshake.
        for _ in 0..<300 where !exited.load(ordering: .acquiring) { try? await Task.sleep(for: .milliseconds(10)) }
    }

    private func loop() {
        var backoff = Duration.milliseconds(100)
        while !state.withLock({ $0.stopped }) {
            do {
                let connection = try AMQPConnection(settings: settings, heartbeatSeconds: 30)
                let generation = state.withLock {
                    $0.generation += 1
                    // Settlements for the previous connection cannot be carried out on this one.
                    $0.commands.removeAll { if case .cancel = $0 { false } else { true } }
                    return $0.generation
                }
                try setup(connection)
                state.withLock {
                    $0.connected = true
                    $0.lastError = nil
                }
                logger.info("RabbitMQ: consuming", metadata: ["broker": "\(settings)"])
                backoff = .milliseconds(100)
                while true {
                    // Settlements asked for before a stop still go out before the connection closes.
                    let (commands, stopped) = state.withLock { state -> ([Command], Bool) in
                        defer { state.commands.removeAll() }
                        return (state.commands, state.stopped)
                    }
                    for command in commands {
                        switch command {
                        case .ack(let owner, let tag) where owner == generation: try connection.ack(tag)
                        case .reject(let owner, let tag, let requeue) where owner == generation: try connection.reject(tag, requeue: requeue)
                        case .cancel(let consumerTag): try connection.cancel(consumerTag: consumerTag)
                        default: continue
                        }
                    }
                    if stopped { break }
                    // Short waits: settlements asked for meanwhile go out within this time.
                    if let delivery = try connection.next(timeout: .milliseconds(20)) { deliver(delivery, generation) }
                }
            } catch {
                let message = "\(error)"
                let (wasConnected, sameAsBefore) = state.withLock { state -> (Bool, Bool) in
                    defer {
                        state.connected = false
                        state.lastError = message
                    }
                    return (state.connected, state.lastError == message)
                }
                // Said once per cause, not once per attempt: a broker that stays away (or refuses the credentials) is
                // reported, then retried quietly until something changes.
                if wasConnected {
                    logger.warning("RabbitMQ: connection lost; reconnecting", metadata: ["broker": "\(settings)", "error": "\(message)"])
                } else if !sameAsBefore {
                    logger.warning("RabbitMQ: cannot connect; retrying", metadata: ["broker": "\(settings)", "error": "\(message)"])
                }
                Thread.sleep(forTimeInterval: backoff.seconds)
                backoff = min(backoff * 2, .seconds(2))
            }
        }
        state.withLock { $0.connected = false }
        exited.store(true, ordering: .releasing)
    }
}

