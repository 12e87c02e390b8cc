import Foundation
import HyperionCore
import Logging

/// A provider client: a chat model over HTTP that lists the models it serves (for reachability).
public protocol ProviderClient: ChatModel {
    var transport: ProviderTransport { get }
}

extension ProviderClient {
    /// The configured provider's name.
    public var providerName: String { transport.settings.name }
    /// The model used when a request names none.
    public var defaultModel: String? { transport.settings.defaultModel }
}

/// Builds the client for a provider's wire protocol.
public func makeChatModel(_ settings: ProviderSettings, logger: Logger? = nil) -> any ProviderClient {
    let transport = logger.map { ProviderTransport(settings: settings, logger: $0) } ?? ProviderTransport(settings: settings)
    switch settings.kind {
    case .openai: return OpenAIChatModel(transport: transport)
    case .ollama: return OllamaChatModel(transport: transport)
    case .anthropic: return AnthropicChatModel(transport: transport)
    }
}

/// A boolean the stream callbacks set (they run one at a time, on one task).
final class Flag: @unchecked Sendable {
    var value = false
}

extension ProviderTransport {
    /// `Authorization: Bearer <key>` when a key is configured (OpenAI-compatible servers, Ollama behind a proxy).
    var bearerHeaders: [(String, String)] {
        settings.apiKey.map { [("authorization", "Bearer \($0)")] } ?? []
    }

    /// The model for a request: its own, else the provider's default; neither is a clear error.
    func model(for request: ChatRequest) throws -> String {
        guard let model = request.model ?? settings.defaultModel, !model.isEmpty else {
            throw HyperionError.invalid("model", "provider '\(settings.name)' has no default model; name one")
        }
        return model
    }

    /// Runs `body` in a task feeding a stream; the stream's consumer going away cancels the task (and
    /// with it the upstream request).
    func run(_ body: @escaping @Sendable (_ emit: @escaping @Sendable (ChatEvent) -> Void) async throws -> Void) -> AsyncThrowingStream<ChatEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: ChatEvent.self)
        let task = Task {
            do {
                try await body { continuation.yield($0) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}
