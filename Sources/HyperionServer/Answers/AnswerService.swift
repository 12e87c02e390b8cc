import Foundation
import HyperionCore
import HyperionIndex
import HyperionProviders
import HyperionStorage
import Logging

/// Answers questions over a RAG model: retrieve, build the prompt, generate with the model's LLM (or
/// the extractive answerer), map `[n]` markers to citations, and store the query and the session turn.
/// Every query is stored, failed and cancelled ones included.
final class AnswerService: Sendable {
    let store: Store
    let knowledge: KnowledgeService
    /// Configured providers by name.
    let providers: [String: any ChatModel]
    let settings: AnswerSettings
    let metrics: AnswerMetrics
    let logger: Logger
    let prompts: PromptBuilder
    let extractive: ExtractiveAnswerer

    init(store: Store, knowledge: KnowledgeService, providers: [String: any ChatModel], settings: AnswerSettings,
         metrics: AnswerMetrics, logger: Logger) {
        self.store = store
        self.knowledge = knowledge
        self.providers = providers
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
        prompts = PromptBuilder(counter: knowledge.embedder, contextTokens: settings.contextTokens, historyTokens: settings.historyTokens)
        let analyzer = EnglishAnalyzer()
        let embedder = knowledge.embedder
        // Sentence embeddings cost about one embedding per shortlisted sentence (~100 ms a query on 2 cores),
        // so they are opt-in; without them the passage's retrieval rank stands for its semantic match.
        var similarity: ExtractiveAnswerer.Similarity?
        if settings.extractiveSimilarity {
            similarity = { @Sendable (question: String, sentences: [String]) async throws -> [Float] in
                // One batch: the question and the shortlisted sentences; vectors are unit length.
                let vectors = try await embedder.embed([question] + sentences, purpose: .query)
                let q = vectors[0]
                return vectors.dropFirst().map { v in zip(q, v).reduce(Float(0)) { $0 + $1.0 * $1.1 } }
            }
        }
        extractive = ExtractiveAnswerer(terms: { analyzer.terms($0) }, similarity: similarity)
    }

    /// What a query asks.
    struct QueryInput: Sendable {
        var modelID: UUID
        var query: String
        var topK: Int?
        var mode: RetrievalMode?
        var filter: SearchFilter
        var metadata: [String: JSONValue]
        var sessionID: UUID?
        var caller: User
        /// Earlier turns given with the request (OpenAI-style clients send the whole conversation).
        var history: [ChatMessage] = []
        /// Overrides of the RAG model's generation settings.
        var options = GenerationOptions()
    }

    /// A query after retrieval, ready to generate.
    struct Prepared: Sendable {
        var record: QueryRecord
        var chat: (any ChatModel)?
        var messages: [ChatMessage]
        var sources: [SourcePassage]
        var options: GenerationOptions
        var started: ContinuousClock.Instant
    }

    /// One step of an answer.
    enum Event: Sendable {
        /// Retrieval is done: the stored query (running) with its sources.
        case sources(QueryRecord)
        case delta(String)
        case citations([SourceReference])
        /// The stored query, finished.
        case done(QueryRecord)
    }

    /// The chat model for a RAG model: its own provider, else the default one; nil means extractive.
    func chatModel(for model: RAGModel) throws -> (any ChatModel)? {
        guard let name = model.llm.provider ?? settings.defaultProvider, name != AnswerSettings.extractive else { return nil }
        guard let provider = providers[name] else {
            throw HyperionError(.unavailable, code: "provider_not_configured",
                                message: "the RAG model uses LLM provider '\(name)', which is not configured on this server")
        }
        return provider
    }

    /// Validates, retrieves and stores the running query. Everything that can be the caller's fault
    /// fails here, before a stream starts.
    func prepare(_ input: QueryInput) async throws -> Prepared {
        let started = ContinuousClock.now
        _ = try Question(input.query)
        let model = try await knowledge.visibleModel(input.modelID, caller: input.caller)
        try input.options.validate()
        var history = input.history
        if let sessionID = input.sessionID {
            let session = try await visibleSession(sessionID, caller: input.caller)
            guard session.modelID == model.id else {
                throw HyperionError.invalid("session_id", "the session belongs to another RAG model")
            }
            history = try await store.sessions.recentMessages(sessionID: sessionID, limit: 20).map { ChatMessage(role: $0.role, content: $0.content) } + history
        }
        let chat = try chatModel(for: model)
        let retrievalQuery = await standaloneQuestion(input.query, history: history, chat: chat, model: model)
        let k = input.topK ?? model.retrieval.topK
        let mode = input.mode ?? model.retrieval.mode
        let retrievalStart = ContinuousClock.now
        let hits = try await knowledge.search(modelID: model.id, query: retrievalQuery, topK: k, mode: mode, filter: input.filter,
                                              metadata: input.metadata, caller: input.caller)
        let retrievalTime = ContinuousClock.now - retrievalStart
        metrics.retrieval.record(retrievalTime)
        var sources = hits.enumerated().map { index, hit in
            SourcePassage(n: index + 1, chunkID: hit.chunk.id.lowercasedString, documentID: hit.chunk.documentID.lowercasedString,
                          title: hit.documentTitle, page: hit.chunk.page, headingPath: hit.chunk.headingPath, text: hit.chunk.text, score: hit.item.score)
        }
        var messages: [ChatMessage] = []
        if chat != nil {
            let prompt = prompts.build(question: input.query, sources: sources, history: history, systemPrompt: model.llm.systemPrompt)
            messages = prompt.messages
            sources = prompt.sources
        }
        let record = QueryRecord(
            userID: input.caller.id, modelID: model.id, sessionID: input.sessionID, query: input.query,
            retrievalQuery: retrievalQuery == input.query ? nil : retrievalQuery, provider: chat?.providerName,
            llmModel: chat.map { model.llm.model ?? $0.defaultModel ?? "" }, mode: mode, topK: k, sources: sources.map(SourceReference.init),
            retrievalMilliseconds: retrievalTime.milliseconds
        )
        try await store.queries.create(record)
        let options = GenerationOptions(temperature: input.options.temperature ?? model.llm.temperature, topP: input.options.topP,
                                        maxTokens: min(input.options.maxTokens ?? settings.maxAnswerTokens, settings.maxAnswerTokens))
        return Prepared(record: record, chat: chat, messages: messages, sources: sources, options: options, started: started)
    }

    /// The question retrieval should use: a follow-up rewritten to stand alone by the LLM, or without one,
    /// a short follow-up joined to the previous question. Falls back to the question as asked.
    func standaloneQuestion(_ question: String, history: [ChatMessage], chat: (any ChatModel)?, model: RAGModel) async -> String {
        guard let previous = history.last(where: { $0.role == .user })?.content else { return question }
        if let chat {
            let request = ChatRequest(model: model.llm.model, messages: prompts.rewriteRequest(question: question, history: history),
                                      options: GenerationOptions(temperature: 0, maxTokens: 128))
            do {
                let rewritten = try await chat.complete(request).text.trimmingCharacters(in: .whitespacesAndNewlines)
                if Question.isUsable(rewritten) { return rewritten }
            } catch {
                logger.warning("follow-up rewrite failed; retrieving with the question as asked", metadata: ["error": "\(error)"])
            }
            return question
        }
        guard extractive.terms(question).count < 4 else { return question }
        return Question.clipped(previous + " " + question)
    }

    /// Generates the answer of a prepared query, streaming its steps; the stored query is finished
    /// (completed, failed or cancelled) before the stream ends.
    func run(_ prepared: Prepared) -> AsyncThrowingStream<Event, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: Event.self)
        let task = Task {
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
                record = await finish(record, status: .completed, error: nil, generationStart: generationStart, started: prepared.started)
                continuation.yield(.done(record))
                continuation.finish()
            } catch let error as ProviderError {
                metrics.providerError(provider: error.provider, kind: error.kind.rawValue)
                _ = await finish(record, status: .failed, error: error.asHyperionError.message, generationStart: generationStart, started: prepared.started)
                continuation.finish(throwing: error.asHyperionError)
            } catch {
                let cancelled = Task.isCancelled || error is CancellationError
                _ = await finish(record, status: cancelled ? .cancelled : .failed, error: cancelled ? nil : "\(error)",
                                 generationStart: generationStart, started: prepared.started)
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Stores the outcome (in a task of its own, so a cancelled request still records it) and the session turn.
    private func finish(_ record: QueryRecord, status: QueryStatus, error: String?, generationStart: ContinuousClock.Instant,
                        started: ContinuousClock.Instant) async -> QueryRecord {
        var record = record
        record.status = status
        record.error = error
        record.finishedAt = Date()
        let generationTime = ContinuousClock.now - generationStart
        record.generationMilliseconds = generationTime.milliseconds
        metrics.generation.record(generationTime)
        metrics.total.record(ContinuousClock.now - started)
        metrics.query(status: status.rawValue)
        if let usage = record.usage, let provider = record.provider {
            metrics.tokens(provider: provider, prompt: usage.promptTokens, completion: usage.completionTokens)
        }
        let final = record
        let store = self.store
        let logger = self.logger
        await Task {
            do {
                try await store.queries.update(final)
                if let sessionID = final.sessionID, status == .completed {
                    try await store.sessions.append([
                        SessionMessage(sessionID: sessionID, role: .user, content: final.query, queryID: final.id, createdAt: final.createdAt),
                        SessionMessage(sessionID: sessionID, role: .assistant, content: final.answer, queryID: final.id),
                    ], to: sessionID)
                }
            } catch {
                logger.error("could not store the outcome of a query", metadata: ["query_id": "\(final.id)", "error": "\(error)"])
            }
        }.value
        return final
    }

    // MARK: queries and sessions

    /// A stored query the caller may read: their own, or any for an admin.
    func visibleQuery(_ id: UUID, caller: User) async throws -> QueryRecord {
        guard let query = try await store.queries.find(id: id), query.userID == caller.id || caller.role == .admin else {
            throw HyperionError.notFound("query")
        }
        return query
    }

    /// A session of the caller's (admins see all).
    func visibleSession(_ id: UUID, caller: User) async throws -> ChatSession {
        guard let session = try await store.sessions.find(id: id), session.userID == caller.id || caller.role == .admin else {
            throw HyperionError.notFound("session")
        }
        return session
    }

    func createSession(modelID: UUID, title: String?, caller: User) async throws -> ChatSession {
        let model = try await knowledge.visibleModel(modelID, caller: caller)
        let title = try Self.validTitle(title) ?? "New conversation"
        let session = ChatSession(userID: caller.id, modelID: model.id, title: title)
        try await store.sessions.create(session)
        return session
    }

    /// One page of stored queries: a user's (or everyone's when `userID` is nil), optionally of one model or session.
    func listQueries(userID: UUID?, modelID: UUID?, sessionID: UUID?, page: PageRequest) async throws -> Page<QueryRecord> {
        try await store.queries.list(userID: userID, modelID: modelID, sessionID: sessionID, page: page)
    }

    /// One page of the caller's sessions, optionally of one model.
    func listSessions(caller: User, modelID: UUID?, page: PageRequest) async throws -> Page<ChatSession> {
        try await store.sessions.list(userID: caller.id, modelID: modelID, page: page)
    }

    /// Renames a session of the caller's (no title: unchanged).
    func renameSession(_ id: UUID, title: String?, caller: User) async throws -> ChatSession {
        let session = try await visibleSession(id, caller: caller)
        try await store.sessions.rename(id: session.id, title: try Self.validTitle(title) ?? session.title)
        return try await store.sessions.find(id: session.id) ?? session
    }

    /// Deletes a session of the caller's with its messages.
    func deleteSession(_ id: UUID, caller: User) async throws {
        let session = try await visibleSession(id, caller: caller)
        _ = try await store.sessions.delete(id: session.id)
    }

    /// One page of a session's messages, oldest first.
    func messages(ofSession id: UUID, caller: User, page: PageRequest) async throws -> Page<SessionMessage> {
        let session = try await visibleSession(id, caller: caller)
        return try await store.sessions.messages(sessionID: session.id, page: page)
    }

    static func validTitle(_ title: String?) throws -> String? {
        guard let title else { return nil }
        let trimmed = title.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...200).contains(trimmed.count) else { throw HyperionError.invalid("title", "must be 1 to 200 characters") }
        return trimmed
    }

    // MARK: plain generation

    /// Which LLM models a plain user may name.
    var modelPolicy: ModelPolicy? { knowledge.modelPolicy }

    /// The provider for a plain generation: the named one, else the default.
    func provider(named name: String?) throws -> any ChatModel {
        guard let name = name ?? settings.defaultProvider else {
            throw HyperionError(.validation, code: "no_provider", message: "provider: no LLM provider is configured (see llm.providers)", field: "provider")
        }
        guard let provider = providers[name] else {
            let known = providers.keys.sorted().joined(separator: ", ")
            throw HyperionError.invalid("provider", "'\(name)' is not configured\(known.isEmpty ? " (none are)" : "; configured: \(known)")")
        }
        return provider
    }

    /// Each provider with its models, or why it cannot be reached (checked at once, at most `timeout` each).
    func providerStatus(timeout: Duration = .seconds(3)) async -> [(name: String, kind: String, defaultModel: String?, models: [String]?, error: String?)] {
        await withTaskGroup(of: (String, [String]?, String?).self) { group in
            for (name, provider) in providers {
                group.addTask {
                    await withTaskGroup(of: (String, [String]?, String?)?.self) { race in
                        race.addTask {
                            do { return (name, try await provider.availableModels(), nil) } catch { return (name, nil, "\(error)") }
                        }
                        race.addTask {
                            try? await Task.sleep(for: timeout)
                            return Task.isCancelled ? nil : (name, nil, "provider '\(name)': no answer within \(timeout.components.seconds) s")
                        }
                        let first = await race.next() ?? nil
                        race.cancelAll()
                        return first ?? (name, nil, "no answer")
                    }
                }
            }
            var results: [String: ([String]?, String?)] = [:]
            for await (name, models, error) in group { results[name] = (models, error) }
            return providers.keys.sorted().map { name in
                let kind = settings.providers.first { $0.name == name }?.kind.rawValue ?? "in-process"
                return (name, kind, providers[name]?.defaultModel, results[name]?.0, results[name]?.1)
            }
        }
    }
}

extension Duration {
    /// Whole and fractional milliseconds.
    var milliseconds: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
}
