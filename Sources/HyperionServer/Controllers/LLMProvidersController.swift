import Foundation
import Hummingbird
import HyperionCore
import HyperionProviders

/// `/api/v1/llm/providers` and `/api/v1/llm/default` (administrators): LLM connections added, changed, tested and
/// removed at run time, and the default provider. Providers of the configuration file are listed as read-only. API
/// keys are write-only: stored sealed by the master key, never returned, never logged.
struct LLMProvidersController {
    let auth: AuthService
    var budgets = RequestBudgets.none
    let answers: AnswerService
    let body: JSONBody
    /// Refuses base URLs aimed at link-local or cloud metadata addresses (`outbound.allow_link_local`).
    var outbound = OutboundURLPolicy(allowLinkLocal: false)

    var registry: ProviderRegistry { answers.providers }

    func addRoutes(to router: Router<AppRequestContext>) {
        let admin = router.group("/api/v1/llm")
            .add(middleware: AuthenticationMiddleware(auth: auth))
            .add(limit: budgets.requests)
            .add(middleware: RequireAdminMiddleware())
        admin.get("/providers") { _, _ in
            ProviderListResponse(items: list(), default_provider: registry.defaultProvider ?? AnswerSettings.extractive, secrets_configured: registry.secrets != nil)
        }
        admin.post("/providers") { request, context in
            let input = try await body.decode(CreateProviderRequest.self, from: request)
            let actor = try context.caller.user.id
            let record = try await create(input, actor: actor)
            try await audit(.llmProviderAdded, actor: actor, "\(record.name) (\(record.kind)) at \(record.baseURL)\(record.apiKeyCiphertext == nil ? "" : ", key set")")
            return EditedResponse(status: .created, response: response(for: record.name))
        }
        admin.patch("/providers/:name") { request, context in
            let input = try await body.decode(UpdateProviderRequest.self, from: request)
            let name = try editableName(context)
            try await update(name, input)
            try await audit(.llmProviderChanged, actor: try context.caller.user.id, "\(name): \(input.changedFields.joined(separator: ", "))")
            return response(for: name)
        }
        admin.delete("/providers/:name") { request, context in
            let name = try editableName(context)
            // Knowledge bases answering through it would fail every question: refused unless asked to go ahead, and then
            // they answer through the default again.
            let (users, total) = try await answers.store.knowledgeBases.names(usingProvider: name)
            if total > 0, request.uri.queryParameters["force"] != "true" {
                let listed = users.map { "'\($0)'" }.joined(separator: ", ") + (total > users.count ? " and \(total - users.count) more" : "")
                throw HyperionError(.conflict, code: "provider_in_use",
                                    message: "provider '\(name)' answers for \(total) knowledge base\(total == 1 ? "" : "s") (\(listed)); choose another for them, or delete with ?force=true to send them to the default")
            }
            guard try await answers.store.llmProviders.delete(name: name) else { throw HyperionError.notFound("LLM provider") }
            if total > 0 { try await answers.store.knowledgeBases.clearProvider(name) }
            try await audit(.llmProviderRemoved, actor: try context.caller.user.id, total > 0 ? "\(name); \(total) knowledge bases back to the default" : name)
            if try await answers.store.serverSettings.value(ProviderRegistry.defaultKey) == name {
                try await answers.store.serverSettings.set(ProviderRegistry.defaultKey, nil)
            }
            await changed()
            return Response(status: .noContent)
        }
        admin.post("/providers/:name/test") { _, context in
            let name = context.parameters.get("name") ?? ""
            guard let model = registry.model(named: name) else { throw HyperionError.notFound("LLM provider") }
            // Checked again: the name may resolve elsewhere now than when the URL was saved.
            if let entry = registry.entries[name], entry.source == .api, let url = entry.settings?.baseURL { try await outbound.check(url, field: "base_url") }
            return await ProviderTestResponse(testing: model, name: name)
        }
        // Ollama's model management from here: the download's progress streams back as server-sent events.
        admin.post("/providers/:name/pull") { request, context in
            let input = try await body.decode(PullModelRequest.self, from: request)
            let name = context.parameters.get("name") ?? ""
            guard let model = registry.model(named: name) else { throw HyperionError.notFound("LLM provider") }
            guard let ollama = model.unwrapped as? OllamaChatModel else {
                throw HyperionError(.conflict, code: "pull_unsupported", message: "provider '\(name)' is not an Ollama server; only Ollama pulls models")
            }
            let wanted = input.model.trimmingCharacters(in: .whitespaces)
            guard (1...200).contains(wanted.count), !wanted.contains(where: \.isWhitespace) else {
                throw HyperionError.invalid("model", "a model name such as llama3.2:1b (1 to 200 characters, no spaces)")
            }
            let requestID = context.requestID
            let heartbeat = Duration.seconds(answers.settings.heartbeatSeconds)
            return ServerSentEvents.response(heartbeat: heartbeat) { sink in
                do {
                    for try await step in ollama.pull(model: wanted) {
                        sink.send("progress", json: PullProgressEvent(status: step.status, digest: step.digest, total: step.total, completed: step.completed))
                    }
                    sink.send("done", json: PullDoneEvent(provider: name, model: wanted))
                } catch {
                    sink.send("error", json: ErrorEnvelope.from(error, requestID: requestID))
                }
            }
        }
        admin.put("/default") { request, context in
            let input = try await body.decode(DefaultProviderRequest.self, from: request)
            if let name = input.provider, name != AnswerSettings.extractive, registry.model(named: name) == nil {
                throw HyperionError.invalid("provider", "'\(name.prefix(100))' is not a provider of this server")
            }
            try await answers.store.serverSettings.set(ProviderRegistry.defaultKey, input.provider)
            await changed()
            try await audit(.llmDefaultChanged, actor: try context.caller.user.id, input.provider ?? "the configuration's")
            return DefaultProviderResponse(provider: registry.defaultProvider ?? AnswerSettings.extractive)
        }
    }

    /// Records an administrator's change to the LLM connections (never a key, only whether one is set).
    private func audit(_ kind: AuditEvent.Kind, actor: UUID, _ detail: String) async throws {
        try await auth.events.record(AuditEvent(kind: kind, actorID: actor, detail: String(detail.prefix(500))))
    }

    /// Reads the providers again here and tells the other instances to.
    private func changed() async {
        do { try await registry.reload() } catch { registry.logger.warning("LLM providers could not be read again", metadata: ["error": "\(error)"]) }
        await answers.bus.publish(.providersChanged)
    }

    private func list() -> [ProviderResponse] {
        let entries = registry.entries
        let defaultName = registry.defaultProvider
        var items = entries.values.map { ProviderResponse($0, isDefault: $0.name == defaultName) }
        for (name, reason) in registry.broken where entries[name] == nil {
            items.append(ProviderResponse(brokenName: name, reason: reason))
        }
        return items.sorted { $0.name < $1.name }
    }

    private func response(for name: String) -> ProviderResponse {
        if let entry = registry.entries[name] { return ProviderResponse(entry, isDefault: registry.defaultProvider == name) }
        return ProviderResponse(brokenName: name, reason: registry.broken[name] ?? "not loaded")
    }

    /// The path's provider, if it may be changed here (not one of the configuration file's).
    private func editableName(_ context: AppRequestContext) throws -> String {
        let name = context.parameters.get("name") ?? ""
        if let entry = registry.entries[name], entry.source != .api {
            throw HyperionError(.conflict, code: "provider_read_only",
                                message: "provider '\(name)' comes from the server's configuration; change it there")
        }
        return name
    }

    static func validName(_ name: String) throws {
        guard (1...40).contains(name.count), name.allSatisfy({ ($0.isLetter && $0.isASCII) || $0.isNumber || $0 == "-" || $0 == "_" }),
              name.first?.isLetter == true else {
            throw HyperionError.invalid("name", "1 to 40 letters, digits, '-' or '_', starting with a letter")
        }
        guard name != AnswerSettings.extractive else { throw HyperionError.invalid("name", "'extractive' is reserved") }
    }

    static func validURL(_ text: String) throws -> String {
        guard text.count <= 2000, let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host?.isEmpty == false else {
            throw HyperionError.invalid("base_url", "must be an http:// or https:// URL")
        }
        return text
    }

    /// A valid base URL that the outbound policy allows, resolving its host now.
    private func checkedURL(_ text: String) async throws -> String {
        let valid = try Self.validURL(text)
        if let url = URL(string: valid) { try await outbound.check(url, field: "base_url") }
        return valid
    }

    static func timeout(_ value: Int?, field: String, default fallback: Int) throws -> Int {
        guard let value else { return fallback }
        guard (100...3_600_000).contains(value) else { throw HyperionError.invalid(field, "must be 100 to 3600000 milliseconds") }
        return value
    }

    private func seal(_ key: String, for id: UUID) throws -> String {
        guard !key.isEmpty, key.count <= 4096 else { throw HyperionError.invalid("api_key", "must be 1 to 4096 characters (null removes it)") }
        guard let secrets = registry.secrets else {
            throw HyperionError(.conflict, code: "secrets_not_configured",
                                message: "API keys are stored only encrypted: set secrets.master_key (or secrets.master_key_file) on the server first",
                                field: "api_key")
        }
        return try secrets.seal(key, context: ProviderRegistry.keyContext(id))
    }

    private func create(_ input: CreateProviderRequest, actor: UUID) async throws -> LLMProviderRecord {
        try Self.validName(input.name)
        guard let kind = ProviderKind(rawValue: input.kind) else {
            throw HyperionError.invalid("kind", "must be one of \(ProviderKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if registry.entries[input.name] != nil || registry.broken[input.name] != nil {
            throw HyperionError(.conflict, code: "provider_exists", message: "an LLM provider named '\(input.name)' exists already")
        }
        if let model = input.model, model.count > 200 { throw HyperionError.invalid("model", "must be at most 200 characters") }
        var record = LLMProviderRecord(
            name: input.name, kind: kind.rawValue, baseURL: try await checkedURL(input.base_url ?? kind.defaultBaseURL),
            model: input.model.flatMap { $0.isEmpty ? nil : $0 },
            connectTimeoutMilliseconds: try Self.timeout(input.connect_timeout_ms, field: "connect_timeout_ms", default: 5_000),
            firstTokenTimeoutMilliseconds: try Self.timeout(input.first_token_timeout_ms, field: "first_token_timeout_ms", default: 60_000),
            totalTimeoutMilliseconds: try Self.timeout(input.total_timeout_ms, field: "total_timeout_ms", default: 300_000),
            createdBy: actor
        )
        if let key = input.api_key { record.apiKeyCiphertext = try seal(key, for: record.id) }
        try await answers.store.llmProviders.insert(record)
        await changed()
        return record
    }

    private func update(_ name: String, _ input: UpdateProviderRequest) async throws {
        guard var record = try await answers.store.llmProviders.find(name: name) else { throw HyperionError.notFound("LLM provider") }
        if let url = input.base_url { record.baseURL = try await checkedURL(url) }
        if let model = input.model {
            if let model, model.count > 200 { throw HyperionError.invalid("model", "must be at most 200 characters") }
            record.model = model.flatMap { $0.isEmpty ? nil : $0 }
        }
        if let key = input.api_key { record.apiKeyCiphertext = try key.map { try seal($0, for: record.id) } }
        record.connectTimeoutMilliseconds = try Self.timeout(input.connect_timeout_ms, field: "connect_timeout_ms", default: record.connectTimeoutMilliseconds)
        record.firstTokenTimeoutMilliseconds = try Self.timeout(input.first_token_timeout_ms, field: "first_token_timeout_ms", default: record.firstTokenTimeoutMilliseconds)
        record.totalTimeoutMilliseconds = try Self.timeout(input.total_timeout_ms, field: "total_timeout_ms", default: record.totalTimeoutMilliseconds)
        record.updatedAt = Date()
        try await answers.store.llmProviders.update(record)
        await changed()
    }
}
