import Foundation
import HyperionCore
import Synchronization

/// One fresh LLM work queue for a check of ``ChatJobQueueConformance``: its broker side, a way to connect workers,
/// to lose one (a crash: its connection drops with deliveries unsettled), to read the dead-letter queue, and to queue
/// a raw message body (poison).
public struct ChatJobQueueParts: Sendable {
    public var broker: any ChatJobBroker
    public var worker: @Sendable () async throws -> any ChatJobSource
    public var lose: @Sendable (any ChatJobSource) async -> Void
    public var deadLetters: @Sendable () async throws -> [Data]
    public var submitRaw: @Sendable (Data, String) async throws -> AsyncStream<ChatJobReply>
    /// Deliveries of one message after which the queue dead-letters it instead.
    public var deliveryLimit: Int

    /// Creates the parts.
    public init(broker: any ChatJobBroker, worker: @escaping @Sendable () async throws -> any ChatJobSource,
                lose: @escaping @Sendable (any ChatJobSource) async -> Void, deadLetters: @escaping @Sendable () async throws -> [Data],
                submitRaw: @escaping @Sendable (Data, String) async throws -> AsyncStream<ChatJobReply>, deliveryLimit: Int) {
        self.broker = broker
        self.worker = worker
        self.lose = lose
        self.deadLetters = deadLetters
        self.submitRaw = submitRaw
        self.deliveryLimit = deliveryLimit
    }
}

/// Makes a fresh queue per check.
public struct ChatJobQueueHarness: Sendable {
    let make: @Sendable () async throws -> ChatJobQueueParts

    /// A harness over a factory of fresh queues.
    public init(make: @escaping @Sendable () async throws -> ChatJobQueueParts) { self.make = make }
}

/// What every LLM work queue (``ChatJobBroker`` with its ``ChatJobSource``) must do: jobs reach a worker and their
/// replies come back in order; what a lost worker held is delivered again, marked so; dead-lettered messages are
/// never delivered again and a message that keeps taking workers down is dead-lettered after the delivery limit;
/// prefetch bounds what one worker holds; cancellations reach every worker; the status counts waiting jobs and
/// workers. Waits are generous: the suites share two cores with every other test.
public enum ChatJobQueueConformance {
    public static let checks: [ConformanceCheck<ChatJobQueueHarness>] = [
        .init("a job reaches a worker and its replies come back in order") { harness in
            let parts = try await harness.make()
            let source = try await parts.worker()
            let deliveries = Collector(source.deliveries(prefetch: 4))
            let job = Self.job("hello")
            let replies = Collector(try await parts.broker.submit(job))
            let delivery = try await deliveries.next("the job's delivery")
            try expectEqual(try ChatJob.decode(delivery.body), job, "the delivered job")
            try expect(!delivery.redelivered, "a first delivery is not marked redelivered")
            let texts = (0..<25).map { "piece \($0) " }
            try await source.reply(ChatJobReply(job: job.id, attempt: "a", kind: .started, redelivered: false), to: delivery.replyTo)
            for text in texts { try await source.reply(ChatJobReply(job: job.id, attempt: "a", kind: .delta, text: text), to: delivery.replyTo) }
            try await source.reply(ChatJobReply(job: job.id, attempt: "a", kind: .finished, reason: "stop"), to: delivery.replyTo)
            delivery.settle(.acknowledge)
            try expectEqual(try await replies.next("started").kind, .started, "first reply")
            var heard: [String] = []
            for _ in texts { heard.append(try await replies.next("a delta").text ?? "") }
            try expectEqual(heard, texts, "the deltas, in order")
            let last = try await replies.next("finished")
            try expectEqual(last.kind, .finished, "last reply")
            try expectEqual(last.reason, "stop", "finish reason")
            await parts.lose(source)
        },
        .init("what a lost worker held goes to another worker, marked redelivered") { harness in
            let parts = try await harness.make()
            let first = try await parts.worker()
            let firstDeliveries = Collector(first.deliveries(prefetch: 1))
            let job = Self.job("survive")
            _ = try await parts.broker.submit(job)
            let taken = try await firstDeliveries.next("the first delivery")
            try expectEqual(try ChatJob.decode(taken.body).id, job.id, "first worker's job")
            await parts.lose(first)
            let second = try await parts.worker()
            let secondDeliveries = Collector(second.deliveries(prefetch: 1))
            let again = try await secondDeliveries.next("the redelivery")
            try expectEqual(try ChatJob.decode(again.body).id, job.id, "second worker's job")
            try expect(again.redelivered, "a delivery after a lost worker is marked redelivered")
            again.settle(.acknowledge)
            await parts.lose(second)
        },
        .init("dead-lettered and poison messages land in the dead-letter queue and are not delivered again") { harness in
            let parts = try await harness.make()
            let source = try await parts.worker()
            let deliveries = Collector(source.deliveries(prefetch: 2))
            let poison = Data("{not a job".utf8)
            _ = try await parts.submitRaw(poison, "poison")
            let delivery = try await deliveries.next("the poison delivery")
            try expectEqual(delivery.body, poison, "the poison body")
            delivery.settle(.deadLetter)
            try await eventually("the poison in the dead-letter queue") { try await parts.deadLetters().contains(poison) }
            try await deliveries.expectNothing("a dead-lettered message delivered again")
            await parts.lose(source)
        },
        .init("a message that keeps taking its worker down is dead-lettered after the delivery limit") { harness in
            let parts = try await harness.make()
            let job = Self.job("crash")
            _ = try await parts.broker.submit(job)
            var deliveries = 0
            while deliveries <= parts.deliveryLimit + 1 {
                let source = try await parts.worker()
                let stream = Collector(source.deliveries(prefetch: 1))
                guard let delivery = await stream.next(within: .seconds(3)) else {
                    await parts.lose(source)
                    break
                }
                try expectEqual(try ChatJob.decode(delivery.body).id, job.id, "the delivered job")
                deliveries += 1
                await parts.lose(source)
            }
            try expectEqual(deliveries, parts.deliveryLimit + 1, "deliveries before the message was dead-lettered (limit \(parts.deliveryLimit))")
            try await eventually("the job in the dead-letter queue") {
                try await parts.deadLetters().contains { (try? ChatJob.decode($0).id) == job.id }
            }
        },
        .init("a job nobody takes before its deadline leaves the queue, dead-lettered") { harness in
            let parts = try await harness.make()
            let job = ChatJob(provider: "scripted", request: ChatRequest(messages: [ChatMessage(role: .user, content: "late")]),
                              deadline: Date().addingTimeInterval(0.5))
            _ = try await parts.broker.submit(job)
            try await eventually("the expired job gone from the queue") { try await parts.broker.status().depth == 0 }
            try await eventually("the expired job in the dead-letter queue") {
                try await parts.deadLetters().contains { (try? ChatJob.decode($0).id) == job.id }
            }
            let source = try await parts.worker()
            let deliveries = Collector(source.deliveries(prefetch: 1))
            try await deliveries.expectNothing("an expired job delivered to a worker started later")
            await parts.lose(source)
        },
        .init("prefetch bounds what one worker holds; requeue delivers again") { harness in
            let parts = try await harness.make()
            let source = try await parts.worker()
            let deliveries = Collector(source.deliveries(prefetch: 1))
            let jobs = [Self.job("one"), Self.job("two")]
            for job in jobs { _ = try await parts.broker.submit(job) }
            let first = try await deliveries.next("the first delivery")
            try await deliveries.expectNothing("a second delivery beyond prefetch 1")
            first.settle(.requeue)
            let again = try await deliveries.next("a delivery after the requeue")
            again.settle(.acknowledge)
            let other = try await deliveries.next("the next delivery")
            other.settle(.acknowledge)
            let ids = Set([again, other].compactMap { try? ChatJob.decode($0.body).id })
            try expectEqual(ids, Set(jobs.map(\.id)), "both jobs delivered")
            await parts.lose(source)
        },
        .init("cancellations reach every worker") { harness in
            let parts = try await harness.make()
            let a = try await parts.worker()
            let b = try await parts.worker()
            let onA = Collector(a.cancellations())
            let onB = Collector(b.cancellations())
            // Cancellations are heard once a worker consumes.
            _ = a.deliveries(prefetch: 1)
            _ = b.deliveries(prefetch: 1)
            try await eventually("two workers consuming") { try await parts.broker.status().consumers == 2 }
            await parts.broker.cancel(jobID: "job-to-stop")
            try expectEqual(try await onA.next("a's cancellation"), "job-to-stop", "a heard")
            try expectEqual(try await onB.next("b's cancellation"), "job-to-stop", "b heard")
            await parts.lose(a)
            await parts.lose(b)
        },
        .init("the status counts waiting jobs and consuming workers") { harness in
            let parts = try await harness.make()
            for text in ["a", "b", "c"] { _ = try await parts.broker.submit(Self.job(text)) }
            try await eventually("three jobs waiting, no worker") { try await parts.broker.status() == ChatQueueStatus(depth: 3, consumers: 0) }
            let source = try await parts.worker()
            let deliveries = Collector(source.deliveries(prefetch: 1))
            _ = try await deliveries.next("a delivery")
            try await eventually("two waiting, one worker") { try await parts.broker.status() == ChatQueueStatus(depth: 2, consumers: 1) }
            await parts.lose(source)
        },
    ]

    static func job(_ text: String) -> ChatJob {
        ChatJob(provider: "scripted", request: ChatRequest(messages: [ChatMessage(role: .user, content: text)]), deadline: Date().addingTimeInterval(60))
    }

    /// Waits until `condition` holds (at most a minute: the suites share two cores with every other test, and a task
    /// that was not scheduled for a while must not read as a failure; it is asked once more after the deadline).
    static func eventually(_ what: String, line: UInt = #line, _ condition: @Sendable () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            if (try? await condition()) == true { return }
            if ContinuousClock.now >= deadline { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ConformanceFailure(message: "\(what): not within 60 s", line: line)
    }
}

/// Reads a stream in the background so a check can wait for its next element with a time limit, or make sure none
/// comes, without cancelling the stream itself.
final class Collector<Element: Sendable>: Sendable {
    private struct State {
        var buffer: [Element] = []
        var ended = false
    }

    private let reader: Task<Void, Never>

    init(_ stream: AsyncStream<Element>) {
        let box = StateBox()
        self.box = box
        reader = Task {
            for await element in stream { box.state.withLock { $0.buffer.append(element) } }
            box.state.withLock { $0.ended = true }
        }
    }

    deinit { reader.cancel() }

    /// The next element, or nil when none came within `limit` or the stream ended.
    func next(within limit: Duration) async -> Element? {
        let deadline = ContinuousClock.now + limit
        while true {
            let (element, ended): (Element?, Bool) = box.state.withLock {
                $0.buffer.isEmpty ? (nil, $0.ended) : ($0.buffer.removeFirst(), false)
            }
            if let element { return element }
            if ended || ContinuousClock.now >= deadline { return nil }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The next element, or a failure after a minute.
    func next(_ what: String, line: UInt = #line) async throws -> Element {
        guard let element = await next(within: .seconds(60)) else { throw ConformanceFailure(message: "\(what): nothing within 60 s", line: line) }
        return element
    }

    /// Fails if an element comes within a second.
    func expectNothing(_ what: String, line: UInt = #line) async throws {
        if await next(within: .seconds(1)) != nil { throw ConformanceFailure(message: "\(what): it came", line: line) }
    }

    private let box: StateBox

    private final class StateBox: Sendable {
        let state = Mutex(State())
    }
}
