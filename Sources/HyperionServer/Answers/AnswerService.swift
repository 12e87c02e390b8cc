import Foundation
import HyperionCore
import HyperionIndex
import HyperionProviders
import HyperionStorage
import Logging
import Synchronization

/// Answers questions over a RAG model: checks who may ask what, picks the model's LLM, and hands the work to the
/// domain's ``AnswerEngine`` (retrieve, prompt, generate, cite, record). Queries and sessions are read here too.
/// Every query is stored, failed and cancelled ones included.
final class AnswerService: Sendable {
    /// Queries generating in this process, with what stops each.
    let running = Mutex<[UUID: @Sendable () -> Void]>([:])
    let store: Store
    let knowledge: KnowledgeService
    /// The LLM providers: configured, and added at run time.
    let providers: ProviderRegistry
    let settings: AnswerSettings
    /// Also counts what plain generation (`/generate`) uses.
    let metrics: AnswerMetrics
    let engine: AnswerEngine
    /// Carries a stop to the instance that runs the query.
    let bus: any ClusterBus

    typealias Prepared = AnswerEngine.Prepared
    typealias Event = AnswerEvent

    init(store: Store, knowledge: KnowledgeService, providers: ProviderRegistry, settings: AnswerSettings,
         metrics: AnswerMetrics, bus: any ClusterBus = LocalClusterBus(), logger: Logger) {
        self.store = store
        self.bus = bus
        self.knowledge = knowledge
        self.providers = providers
        self.settings = settings
        self.metrics = metrics
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
        engine = AnswerEngine(
            prompts: PromptBuilder(counter: embedder, contextTokens: settings.contextTokens, historyTokens: settings.historyTokens),
            extractive: ExtractiveAnswerer(terms: { analyzer.terms($0) }, similarity: similarity),
            log: StoreQueryLog(store: store), observer: metrics, maxAnswerTokens: settings.maxAnswerTokens, logger: logger
        )
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
        /// This question's LLM provider (`extractive` for none) and model, instead of the RAG model's.
        var provider: String?
        var llmModel: String?
    }

    /// The chat model for a RAG model: its own provider, else the default one; nil means extractive.
    func chatModel(for model: KnowledgeBase) throws -> (any ChatModel)? {
        guard let name = model.llm.provider ?? providers.defaultProvider, name != AnswerSettings.extractive else { return nil }
        guard let provider = providers.model(named: name) else {
            throw HyperionError(.unavailable, code: "provider_not_configured",
                                message: "the RAG model uses LLM provider '\(name)', which is not configured on this server")
        }
        return provider
    }

    /// Validates, checks access, retrieves and stores the running query. Everything that can be the caller's
    /// fault fails here, before a stream starts.
    func prepare(_ input: QueryInput) async throws -> Prepared {
        let question = try Question(input.query)
        var model = try await knowledge.visibleModel(input.modelID, caller: input.caller)
        try input.options.validate()
        if input.provider != nil || input.llmModel != nil {
            if let name = input.provider {
                guard name == AnswerSettings.extractive || providers.model(named: name) != nil else {
                    let known = ([AnswerSettings.extractive] + providers.names.sorted()).joined(separator: ", ")
                    throw HyperionError.invalid("provider", "'\(name.prefix(100))' is not a provider of this server; known: \(known)")
                }
                model.llm.provider = name
                if input.llmModel == nil { model.llm.model = nil }
            }
            if let llmModel = input.llmModel { model.llm.model = llmModel.isEmpty ? nil : llmModel }
            try providers.policy.check(model: model.llm.model, provider: model.llm.provider, role: input.caller.role, field: "llm_model")
        }
        var history = input.history
        if let sessionID = input.sessionID {
            let session = try await visibleSession(sessionID, caller: input.caller)
            guard session.modelID == model.id else {
                throw HyperionError.invalid("session_id", "the session belongs to another RAG model")
            }
            history = try await store.sessions.recentMessages(sessionID: sessionID, limit: 20).map { ChatMessage(role: $0.role, content: $0.content) } + history
        }
        let request = AnswerEngine.Request(
            question: question, knowledgeBase: model, chat: try chatModel(for: model), history: history, userID: input.caller.id,
            sessionID: input.sessionID, topK: input.topK ?? model.retrieval.topK, mode: input.mode ?? model.retrieval.mode, options: input.options
        )
        let (knowledge, filter, metadata, caller, modelID) = (self.knowledge, input.filter, input.metadata, input.caller, model.id)
        return try await engine.prepare(request) { query, k, mode in
            try await knowledge.search(modelID: modelID, query: query, topK: k, mode: mode, filter: filter, metadata: metadata, caller: caller)
        }
    }

    /// Generates the answer of a prepared query, streaming its steps (see ``AnswerEngine/run(_:)``). While it runs,
    /// ``stop(_:)`` ends it on request (the stream then fails with `query_stopped`).
    func run(_ prepared: Prepared) -> AsyncThrowingStream<Event, any Error> {
        let id = prepared.record.id
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: Event.self)
        let inner = engine.run(prepared)
        let task = Task { [self] in
            do {
                for try await event in inner { continuation.yield(event) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
            _ = self.running.withLock { $0.removeValue(forKey: id) }
        }
        running.withLock {
            $0[id] = {
                continuation.finish(throwing: HyperionError(.conflict, code: "query_stopped", message: "the query was stopped before its answer was complete"))
                // Ends the engine's stream, which cancels the provider call; the query is stored as cancelled.
                task.cancel()
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Stops a query running in this process; false when it does not run here.
    func stopHere(_ id: UUID) -> Bool {
        guard let stop = running.withLock({ $0.removeValue(forKey: id) }) else { return false }
        stop()
        return true
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
        guard let name = name ?? providers.defaultProvider else {
            throw HyperionError(.validation, code: "no_provider", message: "provider: no LLM provider is configured (see llm.providers)", field: "provider")
        }
        guard let provider = providers.model(named: name) else {
            let known = providers.names.sorted().joined(separator: ", ")
            throw HyperionError.invalid("provider", "'\(name)' is not configured\(known.isEmpty ? " (none are)" : "; configured: \(known)")")
        }
        return provider
    }

    /// Each provider with its models, or why it cannot be reached (checked at once, at most `timeout` each).
    func providerStatus(timeout: Duration = .seconds(3)) async -> [(name: String, kind: String, defaultModel: String?, models: [String]?, error: String?)] {
        let entries = providers.entries
        return await withTaskGroup(of: (String, [String]?, String?).self) { group in
            for (name, entry) in entries {
                let provider = entry.model
                group.addTask {
                    switch await provider.models(within: timeout) {
                    case .success(let models): (name, models, nil)
                    case .failure(let error): (name, nil, "provider '\(name)': \(error.readableMessage)")
                    }
                }
            }
            var results: [String: ([String]?, String?)] = [:]
            for await (name, models, error) in group { results[name] = (models, error) }
            return entries.keys.sorted().map { name in
                (name, entries[name]!.kind, entries[name]?.model.defaultModel, results[name]?.0, results[name]?.1)
            }
        }
    }
}
