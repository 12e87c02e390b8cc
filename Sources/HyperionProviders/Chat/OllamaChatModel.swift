import AsyncHTTPClient
import Foundation
import HyperionCore

/// A chat model served by Ollama: `POST /api/chat`, answered as NDJSON (one JSON object per line).
public struct OllamaChatModel: ChatModel, ProviderClient {
    public let transport: ProviderTransport

    /// Creates the client.
    public init(transport: ProviderTransport) {
        self.transport = transport
    }

    struct Body: Encodable {
        struct Message: Encodable { var role: String; var content: String }
        struct Options: Encodable { var temperature: Double?; var top_p: Double?; var num_predict: Int? }
        var model: String
        var messages: [Message]
        var stream = true
        var options: Options
    }

    struct Line: Decodable {
        struct Message: Decodable { var content: String? }
        var message: Message?
        var done: Bool?
        var done_reason: String?
        var prompt_eval_count: Int?
        var eval_count: Int?
        var error: String?
    }

    var headers: [(String, String)] { transport.bearerHeaders }

    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatEvent, any Error> {
        let transport = self.transport
        let headers = self.headers
        return transport.run { emit in
            let body = try JSONEncoder().encode(Body(
                model: try transport.model(for: request), messages: request.messages.map { .init(role: $0.role.rawValue, content: $0.content) },
                options: .init(temperature: request.options.temperature, top_p: request.options.topP, num_predict: request.options.maxTokens)
            ))
            try await transport.streamLines({ transport.post("/api/chat", json: body, headers: headers) }) { line in
                guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return false }
                guard let object = try? JSONDecoder().decode(Line.self, from: Data(line.utf8)) else {
                    throw transport.error(.badResponse, "sent a line that is not JSON: \(line.prefix(120))")
                }
                if let error = object.error { throw transport.error(.badResponse, "reported an error mid-stream: \(error)") }
                var text = false
                if let content = object.message?.content, !content.isEmpty { emit(.delta(content)); text = true }
                if object.done == true {
                    if object.prompt_eval_count != nil || object.eval_count != nil {
                        emit(.usage(TokenUsage(promptTokens: object.prompt_eval_count ?? 0, completionTokens: object.eval_count ?? 0)))
                    }
                    emit(.finished(reason: object.done_reason ?? "stop"))
                }
                return text
            }
        }
    }

    /// One step of `POST /api/pull`, as Ollama reports it ("pulling manifest", "pulling <digest>" with byte counts, "success").
    public struct PullProgress: Sendable, Equatable, Decodable {
        public var status: String
        public var digest: String?
        public var total: Int64?
        public var completed: Int64?
    }

    /// Downloads `model` into the Ollama server (`POST /api/pull`, NDJSON progress). Large models take long: the
    /// provider's total timeout does not apply, only six hours; each progress line counts as life for the first-token
    /// timeout. Cancelling the stream cancels the download request.
    public func pull(model: String) -> AsyncThrowingStream<PullProgress, any Error> {
        var settings = transport.settings
        settings.totalTimeout = .seconds(6 * 3600)
        settings.maxRetries = 0
        let transport = ProviderTransport(settings: settings, logger: self.transport.logger)
        let headers = self.headers
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    struct Body: Encodable { var model: String; var stream = true }
                    struct Failure: Decodable { var error: String? }
                    let body = try JSONEncoder().encode(Body(model: model))
                    try await transport.streamLines({ transport.post("/api/pull", json: body, headers: headers) }) { line in
                        guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return false }
                        if let failure = try? JSONDecoder().decode(Failure.self, from: Data(line.utf8)), let error = failure.error {
                            throw transport.error(.badResponse, "could not pull \(model): \(error)")
                        }
                        guard let step = try? JSONDecoder().decode(PullProgress.self, from: Data(line.utf8)) else {
                            throw transport.error(.badResponse, "sent a line that is not JSON: \(line.prefix(120))")
                        }
                        continuation.yield(step)
                        return true
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    public func availableModels() async throws -> [String] {
        struct Tags: Decodable { struct Model: Decodable { var name: String }; var models: [Model] }
        let body = try await transport.json { transport.get("/api/tags", headers: headers) }
        guard let tags = try? JSONDecoder().decode(Tags.self, from: Data(body.readableBytesView)) else {
            throw transport.error(.badResponse, "answered /api/tags with something that is not a model list")
        }
        return tags.models.map(\.name)
    }
}
