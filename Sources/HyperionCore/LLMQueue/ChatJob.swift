import Foundation

/// One generation handed to an LLM worker through a queue: which provider and model, the conversation and options,
/// and how long the requesting instance waits for it. Serialised as JSON in the message body.
public struct ChatJob: Sendable, Hashable, Codable {
    /// The job's id, also the message's correlation id: every reply names it.
    public var id: String
    /// The provider's name as both sides configure it (a stored provider is looked up in the shared store).
    public var provider: String
    public var model: String?
    public var messages: [ChatMessage]
    public var temperature: Double?
    public var topP: Double?
    public var maxTokens: Int?
    /// When the requester stops waiting for a worker to take the job (its first-token timeout): a worker drops a job
    /// it receives later for the first time.
    public var deadline: Date
    /// When the requester stops waiting for the whole answer: a worker drops a job it receives later, even again.
    public var answerBy: Date
    /// The W3C `traceparent` of the request that queued the job, so the worker's span links to it.
    public var traceParent: String?

    /// Creates a job for `request`.
    public init(id: String = UUID().uuidString.lowercased(), provider: String, request: ChatRequest, deadline: Date, answerBy: Date? = nil,
                traceParent: String? = nil) {
        self.id = id
        self.provider = provider
        model = request.model
        messages = request.messages
        temperature = request.options.temperature
        topP = request.options.topP
        maxTokens = request.options.maxTokens
        // Whole milliseconds, as the JSON carries them: a job reads back equal to itself.
        self.deadline = Date(timeIntervalSince1970: (deadline.timeIntervalSince1970 * 1000).rounded() / 1000)
        self.answerBy = Date(timeIntervalSince1970: ((answerBy ?? deadline).timeIntervalSince1970 * 1000).rounded() / 1000)
        self.traceParent = traceParent
    }

    /// The generation the job asks for.
    public var request: ChatRequest {
        ChatRequest(model: model, messages: messages, options: GenerationOptions(temperature: temperature, topP: topP, maxTokens: maxTokens))
    }

    /// The JSON body of the job's message.
    public func encoded() throws -> Data { try ChatJobCoding.encoder.encode(self) }

    /// Decodes a message body; throws on anything that is not a job (a poison message).
    public static func decode(_ body: Data) throws -> ChatJob {
        let job = try ChatJobCoding.decoder.decode(ChatJob.self, from: body)
        guard !job.id.isEmpty, !job.provider.isEmpty, !job.messages.isEmpty else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "a job needs an id, a provider and messages"))
        }
        return job
    }
}

/// What a worker sends back about a job, in order. `attempt` tells deliveries apart: a job redelivered after its
/// worker was lost starts a new attempt, and the requester follows the newest one only.
public struct ChatJobReply: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Codable {
        /// A worker took the job (`redelivered` when an earlier worker had it first).
        case started
        /// Generated text.
        case delta
        case usage
        /// The generation ended normally; the last reply of an attempt.
        case finished
        /// The generation failed for good (after the worker's retries); the last reply of an attempt.
        case failed
    }

    public var job: String
    public var attempt: String
    public var kind: Kind
    public var text: String?
    public var usage: TokenUsage?
    public var redelivered: Bool?
    /// `finished`: the model's reason.
    public var reason: String?
    /// `failed`: the provider error's kind, message, status and `Retry-After`.
    public var error: ReplyError?

    /// A provider failure as it travels.
    public struct ReplyError: Sendable, Hashable, Codable {
        public var kind: String
        public var provider: String
        public var message: String
        public var status: Int?
        public var retryAfter: Double?
    }

    /// Creates a reply.
    public init(job: String, attempt: String, kind: Kind, text: String? = nil, usage: TokenUsage? = nil, redelivered: Bool? = nil,
                reason: String? = nil, error: ProviderError? = nil) {
        self.job = job
        self.attempt = attempt
        self.kind = kind
        self.text = text
        self.usage = usage
        self.redelivered = redelivered
        self.reason = reason
        self.error = error.map { ReplyError(kind: $0.kind.rawValue, provider: $0.provider, message: $0.message, status: $0.status, retryAfter: $0.retryAfter) }
    }

    /// The provider error a `failed` reply carries.
    public var providerError: ProviderError? {
        error.map { ProviderError(ProviderError.Kind(rawValue: $0.kind) ?? .badResponse, provider: $0.provider, message: $0.message, status: $0.status, retryAfter: $0.retryAfter) }
    }

    /// The JSON body of the reply's message.
    public func encoded() throws -> Data { try ChatJobCoding.encoder.encode(self) }

    /// Decodes a reply body.
    public static func decode(_ body: Data) throws -> ChatJobReply { try ChatJobCoding.decoder.decode(ChatJobReply.self, from: body) }
}

enum ChatJobCoding {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()
}
