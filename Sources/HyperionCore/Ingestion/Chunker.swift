import Foundation
/// Counts a text's tokens as the embedding model sees them (without its special tokens).
public protocol TokenCounter: Sendable {
    /// Tokens in `text`.
    func tokenCount(_ text: String) -> Int
}

/// A chunk before it is embedded.
public struct ChunkDraft: Sendable, Equatable {
    public var ordinal: Int
    public var text: String
    public var page: Int?
    public var headingPath: [String]
    public var startOffset: Int
    public var endOffset: Int
    public var tokenCount: Int
}

/// Cuts extracted text into chunks of at most `sizeTokens` model tokens, preferring paragraph, then
/// sentence, then word boundaries, and repeating about `overlapTokens` tokens of whole pieces between
/// neighbours. A chunk never spans a page or section start, so its page and heading path are exact for
/// citations. WordPiece counts add up over whitespace-separated pieces, so a chunk's count is exact.
public struct Chunker: Sendable {
    public let settings: ChunkingSettings
    public let counter: any TokenCounter

    public init(settings: ChunkingSettings, counter: any TokenCounter) {
        self.settings = settings
        self.counter = counter
    }

    /// A run of text that is never split further, with its character range and token count.
    struct Piece {
        var start: Int
        var end: Int
        var tokens: Int
        /// A paragraph ends after this piece.
        var endsParagraph: Bool
        /// A page or section starts with this piece: no chunk reaches back over it.
        var startsSection = false
    }

    /// The chunks of `document`, in order.
    public func chunks(of document: ExtractedText) -> [ChunkDraft] {
        let characters = Array(document.text)
        var pieces = self.pieces(characters)
        guard !pieces.isEmpty else { return [] }
        let boundaries = (document.pages.map(\.offset) + document.sections.map(\.offset)).filter { $0 > 0 }.sorted()
        // Pieces and boundaries are both in order: one walk over each (a document may have 100,000 headings).
        var b = 0
        for i in pieces.indices.dropFirst() where b < boundaries.count {
            let lower = pieces[i - 1].start, upper = pieces[i].start
            while b < boundaries.count, boundaries[b] <= lower { b += 1 }
            pieces[i].startsSection = b < boundaries.count && boundaries[b] <= upper
        }
        let locator = ExtractedText.Locator(document)
        var drafts: [ChunkDraft] = []
        var first = 0
        while first < pieces.count {
            var last = first
            var tokens = pieces[first].tokens
            while last + 1 < pieces.count, !pieces[last + 1].startsSection, tokens + pieces[last + 1].tokens <= settings.sizeTokens {
                last += 1
                tokens += pieces[last].tokens
            }
            // End at the last paragraph break in the window when one keeps the chunk at least half full.
            if last + 1 < pieces.count, !pieces[last].endsParagraph, !pieces[last + 1].startsSection {
                var sum = tokens
                var candidate = last
                while candidate > first {
                    sum -= pieces[candidate].tokens
                    candidate -= 1
                    if pieces[candidate].endsParagraph {
                        if sum >= settings.sizeTokens / 2 { last = candidate; tokens = sum }
                        break
                    }
                }
            }
            let start = pieces[first].start, end = pieces[last].end
            let text = String(characters[start..<end]).trimmingCharacters(in: .whitespacesAndNewlines)
            drafts.append(ChunkDraft(ordinal: drafts.count, text: text, page: locator.page(at: start),
                                     headingPath: locator.headingPath(at: start), startOffset: start, endOffset: end, tokenCount: tokens))
            if last + 1 >= pieces.count { break }
            // Step back over whole pieces worth up to the overlap, always moving forward.
            var next = last + 1
            var overlap = 0
            while next - 1 > first, !pieces[next].startsSection, overlap + pieces[next - 1].tokens <= settings.overlapTokens {
                next -= 1
                overlap += pieces[next].tokens
            }
            first = next
        }
        return drafts
    }

    /// Characters one cut of an over-long word may span: enough for a full window even at four characters a token.
    var longestCut: Int { max(64, settings.sizeTokens * 4) }

    /// Sentences (or words, for an over-long sentence) with their paragraph ends.
    func pieces(_ characters: [Character]) -> [Piece] {
        var pieces: [Piece] = []
        for paragraph in Self.paragraphs(characters) {
            let sentences = Self.sentences(characters, in: paragraph)
            for (i, sentence) in sentences.enumerated() {
                let text = String(characters[sentence])
                let tokens = counter.tokenCount(text)
                let last = i == sentences.count - 1
                if tokens <= settings.sizeTokens {
                    if tokens > 0 { pieces.append(Piece(start: sentence.lowerBound, end: sentence.upperBound, tokens: tokens, endsParagraph: last)) }
                    continue
                }
                let words = Self.words(characters, in: sentence)
                for (j, word) in words.enumerated() {
                    // A single "word" longer than the window (e.g. a base64 blob) is cut by characters. Each cut
                    // looks at most `longestCut` characters ahead, so a word of any length costs time linear in
                    // its length (counting the whole rest of the word for every cut was quadratic).
                    var range = word
                    while !range.isEmpty {
                        var end = min(range.upperBound, range.lowerBound + longestCut)
                        var count = counter.tokenCount(String(characters[range.lowerBound..<end]))
                        while count > settings.sizeTokens, end - range.lowerBound > 1 {
                            end = range.lowerBound + (end - range.lowerBound) / 2
                            count = counter.tokenCount(String(characters[range.lowerBound..<end]))
                        }
                        if count > 0 {
                            pieces.append(Piece(start: range.lowerBound, end: end, tokens: count,
                                                endsParagraph: last && j == words.count - 1 && end == range.upperBound))
                        }
                        range = end..<range.upperBound
                    }
                }
            }
        }
        return pieces
    }

    /// Character ranges of paragraphs (text between blank lines), trimmed.
    static func paragraphs(_ c: [Character]) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var start = 0
        var i = 0
        func flush(_ end: Int) {
            var s = start, e = end
            while s < e, c[s].isWhitespace { s += 1 }
            while e > s, c[e - 1].isWhitespace { e -= 1 }
            if s < e { result.append(s..<e) }
        }
        while i < c.count {
            if c[i].isNewline {
                var j = i + 1
                while j < c.count, c[j].isWhitespace, !c[j].isNewline { j += 1 }
                if j < c.count, c[j].isNewline {
                    flush(i)
                    while j < c.count, c[j].isWhitespace { j += 1 }
                    start = j
                    i = j
                    continue
                }
            }
            i += 1
        }
        flush(c.count)
        return result
    }

    /// Sentence ranges in a paragraph: ends at . ! ? (and closing quotes/brackets) followed by whitespace.
    static func sentences(_ c: [Character], in range: Range<Int>) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var start = range.lowerBound
        var i = range.lowerBound
        while i < range.upperBound {
            if c[i] == "." || c[i] == "!" || c[i] == "?" || c[i] == "。" {
                var j = i + 1
                while j < range.upperBound, "\"')]»”’".contains(c[j]) { j += 1 }
                if j == range.upperBound || c[j].isWhitespace {
                    result.append(start..<j)
                    while j < range.upperBound, c[j].isWhitespace { j += 1 }
                    start = j
                    i = j
                    continue
                }
            }
            i += 1
        }
        if start < range.upperBound { result.append(start..<range.upperBound) }
        return result
    }

    /// Word ranges (whitespace-separated) in a sentence.
    static func words(_ c: [Character], in range: Range<Int>) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var i = range.lowerBound
        while i < range.upperBound {
            while i < range.upperBound, c[i].isWhitespace { i += 1 }
            let start = i
            while i < range.upperBound, !c[i].isWhitespace { i += 1 }
            if start < i { result.append(start..<i) }
        }
        return result
    }
}
