import Foundation
import Synchronization

/// A provider reached through an LLM work queue: each generation is queued as a ``ChatJob`` and the replies of the
/// worker that takes it are streamed back as the provider's own events.
///
/// - No worker answers before `firstTokenTimeout` (none running, all busy): a ``ProviderError`` `.timeout` (504), and the
///   job is cancelled so a worker started later drops it.
/// - The worker is lost mid-answer and the job starts again elsewhere: text already streamed is held against the new
///   attempt and only what goes beyond it is streamed, so the caller sees one whole answer; a new attempt that says
///   something else ends the stream with a clear error instead of a garbled answer.
/// - The caller stops reading (client gone, stop pressed): the job is cancelled at the worker.
public struct QueuedChatModel: ChatModel {
    public let providerName: String
    public let defaultModel: String?
    let base: (any ChatModel)?
    let broker: any ChatJobBroker
    let firstTokenTimeout: Duration
    let totalTimeout: Duration
    let traceParent: @Sendable () -> String?

    /// Creates the model; `base` lists the provider's models (a direct call), when given.
    public init(providerName: String, defaultModel: String?, broker: any ChatJobBroker, firstTokenTimeout: Duration, totalTimeout: Duration,
                base: (any ChatModel)? = nil, traceParent: @escaping @Sendable () -> String? = { nil }) {
        self.providerName = providerName
        self.defaultModel = defaultModel
        self.broker = broker
        self.firstTokenTimeout = firstTokenTimeout
        self.totalTimeout = totalTimeout
        self.base = base
        self.traceParent = traceParent
    }

    public func availableModels() async throws -> [String] {
        if let base { return try await base.availableModels() }
        return defaultModel.map { [$0] } ?? []
    }

    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatEvent, any Error> {
        let job = ChatJob(provider: providerName, request: request, deadline: Date().addingTimeInterval(firstTokenTimeout.seconds),
                          answerBy: Date().addingTimeInterval(totalTimeout.seconds), traceParent: traceParent())
        let (stream, continuation) = AsyncThrowingStream<ChatEvent, any Error>.makeStream()
        let broker = self.broker
        let provider = providerName
        let firstToken = firstTokenTimeout
        let total = totalTimeout
        let done = Atomic<Bool>(false)
        let task = Task {
            do {
                try await Self.follow(job: job, broker: broker, provider: provider, firstTokenTimeout: firstToken, totalTimeout: total, into: continuation)
                done.store(true, ordering: .relaxed)
                continuation.finish()
            } catch {
                done.store(true, ordering: .relaxed)
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in
            task.cancel()
            if !done.load(ordering: .relaxed) { Task { await broker.cancel(jobID: job.id) } }
        }
        return stream
    }

    /// Queues the job and turns its replies into events, within the two timeouts.
    static func follow(job: ChatJob, broker: any ChatJobBroker, provider: String, firstTokenTimeout: Duration, totalTimeout: Duration,
                       into continuation: AsyncThrowingStream<ChatEvent, any Error>.Continuation) async throws {
        let replies = try await Spans.run("llm queue publish", kind: .producer) { span in
            span.set("hyperion.llm_queue.job", job.id)
            return try await broker.submit(job)
        }
        let progress = Progress()
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    var attempt: String?
                    // Text streamed so far, and how much of a new attempt's text has been matched against it.
                    var streamed = ""
                    var replay: Substring?
                    for await reply in replies {
                        try Task.checkCancellation()
                        if reply.kind == .started {
                            attempt = reply.attempt
                            replay = streamed.isEmpty ? nil : Substring(streamed)
                            progress.state.withLock { $0.started = true }
                            continue
                        }
                        guard reply.attempt == attempt else { continue }
                        switch reply.kind {
                        case .started: continue
                        case .delta:
                            var text = Substring(reply.text ?? "")
                            if let pending = replay {
                                let common = min(pending.count, text.count)
                                guard pending.prefix(common) == text.prefix(common) else {
                                    throw ProviderError(.badResponse, provider: provider,
                                                        message: "the worker answering was lost mid-answer and the answer started again differently; ask again")
                                }
                                replay = pending.count > common ? pending.dropFirst(common) : nil
                                text = text.dropFirst(common)
                                if text.isEmpty { continue }
                            }
                            streamed += text
                            progress.state.withLock { $0.firstToken = true }
                            continuation.yield(.delta(String(text)))
                        case .usage:
                            if let usage = reply.usage { continuation.yield(.usage(usage)) }
                        case .finished:
                            if replay != nil {
                                throw ProviderError(.badResponse, provider: provider,
                                                    message: "the worker answering was lost mid-answer and the new answer was shorter; ask again")
                            }
                            continuation.yield(.finished(reason: reply.reason))
                            return
                        case .failed:
                            throw reply.providerError ?? ProviderError(.badResponse, provider: provider, message: "the worker failed without saying why")
                        }
                    }
                    try Task.checkCancellation()
                    throw ProviderError(.unreachable, provider: provider, message: "the LLM queue closed before the answer was complete")
                }
                group.addTask {
                    let clock = ContinuousClock()
                    let start = clock.now
                    try await clock.sleep(until: start + firstTokenTimeout)
                    if !progress.state.withLock({ $0.firstToken }) {
                        let taken = progress.state.withLock { $0.started }
                        throw ProviderError(.timeout, provider: provider, message: taken
                            ? "no first token within \(firstTokenTimeout.seconds) s of queueing the request"
                            : "no LLM worker took the request within \(firstTokenTimeout.seconds) s (is `hyperion worker` running?)")
                    }
                    try await clock.sleep(until: start + totalTimeout)
                    throw ProviderError(.timeout, provider: provider, message: "the answer took longer than \(totalTimeout.seconds) s")
                }
                try await group.next()
                group.cancelAll()
            }
        } catch {
            await broker.cancel(jobID: job.id)
            throw error
        }
    }

    /// Whether a worker took the job and whether text arrived, for the timeouts.
    final class Progress: Sendable {
        struct State {
            var started = false
            var firstToken = false
        }

        let state = Mutex(State())
    }
}
