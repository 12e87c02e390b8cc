/// Cuts a long text into overlapping word windows that each fit a model's token budget, so an embedding
/// model with a short window (MiniLM: 256 pieces) still sees the whole text.
public struct PassageWindows: Sendable {
    /// Word pieces a window may hold (the model's limit minus `[CLS]`/`[SEP]` and the prefix).
    public var budget: Int
    /// Share of a window repeated at the start of the next (0 ..< 1).
    public var overlap: Double

    /// Creates a splitter.
    public init(budget: Int, overlap: Double = 0.25) {
        self.budget = max(8, budget)
        self.overlap = min(max(0, overlap), 0.9)
    }

    /// The windows of `text`; `pieces` counts a string's word pieces. A text that fits is one window.
    public func split(_ text: String, pieces: (String) -> Int) -> [String] {
        let total = pieces(text)
        if total <= budget { return [text] }
        let words = text.split(whereSeparator: \.isWhitespace)
        guard words.count > 1 else { return [text] }
        // Size windows by the text's own pieces-per-word rate, with a margin, then verify and shrink.
        var size = max(1, Int(Double(budget) * 0.95 * Double(words.count) / Double(total)))
        while size > 1, pieces(words[0..<min(size, words.count)].joined(separator: " ")) > budget { size = size * 9 / 10 }
        let stride = max(1, Int(Double(size) * (1 - overlap)))
        var windows: [String] = []
        var start = 0
        while start < words.count {
            let end = min(start + size, words.count)
            windows.append(words[start..<end].joined(separator: " "))
            if end == words.count { break }
            start += stride
        }
        return windows
    }
}
