import Foundation
import Hummingbird
import HTTPTypes
import HyperionCore

/// The OpenAI-compatible surface under `/v1`, so existing clients and SDKs work with only `base_url`
/// and `api_key` changed: `GET /v1/models` (the RAG models the caller may use), `POST /v1/chat/completions`
/// (the last user message is the question; sources and citations ride along in extra fields) and
/// `POST /v1/embeddings`. Errors use OpenAI's `{"error":{...}}` shape.
struct OpenAICompatController {
    let auth: AuthService
    /// Per-caller request budgets of authenticated routes (none unless configured).
    var budgets = RequestBudgets.none
    let answers: AnswerService
    let body: JSONBody

    func addRoutes(to router: Router<AppRequestContext>) {
        let v1 = router.group("/v1").add(middleware: OpenAIErrorMiddleware()).add(middleware: AuthenticationMiddleware(auth: auth))
            .add(limit: budgets.requests)
        let knowledge = answers.knowledge
        let heartbeat = Duration.seconds(answers.settings.heartbeatSeconds)

        v1.get("/models") { _, context in
            let caller = try context.caller.user
            let models = try await knowledge.allModels(caller: caller)
            return OpenAIModelList(data: models.map {
                .init(id: $0.id.lowercasedString, created: Int($0.createdAt.timeIntervalSince1970), owned_by: "hyperion", name: $0.name)
            })
        }

        v1.group().add(limit: budgets.llm).post("/chat/completions") { request, context in
            let caller = try context.caller.user
            let input = try await body.decode(OpenAIChatRequest.self, from: request)
            if let n = input.n, n != 1 { throw HyperionError.invalid("n", "only n=1 is supported") }
            let model = try await resolveModel(input.model, caller: caller)
            var turns: [ChatMessage] = []
            for (index, message) in input.messages.enumerated() {
                guard let role = ChatRole(rawValue: message.role == "developer" ? "system" : message.role) else {
                    throw HyperionError.invalid("messages[\(index)].role", "must be system, developer, user or assistant")
                }
                turns.append(ChatMessage(role: role, content: message.content?.text ?? ""))
            }
            guard let last = turns.last, last.role == .user else {
                throw HyperionError.invalid("messages", "the last message must be the user's question")
            }
            let prepared = try await answers.prepare(.init(
                modelID: model.id, query: last.content, topK: nil, mode: nil, filter: SearchFilter(), metadata: [:], sessionID: nil,
                caller: caller, history: Array(turns.dropLast()),
                options: GenerationOptions(temperature: input.temperature, topP: input.top_p, maxTokens: input.max_completion_tokens ?? input.max_tokens)
            ))
            let id = "chatcmpl-" + prepared.record.id.lowercasedString
            let created = Int(prepared.record.createdAt.timeIntervalSince1970)
            let name = input.model
            let events = answers.run(prepared)
            guard input.stream == true else {
                var final = prepared.record
                for try await event in events { if case .done(let record) = event { final = record } }
                return try OpenAIChatCompletion(
                    id: id, created: created, model: name, choices: [.init(message: .init(content: final.answer))], usage: OpenAIUsage(final.usage),
                    sources: final.sources.map(SourceDTO.init), citations: final.citations.map(SourceDTO.init), query_id: final.id.lowercasedString
                ).response(from: request, context: context)
            }
            let includeUsage = input.stream_options?.include_usage == true
            return ServerSentEvents.response(heartbeat: heartbeat) { sink in
                func chunk(_ delta: OpenAIChunk.Choice.Delta?, finish: String? = nil) -> OpenAIChunk {
                    OpenAIChunk(id: id, created: created, model: name, choices: delta.map { [.init(delta: $0, finish_reason: finish)] } ?? [])
                }
                do {
                    for try await event in events {
                        switch event {
                        case .sources(let record):
                            var first = chunk(.init(role: "assistant", content: ""))
                            first.sources = record.sources.map(SourceDTO.init)
                            sink.send(nil, json: first)
                        case .delta(let text):
                            sink.send(nil, json: chunk(.init(role: nil, content: text)))
                        case .citations(let citations):
                            var last = chunk(.init(role: nil, content: nil), finish: "stop")
                            last.citations = citations.map(SourceDTO.init)
                            sink.send(nil, json: last)
                        case .done(let record):
                            if includeUsage {
                                var usage = chunk(nil)
                                usage.usage = OpenAIUsage(record.usage)
                                sink.send(nil, json: usage)
                            }
                        }
                    }
                } catch {
                    sink.send(nil, json: OpenAIErrorMiddleware.body(for: error))
                }
                sink.raw("data: [DONE]\n\n")
            }
        }

        v1.post("/embeddings") { request, context in
            _ = try context.caller.user
            let input = try await body.decode(OpenAIEmbeddingRequest.self, from: request)
            let embedder = knowledge.embedder
            guard input.model == embedder.modelID || input.model == "sentence-transformers/\(embedder.modelID)" else {
                throw HyperionError(.notFound, code: "model_not_found", message: "model: '\(input.model.prefix(100))' is not served here; use '\(embedder.modelID)'")
            }
            let format = input.encoding_format ?? "float"
            guard format == "float" || format == "base64" else { throw HyperionError.invalid("encoding_format", "must be float or base64") }
            if let dimensions = input.dimensions, dimensions != embedder.dimension {
                throw HyperionError.invalid("dimensions", "this model gives \(embedder.dimension) dimensions")
            }
            let texts = input.input.texts
            guard (1...2048).contains(texts.count) else { throw HyperionError.invalid("input", "must hold 1 to 2048 texts") }
            guard texts.allSatisfy({ !$0.isEmpty }) else { throw HyperionError.invalid("input", "texts must not be empty") }
            let vectors = try await embedder.embed(texts, purpose: .document)
            let tokens = texts.reduce(0) { $0 + min(embedder.tokenCount($1), embedder.maxTokens) + 2 }
            return OpenAIEmbeddingList(data: vectors.enumerated().map { index, vector in
                .init(index: index, embedding: format == "base64" ? .base64(vector.withUnsafeBytes { Data($0) }.base64EncodedString()) : .floats(vector))
            }, model: embedder.modelID, usage: .init(prompt_tokens: tokens, total_tokens: tokens))
        }
    }

    /// A RAG model by id or by name among those the caller may see (their own first).
    private func resolveModel(_ name: String, caller: User) async throws -> KnowledgeBase {
        if let id = UUID(uuidString: name) { return try await answers.knowledge.visibleModel(id, caller: caller) }
        let matches = try await answers.knowledge.allModels(caller: caller).filter { $0.name == name }
        if let own = matches.first(where: { $0.ownerID == caller.id }) { return own }
        guard matches.count <= 1 else {
            throw HyperionError(.conflict, code: "ambiguous_model", message: "model: several RAG models are named '\(name.prefix(100))'; use its id")
        }
        guard let model = matches.first else {
            throw HyperionError(.notFound, code: "model_not_found", message: "model: no RAG model '\(name.prefix(100))' (GET /v1/models lists them)")
        }
        return model
    }
}

/// Turns errors under `/v1` into OpenAI's error body with the same status the envelope would have.
struct OpenAIErrorMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HyperionError {
            var headers: HTTPFields = [.contentType: "application/json"]
            if let seconds = error.retryAfter { headers[.retryAfter] = String(seconds) }
            if error.kind == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
            return response(error.kind.status, Self.body(for: error), headers)
        } catch let error as APIError {
            var headers = error.headers
            headers[.contentType] = "application/json"
            return response(error.status, Self.body(for: error), headers)
        }
    }

    private func response(_ status: HTTPResponse.Status, _ body: OpenAIErrorBody, _ headers: HTTPFields) -> Response {
        let data = (try? EnvelopeEncoding.encoder.encode(body)) ?? Data()
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func body(for error: any Error) -> OpenAIErrorBody {
        switch error {
        case let error as HyperionError:
            let type = switch error.kind {
            case .validation, .badRequest, .conflict, .payloadTooLarge, .unsupportedMediaType: "invalid_request_error"
            case .unauthorized: "authentication_error"
            case .forbidden: "permission_error"
            case .notFound: "not_found_error"
            case .tooManyRequests: "rate_limit_error"
            case .unavailable, .upstream, .upstreamTimeout: "api_error"
            }
            return OpenAIErrorBody(error: .init(message: error.message, type: type, param: error.field, code: error.code))
        case let error as APIError:
            let type = switch error.status.code {
            case 429: "rate_limit_error"
            case 401: "authentication_error"
            case 403: "permission_error"
            case 404: "not_found_error"
            case ..<500: "invalid_request_error"
            default: "api_error"
            }
            return OpenAIErrorBody(error: .init(message: error.detail, type: type,
                                                param: error.field, code: error.code))
        default:
            return OpenAIErrorBody(error: .init(message: "internal server error", type: "api_error", param: nil, code: "internal_error"))
        }
    }
}
