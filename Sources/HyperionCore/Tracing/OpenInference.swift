import Tracing

/// The OpenInference attribute names (the semantic conventions Arize Phoenix reads), so spans show there as LLM,
/// retriever, embedding and chain steps with their inputs and outputs.
public enum OpenInference {
    /// What a span is, in `openinference.span.kind`.
    public enum Kind: String, Sendable {
        case llm = "LLM"
        case retriever = "RETRIEVER"
        case embedding = "EMBEDDING"
        case chain = "CHAIN"
    }

    public static let spanKind = "openinference.span.kind"
    public static let inputValue = "input.value"
    public static let inputMimeType = "input.mime_type"
    public static let outputValue = "output.value"
    public static let outputMimeType = "output.mime_type"
    public static let modelName = "llm.model_name"
    public static let provider = "llm.provider"
    public static let invocationParameters = "llm.invocation_parameters"
    public static let promptTokens = "llm.token_count.prompt"
    public static let completionTokens = "llm.token_count.completion"
    public static let totalTokens = "llm.token_count.total"
    public static let embeddingModelName = "embedding.model_name"
    public static let sessionID = "session.id"
    public static let userID = "user.id"

    /// `llm.input_messages.<i>.message.<field>` (`role` or `content`).
    public static func inputMessage(_ index: Int, _ field: String) -> String { "llm.input_messages.\(index).message.\(field)" }
    /// `llm.output_messages.<i>.message.<field>`.
    public static func outputMessage(_ index: Int, _ field: String) -> String { "llm.output_messages.\(index).message.\(field)" }
    /// `retrieval.documents.<i>.document.<field>` (`id`, `score`, `content`, `metadata`).
    public static func document(_ index: Int, _ field: String) -> String { "retrieval.documents.\(index).document.\(field)" }
    /// `embedding.embeddings.<i>.embedding.text`.
    public static func embeddingText(_ index: Int) -> String { "embedding.embeddings.\(index).embedding.text" }
}
