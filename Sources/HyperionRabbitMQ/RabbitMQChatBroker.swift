import Foundation
import HyperionCore
import Logging
import Synchronization

/// The requesting side of the LLM queue on RabbitMQ: jobs are published persistent to the request queue with
/// publisher confirms (a job is in the queue when `submit` returns), replies come back on this instance's own reply
/// queue, matched to their job by correlation id.
public final class RabbitMQChatBroker: ChatJobBroker, Sendable {
    private let settings: RabbitMQSettings
    private let maxDepth: Int
    private let publisher: RabbitMQPublisher
    private let consumer: RabbitMQConsumer
    private let replies = ReplyRoutes()
    private let logger: Logger
    /// This instance's reply queue.
    public let replyQueue: String

    /// Creates the broker; ``start()`` connects. `maxDepth` jobs waiting make `submit` refuse (0: no limit).
    public init(settings: RabbitMQSettings, maxDepth: Int, deliveryLimit: Int, logger: Logger) {
        let topology = LLMQueueTopology(settings: settings, deliveryLimit: deliveryLimit)
        let replyQueue = settings.replyQueue(instance: String(UUID().uuidString.lowercased().prefix(13)))
        let replies = self.replies
        self.settings = settings
        self.maxDepth = maxDepth
        self.logger = logger
        self.replyQueue = replyQueue
        publisher = RabbitMQPublisher(settings: settings, logger: logger) { connection in
            try topology.declare(on: connection)
            try connection.enableConfirms()
        }
        consumer = RabbitMQConsumer(settings: settings, logger: logger, setup: { connection in
            try topology.declare(on: connection)
            // Neither exclusive nor transient: it outlives a dropped connection and a broker restart, so replies a
            // worker sends before this instance has reconnected wait for it instead of going nowhere; it expires when
            // this instance has been gone five minutes.
            try connection.declareQueue(replyQueue, durable: true, arguments: [("x-expires", .int(300_000))])
            _ = try connection.consume(queue: replyQueue, autoAck: true)
        }, deliver: { delivery, _ in
            guard let reply = try? ChatJobReply.decode(delivery.body) else { return }
            _ = replies.routes.withLock { $0[reply.job] }?.yield(reply)
        })
    }

    /// Starts consuming replies.
    public func start() { consumer.start() }

    /// Stops consuming and closes both connections.
    public func shutdown() async {
        await consumer.stop()
        await publisher.close()
    }

    public func submit(_ job: ChatJob) async throws -> AsyncStream<ChatJobReply> {
        let (connected, error) = consumer.status
        guard connected else { throw unavailable(error ?? "not connected yet") }
        let body = try job.encoded()
        let (stream, continuation) = AsyncStream<ChatJobReply>.makeStream()
        // Registered before publishing: a fast worker's first reply cannot arrive unheard.
        replies.routes.withLock { $0[job.id] = continuation }
        let replies = self.replies
        continuation.onTermination = { _ in _ = replies.routes.withLock { $0.removeValue(forKey: job.id) } }
        let settings = self.settings
        let maxDepth = self.maxDepth
        let replyQueue = self.replyQueue
        let outcome: Result<Int?, AMQPError>
        do {
            outcome = try await publisher.run { connection -> Result<Int?, AMQPError> in
                if maxDepth > 0 {
                    let waiting = try connection.declareQueue(settings.requestQueue, passive: true).messages
                    if waiting >= maxDepth { return .success(waiting) }
                }
                // A job nobody takes before its requester stops waiting leaves the queue by itself (dead-lettered as
                // `expired`): it neither counts against the depth limit nor reaches a worker started much later.
                let expiration = max(1, Int(job.deadline.timeIntervalSinceNow * 1000))
                let sequence = try connection.publish(routingKey: settings.requestQueue, body: body, properties: AMQPMessageProperties(
                    persistent: true, correlationID: job.id, replyTo: replyQueue, messageID: job.id, expiration: expiration))
                try connection.waitForConfirm(sequence, timeout: settings.timeout)
                return .success(nil)
            }
        } catch {
            continuation.finish()
            throw unavailable("\(error)")
        }
        if case .success(let waiting?) = outcome {
            continuation.finish()
            throw HyperionError(.unavailable, code: "llm_queue_full",
                                message: "the LLM queue holds \(waiting) waiting requests (limit \(maxDepth)); try again shortly", retryAfter: 5)
        }
        return stream
    }

    public func cancel(jobID: String) async {
        let settings = self.settings
        do {
            try await publisher.run { connection in
                // Confirmed, so a connection the broker dropped since it was last used is noticed and the cancellation
                // sent again on a new one.
                let sequence = try connection.publish(exchange: settings.cancelExchange, routingKey: "", body: Data(jobID.utf8),
                                                      properties: AMQPMessageProperties(contentType: "text/plain"))
                try connection.waitForConfirm(sequence, timeout: settings.timeout)
            }
        } catch {
            logger.warning("RabbitMQ: a cancellation could not be sent", metadata: ["job": "\(jobID)", "error": "\(error)"])
        }
    }

    public func status() async throws -> ChatQueueStatus {
        let settings = self.settings
        do {
            let (messages, consumers) = try await publisher.run { try $0.declareQueue(settings.requestQueue, passive: true) }
            return ChatQueueStatus(depth: messages, consumers: consumers)
        } catch {
            throw unavailable("\(error)")
        }
    }

    /// Whether replies can be received, and why not.
    public var replyStatus: (connected: Bool, error: String?) { consumer.status }

    private func unavailable(_ reason: String) -> HyperionError {
        HyperionError(.unavailable, code: "llm_queue_unavailable", message: "the LLM queue (RabbitMQ at \(settings)) cannot be reached: \(reason.prefix(300))")
    }
}

/// Reply streams by job id.
final class ReplyRoutes: Sendable {
    let routes = Mutex<[String: AsyncStream<ChatJobReply>.Continuation]>([:])
}
