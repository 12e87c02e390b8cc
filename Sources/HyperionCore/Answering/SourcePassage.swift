import Foundation

/// A retrieved passage as shown to the answerer, numbered from 1 in the order it is given.
public struct SourcePassage: Sendable, Hashable {
    /// The number an answer cites it by (`[n]`).
    public var n: Int
    public var chunkID: String
    public var documentID: String
    /// Document title.
    public var title: String
    /// 1-based page, when the format has pages.
    public var page: Int?
    /// Enclosing headings, outermost first.
    public var headingPath: [String]
    public var text: String
    /// Retrieval score that ranked it.
    public var score: Double

    /// Creates a source.
    public init(n: Int, chunkID: String, documentID: String, title: String, page: Int? = nil, headingPath: [String] = [],
                text: String, score: Double) {
        self.n = n
        self.chunkID = chunkID
        self.documentID = documentID
        self.title = title
        self.page = page
        self.headingPath = headingPath
        self.text = text
        self.score = score
    }
}

/// A source an answer actually cites, with the piece of it worth showing.
public struct Citation: Sendable, Hashable {
    /// The marker number, `[n]`.
    public var n: Int
    public var source: SourcePassage
    /// A short excerpt of the source (at most about 300 characters).
    public var snippet: String
}

/// Finds `[n]` markers in generated text and maps them to sources.
public enum CitationMapper {
    /// Cited numbers in order of first appearance, each once. Accepts `[1]`, `[1][2]`, `[1, 2]` and
    /// `[1-3]`; numbers that name no source are ignored (a model may invent `[7]` with five sources).
    public static func markers(in text: String, sourceCount: Int) -> [Int] {
        var result: [Int] = []
        var seen = Set<Int>()
        func add(_ n: Int) {
            if n >= 1, n <= sourceCount, seen.insert(n).inserted { result.append(n) }
        }
        let scalars = Array(text.unicodeScalars)
        var i = 0
        while i < scalars.count {
            guard scalars[i] == "[" else { i += 1; continue }
            var j = i + 1
            while j < scalars.count, j - i <= 40, scalars[j] != "]", scalars[j] != "[" { j += 1 }
            guard j < scalars.count, scalars[j] == "]" else { i += 1; continue }
            let inside = String(String.UnicodeScalarView(scalars[(i + 1)..<j]))
            if let numbers = parseList(inside) { numbers.forEach(add) }
            i = j + 1
        }
        return result
    }

    /// `1`, `1, 2`, `1-3` → numbers; anything else (a link, `[a]`) → nil.
    static func parseList(_ inside: String) -> [Int]? {
        var numbers: [Int] = []
        for part in inside.split(separator: ",") {
            let item = part.trimmingCharacters(in: .whitespaces)
            let bounds = item.split(separator: "-", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if bounds.count == 1, let n = Int(bounds[0]), n > 0 {
                numbers.append(n)
            } else if bounds.count == 2, let low = Int(bounds[0]), let high = Int(bounds[1]), low > 0, low <= high, high - low < 20 {
                numbers.append(contentsOf: low...high)
            } else {
                return nil
            }
        }
        return numbers.isEmpty ? nil : numbers
    }

    /// The citations of `text` among `sources`, in order of first mention, with snippets.
    public static func citations(in text: String, sources: [SourcePassage]) -> [Citation] {
        let byNumber = Dictionary(sources.map { ($0.n, $0) }, uniquingKeysWith: { first, _ in first })
        return markers(in: text, sourceCount: sources.map(\.n).max() ?? 0).compactMap { n in
            byNumber[n].map { Citation(n: n, source: $0, snippet: snippet($0.text)) }
        }
    }

    /// The start of a passage, cut at a word boundary.
    public static func snippet(_ text: String, limit: Int = 300) -> String {
        let flat = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        guard flat.count > limit else { return flat }
        let cut = flat.prefix(limit)
        let end = cut.lastIndex(of: " ") ?? cut.endIndex
        return String(cut[..<end]) + "…"
    }
}
