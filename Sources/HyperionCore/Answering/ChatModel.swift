import Foundation

/// Who wrote a chat message.
public enum ChatRole: String, Sendable, Codable, CaseIterable {
    case system, user, assistant
}

/// One message of a conversation sent to a chat model.
public struct ChatMessage: Sendable, Hashable, Codable {
    public var role: ChatRole
    public var content: String

    /// Creates a message.
    public init(role: ChatRole, content: String) {
        self.role = role
        self.content = content
    }
}

/// Sampling options of one generation. `nil` leaves the provider's default.
public struct GenerationOptions: Sendable, Hashable {
    /// 0 to 2.
    public var temperature: Double?
    /// Nucleus sampling, 0 (exclusive) to 1.
    public var topP: Double?
    /// Upper bound on generated tokens.
    public var maxTokens: Int?

    /// Creates options.
    public init(temperature: Double? = nil, topP: Double? = nil, maxTokens: Int? = nil) {
        self.temperature = temperature
        self.topP = topP
        self.maxTokens = maxTokens
    }

    /// Checks the ranges, naming the field.
    public func validate() throws {
        if let temperature, !(0...2).contains(temperature) { throw HyperionError.invalid("temperature", "must be from 0 to 2") }
        if let topP, !(topP > 0 && topP <= 1) { throw HyperionError.invalid("top_p", "must be greater than 0 and at most 1") }
        if let maxTokens, !(1...32_768).contains(maxTokens) { throw HyperionError.invalid("max_tokens", "must be from 1 to 32768") }
    }
}

/// What one generation asks of a chat model.
public struct ChatRequest: Sendable, Hashable {
    /// The model at the provider (e.g. `gpt-4o-mini`, `llama3.2`); nil means the provider's configured default.
    public var model: String?
    public var messages: [ChatMessage]
    public var options: GenerationOptions

    /// Creates a request.
    public init(model: String? = nil, messages: [ChatMessage], options: GenerationOptions = .init()) {
        self.model = model
        self.messages = messages
        self.options = options
    }
}

/// Tokens spent by one generation, as the provider reported them.
public struct TokenUsage: Sendable, Hashable, Codable {
    public var promptTokens: Int
    public var completionTokens: Int
    public var totalTokens: Int { promptTokens + completionTokens }

    /// Creates usage.
    public init(promptTokens: Int, completionTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }
}

/// One step of a streamed generation.
public enum ChatEvent: Sendable, Hashable {
    /// Generated text, in order.
    case delta(String)
    /// Token counts (usually once, near the end).
    case usage(TokenUsage)
    /// The model stopped (`stop`, `length`, …); the stream ends after it.
    case finished(reason: String?)
}

/// A language model that answers a conversation, token by token.
///
/// Implementations: the OpenAI-compatible, Ollama and Anthropic clients in HyperionProviders, and
/// ``ScriptedChatModel``, the in-memory twin. A stream ends normally after `.finished`, or throws a
/// ``ProviderError``; cancelling the consuming task cancels the upstream request.
public protocol ChatModel: Sendable {
    /// The configured provider name (e.g. `openai`, `local-llama`), used in errors and metrics.
    var providerName: String { get }
    /// The model used when a request names none.
    var defaultModel: String? { get }
    /// Streams the answer to `request`.
    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatEvent, any Error>
    /// The model names the provider offers; throws a ``ProviderError`` when it cannot be reached.
    func availableModels() async throws -> [String]
}

/// A whole, non-streamed answer.
public struct ChatCompletion: Sendable, Hashable {
    public var text: String
    public var usage: TokenUsage?
    public var finishReason: String?
}

extension ChatModel {
    /// By default, the default model only.
    public func availableModels() async throws -> [String] { defaultModel.map { [$0] } ?? [] }

    /// Runs `request` to the end and returns the whole text.
    public func complete(_ request: ChatRequest) async throws -> ChatCompletion {
        var completion = ChatCompletion(text: "", usage: nil, finishReason: nil)
        for try await event in stream(request) {
            switch event {
            case .delta(let text): completion.text += text
            case .usage(let usage): completion.usage = usage
            case .finished(let reason): completion.finishReason = reason
            }
        }
        return completion
    }
}

/// The in-memory twin of a chat model: answers with a scripted text (or a function of the request),
/// split into small deltas, and records what it was asked. For tests and trials without an LLM.
public struct ScriptedChatModel: ChatModel {
    public let providerName: String
    public let defaultModel: String?
    private let answer: @Sendable (ChatRequest) throws -> String
    private let recorder: Recorder

    /// What the twin was asked, in order.
    public final class Recorder: @unchecked Sendable {
        private let lock = NSLock()
        private var requests: [ChatRequest] = []
        public init() {}
        func add(_ request: ChatRequest) { lock.withLock { requests.append(request) } }
        /// Every request so far.
        public var all: [ChatRequest] { lock.withLock { requests } }
    }

    /// Creates the twin; `answer` computes the reply (it may throw a ``ProviderError``).
    public init(providerName: String = "scripted", defaultModel: String? = "scripted-1", recorder: Recorder = Recorder(),
                answer: @escaping @Sendable (ChatRequest) throws -> String) {
        self.providerName = providerName
        self.defaultModel = defaultModel
        self.recorder = recorder
        self.answer = answer
    }

    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatEvent, any Error> {
        recorder.add(request)
        let answer = self.answer
        return AsyncThrowingStream { continuation in
            do {
                let text = try answer(request)
                var words = 0
                for piece in text.split(separator: " ", omittingEmptySubsequences: false).enumerated() {
                    continuation.yield(.delta(piece.offset == 0 ? String(piece.element) : " " + piece.element))
                    words += 1
                }
                let prompt = request.messages.reduce(0) { $0 + $1.content.split(separator: " ").count }
                continuation.yield(.usage(TokenUsage(promptTokens: prompt, completionTokens: words)))
                continuation.yield(.finished(reason: "stop"))
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
    }
}
