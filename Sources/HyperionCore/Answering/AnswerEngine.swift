import Foundation
import Logging

/// Where queries and conversation turns are kept. The embedded default is the store's query log and sessions.
public protocol QueryLog: Sendable {
    /// Records a query that has just started (status running).
    func started(_ query: QueryRecord) async throws
    /// Records how a query ended and, when it completed inside a session, the session's new turn.
    func finished(_ query: QueryRecord) async throws
}

/// Watches answers as they happen: durations, outcomes, provider failures (Prometheus metrics in the server; a
/// tracer plugs in here too).
public protocol AnswerObserver: Sendable {
    /// Retrieval of one query in `mode` took `duration`.
    func retrieved(in duration: Duration, mode: RetrievalMode)
    /// A query ended; `generation` and `total` are its durations.
    func finished(_ query: QueryRecord, generation: Duration, total: Duration)
    /// An LLM provider failed.
    func providerFailed(_ error: ProviderError)
}

/// One step of an answer.
public enum AnswerEvent: Sendable {
    /// Retrieval is done: the stored query (running) with its sources.
    case sources(QueryRecord)
    /// Generated text.
    case delta(String)
    /// The sources the answer cites.
    case citations([SourceReference])
    /// The stored query, finished.
    case done(QueryRecord)
}

/// Answers a question over retrieved passages: retrieve → prompt → generate (an LLM, or the extractive answerer) →
/// cite, recording the query from start to end. Written against seams only (``ChatModel``, ``QueryLog``,
/// ``AnswerObserver`` and a retrieval function), so it knows nothing of HTTP, SQL or who may see what: the caller
/// checks access and chooses the knowledge base's LLM first.
public struct AnswerEngine: Sendable {
    let prompts: PromptBuilder
    let extractive: ExtractiveAnswerer
    let log: any QueryLog
    let observer: any AnswerObserver
    /// Largest answer asked of an LLM.
    let maxAnswerTokens: Int
    let logger: Logger

    /// Creates an engine.
    public init(prompts: PromptBuilder, extractive: ExtractiveAnswerer, log: any QueryLog, observer: any AnswerObserver,
                maxAnswerTokens: Int, logger: Logger) {
        self.prompts = prompts
        self.extractive = extractive
        self.log = log
        self.observer = observer
        self.maxAnswerTokens = maxAnswerTokens
        self.logger = logger
    }

    /// What to answer.
    public struct Request: Sendable {
        public var question: Question
        public var knowledgeBase: KnowledgeBase
        /// The knowledge base's LLM; nil answers extractively.
        public var chat: (any ChatModel)?
        /// Earlier turns, oldest first.
        public var history: [ChatMessage]
        public var userID: UUID
        public var sessionID: UUID?
        public var topK: Int
        public var mode: RetrievalMode
        /// Overrides of the knowledge base's generation settings.
        public var options: GenerationOptions

        /// Creates a request.
        public init(question: Question, knowledgeBase: KnowledgeBase, chat: (any ChatModel)?, history: [ChatMessage], userID: UUID,
                    sessionID: UUID?, topK: Int, mode: RetrievalMode, options: GenerationOptions) {
            self.question = question
            self.knowledgeBase = knowledgeBase
            self.chat = chat
            self.history = history
            self.userID = userID
            self.sessionID = sessionID
            self.topK = topK
            self.mode = mode
            self.options = options
        }
    }

    /// A query after retrieval, recorded as running, ready to generate.
    public struct Prepared: Sendable {
        public var record: QueryRecord
        var chat: (any ChatModel)?
        var messages: [ChatMessage]
        var sources: [SourcePassage]
        var options: GenerationOptions
        var started: ContinuousClock.Instant
        /// The query's span, from retrieval to the stored outcome.
        var span: SpanHandle
    }

    /// Retrieves with `retrieve(question, k, mode)`, builds the prompt and records the running query. Everything
    /// that can be the caller's fault fails here, before a stream starts.
    public func prepare(_ request: Request,
                        retrieve: @Sendable (_ question: String, _ k: Int, _ mode: RetrievalMode) async throws -> [ScoredChunk]) async throws -> Prepared {
        // Ended when the outcome is stored (``run(_:)``), or here when preparing fails.
        let span = Spans.start("query", .chain)
        span.update { attributes in
            attributes[OpenInference.userID] = request.userID.lowercasedString
            attributes[OpenInference.sessionID] = request.sessionID?.lowercasedString
            attributes["hyperion.knowledge_base.id"] = request.knowledgeBase.id.lowercasedString
            attributes["hyperion.retrieval.mode"] = request.mode.rawValue
            attributes["hyperion.top_k"] = request.topK
            if span.recordsContent { attributes[OpenInference.inputValue] = request.question.text }
        }
        do {
            return try await span.bind { try await prepare(request, span: span, retrieve: retrieve) }
        } catch {
            span.fail(error)
            span.end()
            throw error
        }
    }

    private func prepare(_ request: Request, span: SpanHandle,
                         retrieve: @Sendable (_ question: String, _ k: Int, _ mode: RetrievalMode) async throws -> [ScoredChunk]) async throws -> Prepared {
        let started = ContinuousClock.now
        let question = request.question.text
        let retrievalQuery = await standaloneQuestion(question, history: request.history, chat: request.chat, knowledgeBase: request.knowledgeBase)
        let retrievalStart = ContinuousClock.now
        let hits = try await retrieve(retrievalQuery, request.topK, request.mode)
        let retrievalTime = ContinuousClock.now - retrievalStart
        observer.retrieved(in: retrievalTime, mode: request.mode)
        var sources = hits.enumerated().map { index, hit in
            SourcePassage(n: index + 1, chunkID: hit.chunk.id.lowercasedString, documentID: hit.chunk.documentID.lowercasedString,
                          title: hit.documentTitle, page: hit.chunk.page, headingPath: hit.chunk.headingPath, text: hit.chunk.text, score: hit.item.score)
        }
        var messages: [ChatMessage] = []
        if request.chat != nil {
            let prompt = await Spans.run("prompt") { span in
                let prompt = prompts.build(question: question, sources: sources, history: request.history, systemPrompt: request.knowledgeBase.llm.systemPrompt)
                span.update { attributes in
                    attributes["hyperion.prompt.messages"] = prompt.messages.count
                    attributes["hyperion.prompt.sources"] = prompt.sources.count
                }
                return prompt
            }
            messages = prompt.messages
            sources = prompt.sources
        }
        let llm = request.knowledgeBase.llm
        let record = QueryRecord(
            userID: request.userID, modelID: request.knowledgeBase.id, sessionID: request.sessionID, query: question,
            retrievalQuery: retrievalQuery == question ? nil : retrievalQuery, provider: request.chat?.providerName,
            llmModel: request.chat.map { llm.model ?? $0.defaultModel ?? "" }, mode: request.mode, topK: request.topK,
            sources: sources.map(SourceReference.init), retrievalMilliseconds: retrievalTime.milliseconds
        )
        try await log.started(record)
        let options = GenerationOptions(temperature: request.options.temperature ?? llm.temperature, topP: request.options.topP,
                                        maxTokens: min(request.options.maxTokens ?? maxAnswerTokens, maxAnswerTokens))
        span.set("hyperion.query.id", record.id.lowercasedString)
        return Prepared(record: record, chat: request.chat, messages: messages, sources: sources, options: options, started: started, span: span)
    }

    /// The question retrieval should use: a follow-up rewritten to stand alone by the LLM, or without one,
    /// a short follow-up joined to the previous question. Falls back to the question as asked.
    public func standaloneQuestion(_ question: String, history: [ChatMessage], chat: (any ChatModel)?, knowledgeBase: KnowledgeBase) async -> String {
        guard let previous = history.last(where: { $0.role == .user })?.content else { return question }
        if let chat {
            let request = ChatRequest(model: knowledgeBase.llm.model, messages: prompts.rewriteRequest(question: question, history: history),
                                      options: GenerationOptions(temperature: 0, maxTokens: 128))
            do {
                let rewritten = try await Spans.run("rewrite follow-up", .chain) { span in
                    let rewritten = try await chat.complete(request).text.trimmingCharacters(in: .whitespacesAndNewlines)
                    if span.keepsContent { span.set(OpenInference.outputValue, rewritten) }
                    return rewritten
                }
                if Question.isUsable(rewritten) { return rewritten }
            } catch {
                logger.warning("follow-up rewrite failed; retrieving with the question as asked", metadata: ["error": "\(error)"])
            }
            return question
        }
        guard extractive.terms(question).count < 4 else { return question }
        return Question.clipped(previous + " " + question)
    }

    /// Generates the answer of a prepared query, streaming its steps; the recorded query is finished (completed,
    /// failed or cancelled) before the stream ends. Cancelling the stream's consumer cancels the generation.
    public func run(_ prepared: Prepared) -> AsyncThrowingStream<AnswerEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: AnswerEvent.self)
        // Started within the query's span, so the LLM call is its child.
        let task = prepared.span.bind { Task {
            var record = prepared.record
            let generationStart = ContinuousClock.now
            continuation.yield(.sources(record))
            do {
                if let chat = prepared.chat {
                    let request = ChatRequest(model: record.llmModel?.isEmpty == false ? record.llmModel : nil, messages: prepared.messages,
                                              options: prepared.options)
                    for try await event in chat.stream(request) {
                        switch event {
                        case .delta(let text):
                            record.answer += text
                            continuation.yield(.delta(text))
                        case .usage(let usage):
                            record.usage = usage
                        case .finished:
                            break
                        }
                    }
                    try Task.checkCancellation()
                } else {
                    let answer = try await extractive.answer(question: record.query, sources: prepared.sources)
                    record.answer = answer.text
                    for (index, line) in answer.text.components(separatedBy: "\n\n").enumerated() {
                        continuation.yield(.delta(index == 0 ? line : "\n\n" + line))
                    }
                }
                let citations = CitationMapper.citations(in: record.answer, sources: prepared.sources).map(SourceReference.init)
                record.citations = citations
                continuation.yield(.citations(citations))
                record = await finish(record, status: .completed, error: nil, generationStart: generationStart, started: prepared.started, span: prepared.span)
                continuation.yield(.done(record))
                continuation.finish()
            } catch let error as ProviderError {
                observer.providerFailed(error)
                _ = await finish(record, status: .failed, error: error.asHyperionError.message, generationStart: generationStart, started: prepared.started, span: prepared.span)
                continuation.finish(throwing: error.asHyperionError)
            } catch {
                let cancelled = Task.isCancelled || error is CancellationError
                _ = await finish(record, status: cancelled ? .cancelled : .failed, error: cancelled ? nil : "\(error)",
                                 generationStart: generationStart, started: prepared.started, span: prepared.span)
                continuation.finish(throwing: error)
            }
        } }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Records the outcome (in a task of its own, so a cancelled request still records it).
    private func finish(_ record: QueryRecord, status: QueryStatus, error: String?, generationStart: ContinuousClock.Instant,
                        started: ContinuousClock.Instant, span: SpanHandle) async -> QueryRecord {
        var record = record
        record.status = status
        record.error = error
        record.finishedAt = Date()
        let generationTime = ContinuousClock.now - generationStart
        record.generationMilliseconds = generationTime.milliseconds
        span.update { attributes in
            attributes["hyperion.query.status"] = status.rawValue
            attributes["hyperion.citations"] = record.citations.count
            if span.recordsContent { attributes[OpenInference.outputValue] = record.answer }
        }
        if status == .failed { span.fail(message: error ?? "the query failed") }
        defer { span.end() }
        observer.finished(record, generation: generationTime, total: ContinuousClock.now - started)
        let final = record
        let (log, logger) = (self.log, self.logger)
        await Task {
            do {
                try await log.finished(final)
            } catch {
                logger.error("could not store the outcome of a query", metadata: ["query_id": "\(final.id)", "error": "\(error)"])
            }
        }.value
        return final
    }
}
