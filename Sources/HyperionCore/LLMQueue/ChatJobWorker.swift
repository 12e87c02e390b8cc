import Foundation
import Logging
import Synchronization

/// Takes generations from an LLM work queue and answers them with the providers this process knows, streaming each
/// event back to the requester. `hyperion worker` runs one.
///
/// - A delivery is acknowledged only after its last reply (finished or failed) was sent; a worker lost before that
///   leaves it to the queue, which delivers it again (to another worker).
/// - Provider errors that may pass (unreachable, 429, 5xx) are retried with backoff before the first token, up to
///   `maxAttempts`; then the requester gets the error and the job goes to the dead-letter queue.
/// - A message that is not a job (poison) goes to the dead-letter queue at once, unanswered.
/// - A cancelled job (requester gone) stops its upstream call; an expired one (past its deadline) is dropped.
public struct ChatJobWorker: Sendable {
    /// Finds a provider's chat model by name (nil: unknown here).
    public typealias Models = @Sendable (String) async -> (any ChatModel)?

    let source: any ChatJobSource
    let models: Models
    public let concurrency: Int
    let maxAttempts: Int
    let backoff: Duration
    let logger: Logger
    let observer: (any ChatJobObserver)?

    /// Creates a worker taking at most `concurrency` jobs at a time.
    public init(source: any ChatJobSource, models: @escaping Models, concurrency: Int, maxAttempts: Int = 3, backoff: Duration = .milliseconds(500),
                observer: (any ChatJobObserver)? = nil, logger: Logger) {
        self.source = source
        self.models = models
        self.concurrency = max(1, concurrency)
        self.maxAttempts = max(1, maxAttempts)
        self.backoff = backoff
        self.observer = observer
        self.logger = logger
    }

    /// Runs until the source's deliveries end (after ``ChatJobSource/close()``); jobs in hand are finished first.
    public func run() async {
        let running = RunningJobs()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await id in source.cancellations() { running.cancel(id) }
            }
            await withTaskGroup(of: Void.self) { jobs in
                for await delivery in source.deliveries(prefetch: concurrency) {
                    jobs.addTask { await handle(delivery, running: running) }
                }
            }
            group.cancelAll()
        }
    }

    /// Answers one delivery and settles it.
    func handle(_ delivery: ChatJobDelivery, running: RunningJobs) async {
        let job: ChatJob
        do {
            job = try ChatJob.decode(delivery.body)
        } catch {
            logger.warning("LLM queue: a message that is not a job goes to the dead-letter queue", metadata: ["bytes": "\(delivery.body.count)"])
            observer?.jobEnded(provider: nil, outcome: .poison)
            delivery.settle(.deadLetter)
            return
        }
        // A first delivery after the requester's first-token wait, or any after its total wait: nobody listens.
        let now = Date()
        if job.answerBy < now || (!delivery.redelivered && job.deadline < now) {
            logger.info("LLM queue: job expired before a worker took it; dropped", metadata: ["job": "\(job.id)"])
            observer?.jobEnded(provider: job.provider, outcome: .expired)
            delivery.settle(.acknowledge)
            return
        }
        let attempt = UUID().uuidString.lowercased()
        let address = delivery.replyTo
        let send: @Sendable (ChatJobReply) async throws -> Void = { try await source.reply($0, to: address) }
        // A child of the requester's span (its `traceparent` travels in the job), so the provider call below shows in
        // the request's trace.
        let task = Task {
            await Spans.continuing(job.traceParent, "llm queue job", kind: .consumer) { span in
                span.update { attributes in
                    attributes["messaging.operation"] = "process"
                    attributes["hyperion.llm_queue.job"] = job.id
                    attributes["hyperion.llm_queue.redelivered"] = delivery.redelivered
                    attributes["llm.provider"] = job.provider
                }
                let outcome = await answer(job, attempt: attempt, redelivered: delivery.redelivered, send: send)
                span.set("hyperion.llm_queue.outcome", outcome.rawValue)
                if outcome == .failed || outcome == .replyLost { span.fail(message: "job \(outcome.rawValue)") }
                return outcome
            }
        }
        guard running.start(job.id, task) else {
            task.cancel()
            observer?.jobEnded(provider: job.provider, outcome: .cancelled)
            delivery.settle(.acknowledge)
            return
        }
        let began = ContinuousClock.now
        let outcome = await task.value
        running.end(job.id)
        observer?.jobEnded(provider: job.provider, outcome: outcome)
        logger.info("LLM queue: job ended", metadata: [
            "job": "\(job.id)", "provider": "\(job.provider)", "outcome": "\(outcome.rawValue)", "redelivered": "\(delivery.redelivered)",
            "ms": "\(Int((ContinuousClock.now - began).seconds * 1000))",
        ])
        switch outcome {
        case .answered, .cancelled, .expired: delivery.settle(.acknowledge)
        case .failed, .poison: delivery.settle(.deadLetter)
        case .replyLost:
            // The requester's address cannot be reached (broker down): the job is delivered again.
            logger.warning("LLM queue: replies could not be sent; the job goes back to the queue", metadata: ["job": "\(job.id)"])
            delivery.settle(.requeue)
        }
    }

    /// Streams the model's answer to the requester, retrying retryable provider errors before the first token.
    func answer(_ job: ChatJob, attempt: String, redelivered: Bool, send: @Sendable (ChatJobReply) async throws -> Void) async -> ChatJobOutcome {
        do {
            try await send(ChatJobReply(job: job.id, attempt: attempt, kind: .started, redelivered: redelivered))
        } catch {
            return .replyLost
        }
        guard let model = await models(job.provider) else {
            let error = ProviderError(.upstreamStatus, provider: job.provider, message: "the LLM worker does not know provider '\(job.provider.prefix(100))'")
            return (try? await send(ChatJobReply(job: job.id, attempt: attempt, kind: .failed, error: error))) == nil ? .replyLost : .failed
        }
        var tries = 0
        while true {
            tries += 1
            var sentText = false
            do {
                // `.finished` is passed on when the stream ends: some providers send usage after their finish reason.
                var reason: String?
                for try await event in model.stream(job.request) {
                    switch event {
                    case .delta(let text):
                        sentText = true
                        try await send(ChatJobReply(job: job.id, attempt: attempt, kind: .delta, text: text))
                    case .usage(let usage): try await send(ChatJobReply(job: job.id, attempt: attempt, kind: .usage, usage: usage))
                    case .finished(let finish): reason = finish
                    }
                }
                try Task.checkCancellation()
                try await send(ChatJobReply(job: job.id, attempt: attempt, kind: .finished, reason: reason))
                return .answered
            } catch is CancellationError {
                return .cancelled
            } catch let error as ProviderError {
                if Task.isCancelled { return .cancelled }
                if error.isRetryable, !sentText, tries < maxAttempts {
                    let wait = backoff * (1 << min(tries - 1, 10))
                    logger.info("LLM queue: provider failed; retrying", metadata: ["job": "\(job.id)", "provider": "\(job.provider)", "try": "\(tries)", "error": "\(error.message)"])
                    do { try await Task.sleep(for: max(wait, .milliseconds(Int64((error.retryAfter ?? 0) * 1000)))) } catch { return .cancelled }
                    continue
                }
                logger.warning("LLM queue: job failed", metadata: ["job": "\(job.id)", "provider": "\(job.provider)", "tries": "\(tries)", "error": "\(error.message)"])
                return (try? await send(ChatJobReply(job: job.id, attempt: attempt, kind: .failed, error: error))) == nil ? .replyLost : .failed
            } catch {
                if Task.isCancelled { return .cancelled }
                // A reply that could not be sent, or an error that is not the provider's.
                return .replyLost
            }
        }
    }
}

/// How a job ended at a worker.
public enum ChatJobOutcome: String, Sendable, CaseIterable {
    case answered, failed, cancelled, expired, poison
    /// Its replies could not be sent; it stays queued.
    case replyLost = "reply_lost"
}

/// Sees each job a worker ends (for metrics).
public protocol ChatJobObserver: Sendable {
    /// A job ended; `provider` is nil for a message that was not a job.
    func jobEnded(provider: String?, outcome: ChatJobOutcome)
}

/// The jobs a worker is answering, so a cancellation finds them; and recently cancelled ids, so a job cancelled
/// before it arrives is dropped when it does.
final class RunningJobs: Sendable {
    private struct State {
        var running: [String: Task<ChatJobOutcome, Never>] = [:]
        var cancelled: [String: ContinuousClock.Instant] = [:]
    }

    private let state = Mutex(State())

    /// Registers a job; false when it was cancelled already.
    func start(_ id: String, _ task: Task<ChatJobOutcome, Never>) -> Bool {
        state.withLock {
            if $0.cancelled.removeValue(forKey: id) != nil { return false }
            $0.running[id] = task
            return true
        }
    }

    func end(_ id: String) { _ = state.withLock { $0.running.removeValue(forKey: id) } }

    func cancel(_ id: String) {
        let task: Task<ChatJobOutcome, Never>? = state.withLock {
            if let task = $0.running[id] { return task }
            let now = ContinuousClock.now
            // Remembered ten minutes (longer than any first-token wait), at most 10,000 ids.
            if $0.cancelled.count >= 10_000 { $0.cancelled = $0.cancelled.filter { now - $0.value < .seconds(600) } }
            if $0.cancelled.count < 10_000 { $0.cancelled[id] = now }
            return nil
        }
        task?.cancel()
    }
}
