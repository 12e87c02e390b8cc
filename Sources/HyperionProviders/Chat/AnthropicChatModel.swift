import AsyncHTTPClient
import Foundation
import HyperionCore

/// Claude through Anthropic's Messages API: `POST /v1/messages` with `x-api-key` and
/// `anthropic-version`, streamed as SSE (`message_start`, `content_block_delta`, `message_delta`,
/// `message_stop`, `error`). System messages go to the `system` field; consecutive turns of one role
/// are merged, since the API wants them alternating and starting with the user.
public struct AnthropicChatModel: ChatModel, ProviderClient {
    public let transport: ProviderTransport
    /// The API version header sent with every request.
    public static let apiVersion = "2023-06-01"

    /// Creates the client.
    public init(transport: ProviderTransport) {
        self.transport = transport
    }

    struct Body: Encodable {
        struct Message: Encodable { var role: String; var content: String }
        var model: String
        var max_tokens: Int
        var system: String?
        var messages: [Message]
        var stream = true
        var temperature: Double?
        var top_p: Double?
    }

    struct Event: Decodable {
        struct Usage: Decodable { var input_tokens: Int?; var output_tokens: Int? }
        struct Message: Decodable { var usage: Usage? }
        struct Delta: Decodable { var type: String?; var text: String?; var stop_reason: String? }
        struct Failure: Decodable { var type: String?; var message: String? }
        var type: String
        var message: Message?
        var delta: Delta?
        var usage: Usage?
        var error: Failure?
    }

    var headers: [(String, String)] {
        var headers = [("anthropic-version", Self.apiVersion)]
        if let key = transport.settings.apiKey { headers.append(("x-api-key", key)) }
        return headers
    }

    /// Anthropic's shape of a conversation: the system text apart, alternating turns starting with the user.
    static func shape(_ messages: [ChatMessage]) -> (system: String?, messages: [Body.Message]) {
        let system = messages.filter { $0.role == .system }.map(\.content).joined(separator: "\n\n")
        var turns: [Body.Message] = []
        for message in messages where message.role != .system {
            let role = message.role == .assistant ? "assistant" : "user"
            if turns.isEmpty, role == "assistant" { continue }
            if turns.last?.role == role { turns[turns.count - 1].content += "\n\n" + message.content } else { turns.append(.init(role: role, content: message.content)) }
        }
        return (system.isEmpty ? nil : system, turns)
    }

    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatEvent, any Error> {
        let transport = self.transport
        let headers = self.headers
        return transport.run { emit in
            let (system, messages) = Self.shape(request.messages)
            let body = try JSONEncoder().encode(Body(
                model: try transport.model(for: request), max_tokens: request.options.maxTokens ?? transport.settings.defaultMaxTokens,
                system: system, messages: messages, temperature: request.options.temperature.map { min($0, 1) }, top_p: request.options.topP
            ))
            let state = UsageState()
            let parser = ParserBox()
            try await transport.streamLines({ transport.post("/v1/messages", json: body, headers: headers) }) { line in
                guard let sse = parser.parser.feed(line) else { return false }
                guard let event = try? JSONDecoder().decode(Event.self, from: Data(sse.data.utf8)) else {
                    throw transport.error(.badResponse, "sent an event that is not JSON: \(sse.data.prefix(120))")
                }
                switch event.type {
                case "message_start":
                    state.input = event.message?.usage?.input_tokens ?? 0
                case "content_block_delta":
                    if let text = event.delta?.text, !text.isEmpty { emit(.delta(text)); return true }
                case "message_delta":
                    state.output = event.usage?.output_tokens ?? state.output
                    state.stopReason = event.delta?.stop_reason
                case "message_stop":
                    emit(.usage(TokenUsage(promptTokens: state.input, completionTokens: state.output)))
                    emit(.finished(reason: state.stopReason))
                case "error":
                    throw transport.error(.badResponse, "reported \(event.error?.type ?? "an error") mid-stream: \(event.error?.message ?? "")")
                default:
                    break
                }
                return false
            }
        }
    }

    public func availableModels() async throws -> [String] {
        struct List: Decodable { struct Model: Decodable { var id: String }; var data: [Model] }
        let body = try await transport.json { transport.get("/v1/models", headers: headers) }
        guard let list = try? JSONDecoder().decode(List.self, from: Data(body.readableBytesView)) else {
            throw transport.error(.badResponse, "answered /v1/models with something that is not a model list")
        }
        return list.data.map(\.id)
    }
}

/// Token counts gathered over an Anthropic stream (the callback runs on one task at a time).
final class UsageState: @unchecked Sendable {
    var input = 0
    var output = 0
    var stopReason: String?
}

/// The SSE parser state of one stream (fed by one task at a time).
final class ParserBox: @unchecked Sendable {
    var parser = ServerSentEventParser()
}
