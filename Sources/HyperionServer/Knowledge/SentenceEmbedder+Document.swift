import HyperionCore
import HyperionEmbedding

/// The in-process model chunks documents with its own WordPiece tokenizer.
extension SentenceEmbedder: DocumentEmbedder {
    /// Pieces that fit between `[CLS]` and `[SEP]`.
    public var maxTokens: Int { maxSequenceLength - 2 }

    public func tokenCount(_ text: String) -> Int { pieceCount(text) }
}
