import Foundation
import Synchronization

/// The in-memory twin of an LLM work queue: the broker side (``ChatJobBroker``) and any number of workers
/// (``worker()``, each a ``ChatJobSource``) in one process, with the semantics the RabbitMQ queue has: prefetch,
/// redelivery of what a lost worker held, a dead-letter list, a delivery limit, cancellations broadcast to every
/// worker, a depth limit.
public final class InMemoryChatJobQueue: ChatJobBroker, Sendable {
    struct Message {
        var tag: Int
        var body: Data
        var replyTo: String
        var deliveries: Int
        /// When it leaves the queue untaken (the job's deadline), as a RabbitMQ per-message expiration.
        var expires: Date?
    }

    struct State {
        var nextTag = 0
        var ready: [Message] = []
        var unsettled: [Int: (message: Message, worker: Int)] = [:]
        var deadLetters: [Data] = []
        var replies: [String: AsyncStream<ChatJobReply>.Continuation] = [:]
        var workers: [Int: WorkerState] = [:]
        var nextWorker = 0
    }

    struct WorkerState {
        var prefetch = 0
        var held = 0
        var deliveries: AsyncStream<ChatJobDelivery>.Continuation?
        var cancellations: [AsyncStream<String>.Continuation] = []
    }

    private let state = Mutex(State())
    /// Jobs waiting beyond this make `submit` refuse (503).
    public let maxDepth: Int
    /// Unsuccessful deliveries of one message (its worker lost, or requeued) after which it is dead-lettered instead
    /// of delivered again, as a RabbitMQ quorum queue's `x-delivery-limit`: at most `deliveryLimit + 1` deliveries.
    public let deliveryLimit: Int
    /// The address replies to this broker's jobs go to.
    public let address = "memory-replies"

    /// Creates an empty queue.
    public init(maxDepth: Int = 1000, deliveryLimit: Int = 3) {
        self.maxDepth = maxDepth
        self.deliveryLimit = deliveryLimit
    }

    // MARK: broker side

    public func submit(_ job: ChatJob) async throws -> AsyncStream<ChatJobReply> {
        try submit(body: job.encoded(), jobID: job.id, expires: job.deadline)
    }

    /// Queues a raw message body (tests queue poison this way); returns the replies of `jobID`.
    public func submit(body: Data, jobID: String, expires: Date? = nil) throws -> AsyncStream<ChatJobReply> {
        let (stream, continuation) = AsyncStream<ChatJobReply>.makeStream()
        try state.withLock {
            Self.expire(&$0)
            guard $0.ready.count < maxDepth else {
                throw HyperionError(.unavailable, code: "llm_queue_full", message: "the LLM queue holds \($0.ready.count) waiting requests (limit \(maxDepth)); try again shortly", retryAfter: 5)
            }
            $0.nextTag += 1
            $0.ready.append(Message(tag: $0.nextTag, body: body, replyTo: address, deliveries: 0, expires: expires))
            $0.replies[jobID] = continuation
        }
        continuation.onTermination = { [weak self] _ in _ = self?.state.withLock { $0.replies.removeValue(forKey: jobID) } }
        pump()
        return stream
    }

    public func cancel(jobID: String) async {
        let listeners = state.withLock { $0.workers.values.flatMap(\.cancellations) }
        for listener in listeners { listener.yield(jobID) }
    }

    public func status() async throws -> ChatQueueStatus {
        state.withLock {
            Self.expire(&$0)
            return ChatQueueStatus(depth: $0.ready.count, consumers: $0.workers.values.filter { $0.deliveries != nil }.count)
        }
    }

    /// Moves ready messages past their expiry to the dead-letter list.
    private static func expire(_ state: inout State) {
        let now = Date()
        let (expired, live) = (state.ready.filter { $0.expires.map { $0 < now } ?? false }, state.ready.filter { $0.expires.map { $0 >= now } ?? true })
        guard !expired.isEmpty else { return }
        state.deadLetters += expired.map(\.body)
        state.ready = live
    }

    /// Bodies moved to the dead-letter list, oldest first.
    public var deadLetters: [Data] { state.withLock { $0.deadLetters } }

    // MARK: worker side

    /// A new worker connection.
    public func worker() -> Worker {
        let id = state.withLock {
            $0.nextWorker += 1
            $0.workers[$0.nextWorker] = WorkerState()
            return $0.nextWorker
        }
        return Worker(queue: self, id: id)
    }

    /// One worker's connection to the twin.
    public struct Worker: ChatJobSource {
        let queue: InMemoryChatJobQueue
        let id: Int

        public func deliveries(prefetch: Int) -> AsyncStream<ChatJobDelivery> {
            let (stream, continuation) = AsyncStream<ChatJobDelivery>.makeStream()
            queue.state.withLock {
                $0.workers[id]?.prefetch = max(1, prefetch)
                $0.workers[id]?.deliveries = continuation
            }
            queue.pump()
            return stream
        }

        public func cancellations() -> AsyncStream<String> {
            let (stream, continuation) = AsyncStream<String>.makeStream()
            queue.state.withLock { $0.workers[id]?.cancellations.append(continuation) }
            return stream
        }

        public func reply(_ reply: ChatJobReply, to address: String) async throws {
            let alive = queue.state.withLock { $0.workers[id] != nil }
            guard alive else { throw CancellationError() }
            _ = queue.state.withLock { $0.replies[reply.job] }?.yield(reply)
        }

        public func close() async {
            let continuation = queue.state.withLock { state -> AsyncStream<ChatJobDelivery>.Continuation? in
                defer { state.workers[id]?.deliveries = nil }
                return state.workers[id]?.deliveries
            }
            continuation?.finish()
        }

        /// The worker's connection is lost (a crash): what it held is delivered again, and nothing it sends arrives.
        public func drop() {
            let (deliveries, cancellations) = queue.state.withLock { state -> (AsyncStream<ChatJobDelivery>.Continuation?, [AsyncStream<String>.Continuation]) in
                let worker = state.workers.removeValue(forKey: id)
                let held = state.unsettled.filter { $0.value.worker == id }
                for (tag, entry) in held.sorted(by: { $0.key < $1.key }).reversed() {
                    state.unsettled[tag] = nil
                    state.ready.insert(entry.message, at: 0)
                }
                return (worker?.deliveries, worker?.cancellations ?? [])
            }
            deliveries?.finish()
            cancellations.forEach { $0.finish() }
            queue.pump()
        }
    }

    // MARK: internals

    /// Hands ready messages to workers with room, in turn.
    func pump() {
        var handOut: [(AsyncStream<ChatJobDelivery>.Continuation, ChatJobDelivery)] = []
        state.withLock { state in
            Self.expire(&state)
            while !state.ready.isEmpty {
                guard let (workerID, _) = state.workers.sorted(by: { $0.key < $1.key })
                    .first(where: { $0.value.deliveries != nil && $0.value.held < $0.value.prefetch }) else { break }
                var message = state.ready.removeFirst()
                if message.deliveries > deliveryLimit {
                    state.deadLetters.append(message.body)
                    continue
                }
                message.deliveries += 1
                state.unsettled[message.tag] = (message, workerID)
                state.workers[workerID]?.held += 1
                let tag = message.tag
                let delivery = ChatJobDelivery(body: message.body, replyTo: message.replyTo, redelivered: message.deliveries > 1) { [weak self] settlement in
                    self?.settle(tag: tag, settlement)
                }
                handOut.append((state.workers[workerID]!.deliveries!, delivery))
            }
        }
        for (continuation, delivery) in handOut { continuation.yield(delivery) }
    }

    func settle(tag: Int, _ settlement: ChatJobSettlement) {
        state.withLock { state in
            guard let (message, worker) = state.unsettled.removeValue(forKey: tag) else { return }
            state.workers[worker]?.held -= 1
            switch settlement {
            case .acknowledge: break
            case .deadLetter: state.deadLetters.append(message.body)
            case .requeue: state.ready.insert(message, at: 0)
            }
        }
        pump()
    }
}
