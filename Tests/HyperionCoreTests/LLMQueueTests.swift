import Foundation
@testable import HyperionCore
import Logging
import Synchronization
import Testing

/// The queued chat model and the worker over the in-memory queue: answers, a worker lost mid-answer, retries and
/// the dead-letter queue, poison, cancellation, no worker, backpressure.
@Suite struct LLMQueueTests {
    static let logger: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }()

    /// Streams `words` one by one with a pause between them; counts calls, failures to come and cancellations.
    final class PacedModel: ChatModel, Sendable {
        let providerName = "paced"
        let defaultModel: String? = "paced-1"
        let words: [String]
        let pause: Duration
        let state = Mutex((calls: 0, failuresLeft: 0, cancelled: 0))

        init(words: [String], pause: Duration = .milliseconds(30), failures: Int = 0) {
            self.words = words
            self.pause = pause
            state.withLock { $0.failuresLeft = failures }
        }

        var calls: Int { state.withLock { $0.calls } }
        var cancelled: Int { state.withLock { $0.cancelled } }

        func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatEvent, any Error> {
            let fail = state.withLock { state -> Bool in
                state.calls += 1
                guard state.failuresLeft > 0 else { return false }
                state.failuresLeft -= 1
                return true
            }
            let (stream, continuation) = AsyncThrowingStream<ChatEvent, any Error>.makeStream()
            if fail {
                continuation.finish(throwing: ProviderError(.upstreamStatus, provider: providerName, message: "503 from upstream", status: 503))
                return stream
            }
            let task = Task { [words, pause, self] in
                do {
                    for (index, word) in words.enumerated() {
                        try await Task.sleep(for: pause)
                        continuation.yield(.delta(index == 0 ? word : " " + word))
                    }
                    continuation.yield(.usage(TokenUsage(promptTokens: 3, completionTokens: words.count)))
                    continuation.yield(.finished(reason: "stop"))
                    continuation.finish()
                } catch {
                    self.state.withLock { $0.cancelled += 1 }
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
            return stream
        }
    }

    static let words = (1...12).map { "word\($0)" }
    static let request = ChatRequest(messages: [ChatMessage(role: .user, content: "hi")])

    /// Waits are long: the suites share two cores with every other test, and a starved pool must not read as a timeout.
    static func queued(_ queue: InMemoryChatJobQueue, firstToken: Duration = .seconds(120), total: Duration = .seconds(300)) -> QueuedChatModel {
        QueuedChatModel(providerName: "paced", defaultModel: "paced-1", broker: queue, firstTokenTimeout: firstToken, totalTimeout: total)
    }

    /// Runs a worker on its own connection to the queue; cancel the task and drop the worker to lose it.
    static func runWorker(_ queue: InMemoryChatJobQueue, model: any ChatModel, maxAttempts: Int = 3) -> (InMemoryChatJobQueue.Worker, Task<Void, Never>) {
        let source = queue.worker()
        let worker = ChatJobWorker(source: source, models: { $0 == model.providerName ? model : nil }, concurrency: 2, maxAttempts: maxAttempts,
                                   backoff: .milliseconds(20), logger: logger)
        return (source, Task { await worker.run() })
    }

    /// Waits (up to a minute) until `condition` holds.
    static func eventually(_ condition: @Sendable () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while !condition() && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
    }

    @Test func answersThroughTheQueue() async throws {
        let queue = InMemoryChatJobQueue()
        let model = PacedModel(words: Self.words, pause: .milliseconds(1))
        let (source, task) = Self.runWorker(queue, model: model)
        let completion = try await Self.queued(queue).complete(Self.request)
        #expect(completion.text == Self.words.joined(separator: " "))
        #expect(completion.usage == TokenUsage(promptTokens: 3, completionTokens: 12))
        #expect(completion.finishReason == "stop")
        await source.close()
        await task.value
        #expect(try await queue.status() == ChatQueueStatus(depth: 0, consumers: 0))
    }

    @Test func aWorkerLostMidAnswerIsReplacedAndTheAnswerStaysWhole() async throws {
        let queue = InMemoryChatJobQueue()
        let model = PacedModel(words: Self.words)
        let (first, firstTask) = Self.runWorker(queue, model: model)
        var text = ""
        var lost = false
        for try await event in Self.queued(queue).stream(Self.request) {
            guard case .delta(let piece) = event else { continue }
            text += piece
            if !lost && text.split(separator: " ").count >= 4 {
                // The first worker dies (its connection drops, its work stops); another starts.
                lost = true
                first.drop()
                firstTask.cancel()
                _ = Self.runWorker(queue, model: model)
            }
        }
        #expect(lost)
        #expect(text == Self.words.joined(separator: " "), "each word once, in order")
        #expect(model.calls == 2)
    }

    @Test func retryableProviderErrorsAreRetriedThenDeadLettered() async throws {
        let queue = InMemoryChatJobQueue()
        let flaky = PacedModel(words: ["fine"], pause: .milliseconds(1), failures: 2)
        let (source, task) = Self.runWorker(queue, model: flaky, maxAttempts: 3)
        #expect(try await Self.queued(queue).complete(Self.request).text == "fine")
        #expect(flaky.calls == 3)
        await source.close()
        await task.value

        let failing = PacedModel(words: ["never"], pause: .milliseconds(1), failures: 5)
        _ = Self.runWorker(queue, model: failing, maxAttempts: 2)
        await #expect(throws: ProviderError.self) { _ = try await Self.queued(queue).complete(Self.request) }
        do {
            _ = try await Self.queued(queue).complete(Self.request)
        } catch let error as ProviderError {
            #expect(error.kind == .upstreamStatus && error.status == 503 && error.provider == "paced")
        }
        // The worker settles a job after its last reply: the requester may hear of the failure first.
        try await Self.eventually { queue.deadLetters.count == 2 }
        #expect(queue.deadLetters.count == 2, "both failed jobs dead-lettered")
    }

    @Test func poisonGoesToTheDeadLetterQueueAndTheWorkerGoesOn() async throws {
        let queue = InMemoryChatJobQueue()
        let model = PacedModel(words: ["ok"], pause: .milliseconds(1))
        _ = Self.runWorker(queue, model: model)
        _ = try queue.submit(body: Data("\u{0}garbage".utf8), jobID: "poison")
        #expect(try await Self.queued(queue).complete(Self.request).text == "ok")
        try await Self.eventually { !queue.deadLetters.isEmpty }
        #expect(queue.deadLetters == [Data("\u{0}garbage".utf8)])
    }

    @Test func aCallerThatGoesAwayCancelsTheUpstreamCall() async throws {
        let queue = InMemoryChatJobQueue()
        let model = PacedModel(words: Self.words, pause: .milliseconds(200))
        _ = Self.runWorker(queue, model: model)
        let reader = Task {
            for try await event in Self.queued(queue).stream(Self.request) { if case .delta = event { break } }
        }
        try await reader.value
        // Cancelled, not run to its end (12 words 200 ms apart). How fast, against a real broker and provider, is
        // scripts/queue_checks.py's business (within a second).
        let stopped = ContinuousClock.now
        while model.cancelled == 0 && ContinuousClock.now - stopped < .seconds(60) { try await Task.sleep(for: .milliseconds(10)) }
        #expect(model.cancelled == 1, "the upstream call was cancelled")
    }

    @Test func withNoWorkerTheRequestTimesOutAndALateWorkerDropsIt() async throws {
        let queue = InMemoryChatJobQueue()
        do {
            _ = try await Self.queued(queue, firstToken: .milliseconds(300)).complete(Self.request)
            Issue.record("no error without a worker")
        } catch let error as ProviderError {
            #expect(error.kind == .timeout && error.message.contains("no LLM worker took the request"))
            #expect(error.asHyperionError.kind == .upstreamTimeout)
        }
        let model = PacedModel(words: ["late"], pause: .milliseconds(1))
        let (source, task) = Self.runWorker(queue, model: model)
        try await Task.sleep(for: .milliseconds(300))
        #expect(model.calls == 0, "an expired job is not answered")
        #expect(try await queue.status().depth == 0)
        await source.close()
        await task.value
    }

    @Test func aFullQueueRefusesWithRetryAfter() async throws {
        let queue = InMemoryChatJobQueue(maxDepth: 1)
        let waiting = Task { try await Self.queued(queue).complete(Self.request) }
        while try await queue.status().depth < 1 { try await Task.sleep(for: .milliseconds(5)) }
        do {
            _ = try await Self.queued(queue).complete(Self.request)
            Issue.record("a full queue took another job")
        } catch let error as HyperionError {
            #expect(error.kind == .unavailable && error.code == "llm_queue_full" && error.retryAfter == 5)
        }
        waiting.cancel()
    }
}
