import Foundation

/// How many jobs wait and how many workers take them.
public struct ChatQueueStatus: Sendable, Hashable {
    /// Jobs in the queue not yet taken by a worker.
    public var depth: Int
    /// Workers consuming the queue.
    public var consumers: Int

    /// Creates a status.
    public init(depth: Int, consumers: Int) {
        self.depth = depth
        self.consumers = consumers
    }
}

/// The requesting side of an LLM work queue: an API instance queues generations and reads the replies of whichever
/// worker takes them.
///
/// Implementations: ``InMemoryChatJobQueue`` (the twin) and the RabbitMQ client in HyperionRabbitMQ; both pass
/// `ChatJobQueueConformance`. A job is durable once `submit` returns; `submit` throws a ``HyperionError`` with
/// kind `.unavailable` when the queue cannot take it (unreachable, or fuller than its limit, with `retryAfter`).
public protocol ChatJobBroker: Sendable {
    /// Queues `job` and returns its replies, in order, until the requester stops reading. Replies of a job nobody
    /// reads any more are dropped.
    func submit(_ job: ChatJob) async throws -> AsyncStream<ChatJobReply>
    /// Tells every worker to stop `jobID` (running or still queued); best effort.
    func cancel(jobID: String) async
    /// The queue's depth and consumers; throws when the queue cannot be reached.
    func status() async throws -> ChatQueueStatus
}

/// What a worker does with a delivery once it is done with it.
public enum ChatJobSettlement: Sendable, Hashable {
    /// Done (answered, failed with its reply sent, cancelled or expired): remove it.
    case acknowledge
    /// Unusable or failed for good: move it to the dead-letter queue, never deliver it again.
    case deadLetter
    /// Not answered here (its replies could not be sent): deliver it again; the queue's delivery limit still counts.
    case requeue
}

/// One job as a worker receives it.
public struct ChatJobDelivery: Sendable {
    /// The message body (a ``ChatJob`` unless the message is poison).
    public var body: Data
    /// Where replies go (the requesting instance's reply address).
    public var replyTo: String
    /// Whether an earlier worker received this message and never settled it.
    public var redelivered: Bool
    /// Settles the delivery; called once.
    public var settle: @Sendable (ChatJobSettlement) -> Void

    /// Creates a delivery.
    public init(body: Data, replyTo: String, redelivered: Bool, settle: @escaping @Sendable (ChatJobSettlement) -> Void) {
        self.body = body
        self.replyTo = replyTo
        self.redelivered = redelivered
        self.settle = settle
    }
}

/// The working side of an LLM work queue: what ``ChatJobWorker`` consumes. A delivery not settled when the worker
/// goes away (crash, lost connection) is delivered again, to this worker or another.
public protocol ChatJobSource: Sendable {
    /// Deliveries, at most `prefetch` unsettled at a time; ends when the source is closed.
    func deliveries(prefetch: Int) -> AsyncStream<ChatJobDelivery>
    /// Job ids whose requesters gave up (broadcast to every worker).
    func cancellations() -> AsyncStream<String>
    /// Sends a reply to a job's requester.
    func reply(_ reply: ChatJobReply, to address: String) async throws
    /// Stops delivering (deliveries end); unsettled deliveries stay with the queue.
    func close() async
}
