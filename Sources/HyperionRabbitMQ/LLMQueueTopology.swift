/// The queues and exchange of the LLM queue, declared (idempotently) by every connection of either side:
/// - `<prefix>.llm.requests`: a quorum queue (durable, replicated when the broker is a cluster) whose delivery limit
///   dead-letters a job that keeps taking its worker down, instead of looping;
/// - `<prefix>.llm.dead`: where failed, poison and over-delivered jobs end, for an operator to look at;
/// - `<prefix>.llm.cancel`: a fanout exchange; each worker binds a queue of its own to hear cancellations.
struct LLMQueueTopology: Sendable {
    let settings: RabbitMQSettings
    let deliveryLimit: Int

    func declare(on connection: AMQPConnection) throws {
        try connection.declareQueue(settings.deadLetterQueue, durable: true)
        do {
            try connection.declareQueue(settings.requestQueue, durable: true, arguments: [
                ("x-queue-type", .string("quorum")),
                ("x-delivery-limit", .int(Int64(deliveryLimit))),
                ("x-dead-letter-exchange", .string("")),
                ("x-dead-letter-routing-key", .string(settings.deadLetterQueue)),
            ])
        } catch let error as AMQPError where error.code == 406 {
            throw AMQPError(message: "queue \(settings.requestQueue) exists with other settings (another rabbitmq.delivery_limit?): "
                + "delete it, or use another rabbitmq.queue_prefix: \(error.message)", code: 406)
        }
        try connection.declareExchange(settings.cancelExchange, type: "fanout", durable: true)
    }
}
