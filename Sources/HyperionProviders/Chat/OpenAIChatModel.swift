import AsyncHTTPClient
import Foundation
import HyperionCore

/// A chat model behind an OpenAI-compatible `/chat/completions` (OpenAI, vLLM, llama.cpp server,
/// LM Studio, IONOS, …), always streamed upstream (`stream: true`, usage requested in the last chunk).
public struct OpenAIChatModel: ChatModel, ProviderClient {
    public let transport: ProviderTransport

    /// Creates the client.
    public init(transport: ProviderTransport) {
        self.transport = transport
    }

    struct Body: Encodable {
        struct Message: Encodable { var role: String; var content: String }
        struct StreamOptions: Encodable { var include_usage = true }
        var model: String
        var messages: [Message]
        var stream = true
        var stream_options = StreamOptions()
        var temperature: Double?
        var top_p: Double?
        var max_tokens: Int?
    }

    struct Chunk: Decodable {
        struct Choice: Decodable {
            struct Delta: Decodable { var content: String? }
            var delta: Delta?
            var finish_reason: String?
        }
        struct Usage: Decodable { var prompt_tokens: Int?; var completion_tokens: Int? }
        struct Failure: Decodable { var message: String? }
        var choices: [Choice]?
        var usage: Usage?
        var error: Failure?
    }

    var headers: [(String, String)] { transport.bearerHeaders }

    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatEvent, any Error> {
        let transport = self.transport
        let headers = self.headers
        return transport.run { emit in
            let model = try transport.model(for: request)
            let body = try JSONEncoder().encode(Body(
                model: model, messages: request.messages.map { .init(role: $0.role.rawValue, content: $0.content) },
                temperature: request.options.temperature, top_p: request.options.topP, max_tokens: request.options.maxTokens
            ))
            let finished = Flag()
            try await transport.streamLines({ transport.post("/chat/completions", json: body, headers: headers) }) { line in
                guard line.hasPrefix("data:") else { return false }
                let payload = line.dropFirst(5).trimmingCharacters(in: .whitespaces)
                if payload == "[DONE]" {
                    if !finished.value { emit(.finished(reason: nil)) }
                    return false
                }
                guard let chunk = try? JSONDecoder().decode(Chunk.self, from: Data(payload.utf8)) else {
                    throw transport.error(.badResponse, "sent a stream chunk that is not JSON: \(payload.prefix(120))")
                }
                if let failure = chunk.error { throw transport.error(.badResponse, "reported an error mid-stream: \(failure.message ?? "unknown")") }
                var text = false
                for choice in chunk.choices ?? [] {
                    if let content = choice.delta?.content, !content.isEmpty { emit(.delta(content)); text = true }
                    if let reason = choice.finish_reason { emit(.finished(reason: reason)); finished.value = true }
                }
                if let usage = chunk.usage {
                    emit(.usage(TokenUsage(promptTokens: usage.prompt_tokens ?? 0, completionTokens: usage.completion_tokens ?? 0)))
                }
                return text
            }
        }
    }

    public func availableModels() async throws -> [String] {
        struct List: Decodable { struct Model: Decodable { var id: String }; var data: [Model] }
        let body = try await transport.json { transport.get("/models", headers: headers) }
        guard let list = try? JSONDecoder().decode(List.self, from: Data(body.readableBytesView)) else {
            throw transport.error(.badResponse, "answered /models with something that is not a model list")
        }
        return list.data.map(\.id)
    }
}
