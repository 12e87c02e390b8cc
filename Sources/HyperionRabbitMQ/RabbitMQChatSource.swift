import Foundation
import HyperionCore
import Logging
import Synchronization

/// The working side of the LLM queue on RabbitMQ, for ``ChatJobWorker``: it consumes the request queue with a
/// prefetch limit (manual acknowledgement), hears cancellations on a queue of its own bound to the cancel exchange,
/// and publishes replies to each job's reply queue (the final one confirmed before the job is acknowledged).
public final class RabbitMQChatSource: ChatJobSource, Sendable {
    /// What the consumer's thread and the worker's tasks share.
    final class SharedState: Sendable {
        let lock = Mutex(State())

        func withLock<T>(_ body: (inout State) -> T) -> T { lock.withLock { body(&$0) } }
    }

    struct State {
        var prefetch = 1
        var deliveries: AsyncStream<ChatJobDelivery>.Continuation?
        var cancellations: [AsyncStream<String>.Continuation] = []
        var requestConsumer: String?
        var closed = false
    }

    private let settings: RabbitMQSettings
    private let publisher: RabbitMQPublisher
    private let shared = SharedState()
    private let box = Mutex<RabbitMQConsumer?>(nil)
    private let topology: LLMQueueTopology
    private let logger: Logger
    private let worker = String(UUID().uuidString.lowercased().prefix(13))

    /// Creates the source; nothing connects before ``deliveries(prefetch:)``.
    public init(settings: RabbitMQSettings, deliveryLimit: Int, logger: Logger) {
        self.settings = settings
        self.logger = logger
        topology = LLMQueueTopology(settings: settings, deliveryLimit: deliveryLimit)
        let topology = self.topology
        publisher = RabbitMQPublisher(settings: settings, logger: logger) { connection in
            try topology.declare(on: connection)
            try connection.enableConfirms()
        }
    }

    public func deliveries(prefetch: Int) -> AsyncStream<ChatJobDelivery> {
        let (stream, continuation) = AsyncStream<ChatJobDelivery>.makeStream()
        shared.withLock {
            $0.prefetch = max(1, prefetch)
            $0.deliveries = continuation
        }
        let settings = self.settings
        let topology = self.topology
        let cancelQueue = "\(settings.prefix).llm.cancel.\(worker)"
        let shared = self.shared
        let consumer = RabbitMQConsumer(settings: settings, logger: logger, setup: { connection in
            try topology.declare(on: connection)
            try connection.declareQueue(cancelQueue, durable: false, exclusive: true, autoDelete: true)
            try connection.bind(queue: cancelQueue, exchange: settings.cancelExchange)
            _ = try connection.consume(queue: cancelQueue, autoAck: true)
            let (prefetch, closed) = shared.withLock { ($0.prefetch, $0.closed) }
            try connection.qos(prefetch: prefetch)
            // After close() a reconnect listens for cancellations only.
            if !closed {
                let tag = try connection.consume(queue: settings.requestQueue, autoAck: false)
                shared.withLock { $0.requestConsumer = tag }
            }
        }, deliver: { [weak self] delivery, generation in
            self?.received(delivery, generation: generation)
        })
        box.withLock { $0 = consumer }
        consumer.start()
        return stream
    }

    private func received(_ delivery: AMQPDelivery, generation: Int) {
        let (isRequest, deliveries, cancellations) = shared.withLock { ($0.requestConsumer == delivery.consumerTag, $0.deliveries, $0.cancellations) }
        guard isRequest else {
            let id = String(decoding: delivery.body, as: UTF8.self)
            for listener in cancellations { listener.yield(id) }
            return
        }
        let consumer = box.withLock { $0 }
        guard let deliveries, let replyTo = delivery.replyTo, !replyTo.isEmpty else {
            // Closed meanwhile: back to the queue for another worker. Without a reply address: nobody to answer.
            consumer?.send(.reject(generation: generation, tag: delivery.deliveryTag, requeue: deliveries == nil))
            return
        }
        let tag = delivery.deliveryTag
        deliveries.yield(ChatJobDelivery(body: delivery.body, replyTo: replyTo, redelivered: delivery.redelivered) { settlement in
            switch settlement {
            case .acknowledge: consumer?.send(.ack(generation: generation, tag: tag))
            case .deadLetter: consumer?.send(.reject(generation: generation, tag: tag, requeue: false))
            case .requeue: consumer?.send(.reject(generation: generation, tag: tag, requeue: true))
            }
        })
    }

    public func cancellations() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream<String>.makeStream()
        shared.withLock { $0.cancellations.append(continuation) }
        return stream
    }

    /// Every reply of an attempt goes through one publishing connection: a write to a connection the broker has
    /// dropped can vanish without an error, so the first reply (`started`) is confirmed before any text follows, the
    /// last one is confirmed (which confirms all before it on that connection), and a reply that would need a new
    /// connection fails instead; the worker then hands the job back and it starts again as a new attempt.
    public func reply(_ reply: ChatJobReply, to address: String) async throws {
        let body = try reply.encoded()
        let final = reply.kind == .finished || reply.kind == .failed
        let timeout = settings.timeout
        let attempts = self.attempts
        if reply.kind == .started {
            let generation = try await publisher.run(retry: true) { connection, generation in
                let sequence = try connection.publish(routingKey: address, body: body, properties: AMQPMessageProperties(correlationID: reply.job))
                try connection.waitForConfirm(sequence, timeout: timeout)
                return generation
            }
            attempts.begin(reply.attempt, generation: generation)
            return
        }
        guard let generation = attempts.generation(of: reply.attempt) else {
            throw AMQPError(message: "a reply of an attempt that did not start on this worker")
        }
        do {
            try await publisher.run(retry: false) { connection, current in
                guard current == generation else { throw AMQPError(message: "the connection to the broker changed mid-answer") }
                let sequence = try connection.publish(routingKey: address, body: body, properties: AMQPMessageProperties(correlationID: reply.job))
                // The job is acknowledged after its last reply: that one must be with the broker first.
                if final { try connection.waitForConfirm(sequence, timeout: timeout) }
            }
        } catch {
            attempts.end(reply.attempt)
            throw error
        }
        if final { attempts.end(reply.attempt) }
    }

    private let attempts = Attempts()

    public func close() async {
        let (deliveries, tag) = shared.withLock { state in
            defer {
                state.closed = true
                state.deliveries = nil
            }
            return (state.deliveries, state.requestConsumer)
        }
        if let tag, deliveries != nil { box.withLock { $0 }?.send(.cancel(consumerTag: tag)) }
        deliveries?.finish()
    }

    /// Closes the connections (after the worker finished what it held; anything unsettled goes back to the queue).
    public func shutdown() async {
        await close()
        await box.withLock { $0 }?.stop()
        await publisher.close()
        shared.withLock { $0.cancellations.forEach { $0.finish() } }
    }

    /// Whether the worker is connected and consuming, and the last error when not.
    public var status: (connected: Bool, error: String?) { box.withLock { $0 }?.status ?? (false, "not started") }
}

/// The publishing connection each attempt in progress started on.
final class Attempts: Sendable {
    private let state = Mutex<[String: (generation: Int, since: ContinuousClock.Instant)]>([:])

    func begin(_ attempt: String, generation: Int) {
        state.withLock {
            // Attempts that ended without a last reply (cancelled) are forgotten after a day.
            if $0.count > 10_000 {
                let now = ContinuousClock.now
                $0 = $0.filter { now - $0.value.since < .seconds(86_400) }
            }
            $0[attempt] = (generation, ContinuousClock.now)
        }
    }

    func generation(of attempt: String) -> Int? { state.withLock { $0[attempt]?.generation } }

    func end(_ attempt: String) { _ = state.withLock { $0.removeValue(forKey: attempt) } }
}
