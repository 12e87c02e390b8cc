import Foundation
import Hummingbird
import HyperionCore

/// Questions with answers and citations (JSON or SSE), the query history, sessions, plain generation
/// and the LLM provider list, under `/api/v1`.
struct AnswersController {
    let auth: AuthService
    /// Per-caller request budgets of authenticated routes (none unless configured).
    var budgets = RequestBudgets.none
    let answers: AnswerService
    let body: JSONBody

    func addRoutes(to router: Router<AppRequestContext>) {
        let api = router.group("/api/v1").add(middleware: AuthenticationMiddleware(auth: auth)).add(limit: budgets.requests)
        // Routes that may run an LLM count against the LLM budget too.
        let llm = api.group().add(limit: budgets.llm)
        let heartbeat = Duration.seconds(answers.settings.heartbeatSeconds)

        // MARK: query
        llm.post("/query") { request, context in
            let input = try await body.decode(QueryRequest.self, from: request)
            let caller = try context.caller.user
            guard let modelID = UUID(uuidString: input.model_id) else { throw HyperionError.invalid("model_id", "must be a UUID") }
            var sessionID: UUID?
            if let raw = input.session_id {
                guard let id = UUID(uuidString: raw) else { throw HyperionError.invalid("session_id", "must be a UUID") }
                sessionID = id
            }
            if let k = input.top_k { try Question.validate(topK: k) }
            let prepared = try await answers.prepare(.init(
                modelID: modelID, query: input.query, topK: input.top_k, mode: try SettingsInput.mode(input.mode, field: "mode"),
                filter: try input.filters?.searchFilter() ?? SearchFilter(), metadata: input.filters?.metadata ?? [:],
                sessionID: sessionID, caller: caller, provider: input.provider, llmModel: input.llm_model
            ))
            let events = answers.run(prepared)
            guard input.stream == true || ServerSentEvents.wanted(request) else {
                var final: QueryRecord?
                for try await event in events { if case .done(let record) = event { final = record } }
                return try QueryResponse(final ?? prepared.record).response(from: request, context: context)
            }
            let requestID = context.requestID
            return ServerSentEvents.response(heartbeat: heartbeat) { sink in
                do {
                    for try await event in events {
                        switch event {
                        case .sources(let record):
                            sink.send("sources", json: SourcesEvent(query_id: record.id.lowercasedString, sources: record.sources.map(SourceDTO.init),
                                                                    retrieval_ms: record.retrievalMilliseconds))
                        case .delta(let text):
                            sink.send("delta", json: DeltaEvent(text: text))
                        case .citations(let citations):
                            sink.send("citations", json: CitationsEvent(citations: citations.map(SourceDTO.init)))
                        case .done(let record):
                            sink.send("done", json: DoneEvent(record))
                        }
                    }
                } catch {
                    sink.send("error", json: ErrorEnvelope.from(error, requestID: requestID))
                }
            }
        }
        // A stop that lands on another instance than the stream reaches it through the cluster bus.
        api.post("/query/:id/stop") { _, context in
            let query = try await answers.visibleQuery(try context.uuidParameter("id"), caller: try context.caller.user)
            guard query.status == .running else {
                throw HyperionError(.conflict, code: "query_finished", message: "the query is no longer running (\(query.status.rawValue))")
            }
            if !answers.stopHere(query.id) { await answers.bus.publish(.stopQuery(query.id)) }
            return EditedResponse(status: .accepted, response: StopResponse(id: query.id.lowercasedString, status: "stopping"))
        }
        api.get("/query/:id") { request, context in
            try QueryResponse(try await answers.visibleQuery(try context.uuidParameter("id"), caller: try context.caller.user))
                .response(from: request, context: context)
        }
        api.get("/queries") { request, context in
            let caller = try context.caller.user
            let modelID = try request.uuidQuery("model_id")
            let sessionID = try request.uuidQuery("session_id")
            // Admins may list everyone's with ?all=true; otherwise one's own.
            let all = request.uri.queryParameters["all"] == "true" && caller.role == .admin
            let page = try await answers.listQueries(userID: all ? nil : caller.id, modelID: modelID, sessionID: sessionID, page: try request.pageRequest)
            return ListResponse(page.map(QuerySummary.init))
        }

        // MARK: sessions
        api.post("/sessions") { request, context in
            let input = try await body.decode(CreateSessionRequest.self, from: request)
            guard let modelID = UUID(uuidString: input.model_id) else { throw HyperionError.invalid("model_id", "must be a UUID") }
            let session = try await answers.createSession(modelID: modelID, title: input.title, caller: try context.caller.user)
            return EditedResponse(status: .created, response: SessionResponse(session))
        }
        api.get("/sessions") { request, context in
            let caller = try context.caller.user
            let modelID = try request.uuidQuery("model_id")
            let page = try await answers.listSessions(caller: caller, modelID: modelID, page: try request.pageRequest)
            return ListResponse(page.map(SessionResponse.init))
        }
        api.get("/sessions/:id") { _, context in
            SessionResponse(try await answers.visibleSession(try context.uuidParameter("id"), caller: try context.caller.user))
        }
        api.patch("/sessions/:id") { request, context in
            let input = try await body.decode(UpdateSessionRequest.self, from: request)
            return SessionResponse(try await answers.renameSession(try context.uuidParameter("id"), title: input.title, caller: try context.caller.user))
        }
        api.delete("/sessions/:id") { _, context in
            try await answers.deleteSession(try context.uuidParameter("id"), caller: try context.caller.user)
            return Response(status: .noContent)
        }
        api.get("/sessions/:id/messages") { request, context in
            let page = try await answers.messages(ofSession: try context.uuidParameter("id"), caller: try context.caller.user, page: try request.pageRequest)
            return ListResponse(page.map(MessageResponse.init))
        }

        // MARK: providers and plain generation
        api.get("/llm/models") { _, _ in
            let status = await answers.providerStatus()
            return ProviderStatusResponse(
                default_provider: answers.providers.defaultProvider ?? AnswerSettings.extractive,
                items: status.map { .init(name: $0.name, kind: $0.kind, default_model: $0.defaultModel, reachable: $0.models != nil,
                                          models: $0.models ?? [], error: $0.error) }
            )
        }
        llm.post("/generate") { request, context in
            let caller = try context.caller.user
            let input = try await body.decode(GenerateRequest.self, from: request)
            let provider = try answers.provider(named: input.provider)
            try answers.modelPolicy?.check(model: input.model, provider: input.provider, role: caller.role)
            let options = GenerationOptions(temperature: input.temperature, topP: input.top_p, maxTokens: input.max_tokens)
            try options.validate()
            if let model = input.model, !(1...200).contains(model.count) { throw HyperionError.invalid("model", "must be 1 to 200 characters") }
            // Checked before a stream starts, so a missing model is a 422 rather than an error event after a 200.
            guard let model = input.model ?? provider.defaultModel, !model.isEmpty else {
                throw HyperionError.invalid("model", "provider '\(provider.providerName)' has no default model; name one")
            }
            let chatRequest = ChatRequest(model: model, messages: try Self.messages(input), options: options)
            let started = ContinuousClock.now
            let events = provider.stream(chatRequest)
            guard input.stream == true || ServerSentEvents.wanted(request) else {
                var text = ""
                var usage: TokenUsage?
                var reason: String?
                do {
                    for try await event in events {
                        switch event {
                        case .delta(let piece): text += piece
                        case .usage(let value): usage = value
                        case .finished(let value): reason = value
                        }
                    }
                } catch let error as ProviderError {
                    throw error.asHyperionError
                }
                return try GenerateResponse(provider: provider.providerName, model: model, text: text, finish_reason: reason, usage: usage.map(UsageDTO.init),
                                            generation_ms: (ContinuousClock.now - started).milliseconds).response(from: request, context: context)
            }
            let requestID = context.requestID
            return ServerSentEvents.response(heartbeat: heartbeat) { sink in
                var usage: TokenUsage?
                var reason: String?
                do {
                    for try await event in events {
                        switch event {
                        case .delta(let piece): sink.send("delta", json: DeltaEvent(text: piece))
                        case .usage(let value): usage = value
                        case .finished(let value): reason = value
                        }
                    }
                    sink.send("done", json: GenerateResponse(provider: provider.providerName, model: model, text: "", finish_reason: reason,
                                                             usage: usage.map(UsageDTO.init), generation_ms: (ContinuousClock.now - started).milliseconds))
                } catch {
                    sink.send("error", json: ErrorEnvelope.from((error as? ProviderError)?.asHyperionError ?? error, requestID: requestID))
                }
            }
        }
    }

    /// The conversation of a generate request: `messages`, or `system` + `prompt`.
    static func messages(_ input: GenerateRequest) throws -> [ChatMessage] {
        var messages: [ChatMessage] = []
        if let system = input.system { messages.append(ChatMessage(role: .system, content: system)) }
        if let list = input.messages {
            for (index, message) in list.enumerated() {
                guard let role = ChatRole(rawValue: message.role) else {
                    throw HyperionError.invalid("messages[\(index)].role", "must be system, user or assistant")
                }
                messages.append(ChatMessage(role: role, content: message.content))
            }
        }
        if let prompt = input.prompt { messages.append(ChatMessage(role: .user, content: prompt)) }
        guard messages.contains(where: { $0.role == .user }) else { throw HyperionError.invalid("prompt", "give a prompt or messages with a user turn") }
        let characters = messages.reduce(0) { $0 + $1.content.count }
        guard characters <= 400_000 else { throw HyperionError.invalid("messages", "at most 400000 characters in all") }
        return messages
    }
}

struct SourcesEvent: Encodable, Sendable {
    let query_id: String
    let sources: [SourceDTO]
    let retrieval_ms: Double
}

struct DeltaEvent: Encodable, Sendable {
    let text: String
}

struct CitationsEvent: Encodable, Sendable {
    let citations: [SourceDTO]
}

struct DoneEvent: Encodable, Sendable {
    let query_id: String
    let status: String
    let extractive: Bool
    let usage: UsageDTO?
    let timings: TimingsDTO

    init(_ record: QueryRecord) {
        let response = QueryResponse(record)
        query_id = response.id; status = response.status; extractive = response.extractive; usage = response.usage; timings = response.timings
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(query_id, forKey: .query_id); try c.encode(status, forKey: .status); try c.encode(extractive, forKey: .extractive)
        try c.encode(usage, forKey: .usage); try c.encode(timings, forKey: .timings)
    }
    enum CodingKeys: String, CodingKey { case query_id, status, extractive, usage, timings }
}
