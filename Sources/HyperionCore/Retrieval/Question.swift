/// A question as asked of a knowledge base, checked once: 1 to ``maxCharacters`` characters, not blank. The limits
/// here are the only copy: services validate with them and the OpenAPI document publishes them.
public struct Question: Sendable, Hashable {
    /// Longest question, in characters.
    public static let maxCharacters = 4000
    /// Allowed results per retrieval.
    public static let topKRange = 1...100

    /// The question as asked.
    public let text: String

    /// Validates `text`.
    /// - Throws: ``HyperionError`` (validation, field `field`) when it is empty, blank or too long.
    public init(_ text: String, field: String = "query") throws {
        guard (1...Self.maxCharacters).contains(text.count), text.contains(where: { !$0.isWhitespace }) else {
            throw HyperionError.invalid(field, "must be 1 to \(Self.maxCharacters) characters and not blank")
        }
        self.text = text
    }

    /// Checks a requested number of results.
    /// - Throws: ``HyperionError`` (validation, field `field`) outside ``topKRange``.
    public static func validate(topK: Int, field: String = "top_k") throws {
        guard topKRange.contains(topK) else {
            throw HyperionError.invalid(field, "must be from \(topKRange.lowerBound) to \(topKRange.upperBound)")
        }
    }

    /// Whether a rewritten question (an LLM's standalone version of a follow-up) is usable.
    public static func isUsable(_ text: String) -> Bool { (1...maxCharacters).contains(text.count) }

    /// The last ``maxCharacters`` characters of `text`, so a joined follow-up stays a valid question.
    public static func clipped(_ text: String) -> String { String(text.suffix(maxCharacters)) }
}
