import Foundation
import Hummingbird
import HyperionCore

/// `content` of an OpenAI chat message: a string, or a list of parts of which the text ones count.
struct OpenAIContent: Decodable, Sendable {
    var text: String

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self.text = text
            return
        }
        struct Part: Decodable { var type: String; var text: String? }
        guard let parts = try? container.decode([Part].self) else {
            throw HyperionError.invalid("messages.content", "must be a string or a list of content parts")
        }
        guard parts.allSatisfy({ $0.type == "text" }) else {
            throw HyperionError.invalid("messages.content", "only text parts are supported")
        }
        text = parts.compactMap(\.text).joined(separator: "\n")
    }
}

struct OpenAIChatRequest: Decodable, Sendable {
    struct Message: Decodable, Sendable {
        var role: String
        var content: OpenAIContent?
    }
    struct StreamOptions: Decodable, Sendable { var include_usage: Bool? }
    var model: String
    var messages: [Message]
    var stream: Bool?
    var stream_options: StreamOptions?
    var temperature: Double?
    var top_p: Double?
    var max_tokens: Int?
    var max_completion_tokens: Int?
    var n: Int?
}

/// The OpenAI error body, `{"error":{"message","type","param","code"}}`.
struct OpenAIErrorBody: Encodable, Sendable {
    struct Detail: Encodable, Sendable {
        let message: String
        let type: String
        let param: String?
        let code: String?
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(message, forKey: .message); try c.encode(type, forKey: .type)
            try c.encode(param, forKey: .param); try c.encode(code, forKey: .code)
        }
        enum CodingKeys: String, CodingKey { case message, type, param, code }
    }
    let error: Detail
}

struct OpenAIModelList: ResponseEncodable, Sendable {
    struct Model: Encodable, Sendable {
        let id: String
        let object = "model"
        let created: Int
        let owned_by: String
        /// Hyperion extra: the RAG model's display name.
        let name: String
    }
    let object = "list"
    let data: [Model]
}

struct OpenAIUsage: Encodable, Sendable {
    let prompt_tokens: Int
    let completion_tokens: Int
    let total_tokens: Int
    init(_ usage: TokenUsage?) {
        prompt_tokens = usage?.promptTokens ?? 0; completion_tokens = usage?.completionTokens ?? 0; total_tokens = prompt_tokens + completion_tokens
    }
}

struct OpenAIChatCompletion: ResponseEncodable, Sendable {
    struct Choice: Encodable, Sendable {
        struct Message: Encodable, Sendable { let role = "assistant"; let content: String }
        let index = 0
        let message: Message
        let finish_reason = "stop"
    }
    let id: String
    let object = "chat.completion"
    let created: Int
    let model: String
    let choices: [Choice]
    let usage: OpenAIUsage
    /// Hyperion extras: what was retrieved, and what the answer cites.
    let sources: [SourceDTO]
    let citations: [SourceDTO]
    let query_id: String
}

struct OpenAIChunk: Encodable, Sendable {
    struct Choice: Encodable, Sendable {
        struct Delta: Encodable, Sendable {
            let role: String?
            let content: String?
        }
        let index = 0
        let delta: Delta
        let finish_reason: String?
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(index, forKey: .index); try c.encode(delta, forKey: .delta); try c.encode(finish_reason, forKey: .finish_reason)
        }
        enum CodingKeys: String, CodingKey { case index, delta, finish_reason }
    }
    let id: String
    let object = "chat.completion.chunk"
    let created: Int
    let model: String
    let choices: [Choice]
    var usage: OpenAIUsage?
    var sources: [SourceDTO]?
    var citations: [SourceDTO]?
}

struct OpenAIEmbeddingRequest: Decodable, Sendable {
    /// A string or a list of strings (token arrays are refused).
    struct Input: Decodable, Sendable {
        var texts: [String]
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) { texts = [text]; return }
            if let list = try? container.decode([String].self) { texts = list; return }
            throw HyperionError.invalid("input", "must be a string or a list of strings (token arrays are not supported)")
        }
    }
    var input: Input
    var model: String
    var encoding_format: String?
    var dimensions: Int?
}

struct OpenAIEmbeddingList: ResponseEncodable, Sendable {
    struct Item: Encodable, Sendable {
        enum Vector: Encodable, Sendable {
            case floats([Float])
            case base64(String)
            func encode(to encoder: any Encoder) throws {
                var c = encoder.singleValueContainer()
                switch self {
                case .floats(let v): try c.encode(v)
                case .base64(let s): try c.encode(s)
                }
            }
        }
        let object = "embedding"
        let index: Int
        let embedding: Vector
    }
    struct Usage: Encodable, Sendable { let prompt_tokens: Int; let total_tokens: Int }
    let object = "list"
    let data: [Item]
    let model: String
    let usage: Usage
}
