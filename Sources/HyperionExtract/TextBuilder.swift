import HyperionCore

/// Assembles ``ExtractedText`` from paragraphs, headings and page starts, keeping offsets right.
///
/// Offsets count Characters of the final text. Every piece joins the text after a line break, and a grapheme
/// cluster never spans a line feed, so the count of the whole is the sum of the counts of the pieces and no
/// piece has to be counted twice.
struct TextBuilder {
    private(set) var text = ""
    private(set) var count = 0
    private(set) var pages: [ExtractedText.PageStart] = []
    private(set) var sections: [ExtractedText.SectionStart] = []
    private(set) var firstHeading: String?
    private var headingStack: [(level: Int, title: String)] = []

    /// The offset the next paragraph will start at.
    private var nextOffset: Int { text.isEmpty ? 0 : count + 2 }

    /// Appends a paragraph; whitespace at its ends is dropped, an empty one is skipped.
    /// Lines inside it stay; blank lines inside it are squeezed so it stays one paragraph.
    mutating func paragraph(_ raw: String) {
        let cleaned = Self.clean(raw)
        guard !cleaned.isEmpty else { return }
        append(cleaned)
    }

    /// Appends text that may hold several paragraphs (separated by blank lines) as they are.
    mutating func paragraphs(_ raw: String) {
        var current: [Substring] = []
        for line in raw.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.allSatisfy(\.isWhitespace) {
                if !current.isEmpty { paragraph(current.joined(separator: "\n")); current.removeAll() }
            } else {
                current.append(line)
            }
        }
        if !current.isEmpty { paragraph(current.joined(separator: "\n")) }
    }

    /// Starts a section with a heading at `level` (smaller is outer; any integers work) and appends the heading
    /// as its own paragraph. The path is the headings above it with smaller levels, then this one.
    mutating func heading(_ raw: String, level: Int) {
        let title = Self.collapseWhitespace(raw)
        guard !title.isEmpty else { return }
        while let last = headingStack.last, last.level >= level { headingStack.removeLast() }
        headingStack.append((level, title))
        if firstHeading == nil { firstHeading = title }
        sections.append(.init(headingPath: headingStack.map(\.title), offset: nextOffset))
        append(title)
    }

    /// Records that page `number` starts with the next paragraph.
    mutating func startPage(_ number: Int) {
        pages.append(.init(number: number, offset: nextOffset))
    }

    /// The result; `title` wins over the first heading.
    func build(title: String?) -> ExtractedText {
        let explicit = title.map(Self.collapseWhitespace).flatMap { $0.isEmpty ? nil : $0 }
        return ExtractedText(text: text, title: explicit ?? firstHeading, pages: pages, sections: sections)
    }

    private mutating func append(_ paragraph: String) {
        if !text.isEmpty {
            text += "\n\n"
            count += 2
        }
        text += paragraph
        count += paragraph.count
    }

    /// Trims each line's trailing whitespace and the paragraph's ends, and drops blank lines inside it.
    static func clean(_ raw: String) -> String {
        var lines: [Substring] = []
        for line in raw.split(separator: "\n", omittingEmptySubsequences: true) {
            var end = line.endIndex
            while end > line.startIndex, line[line.index(before: end)].isWhitespace { end = line.index(before: end) }
            if end > line.startIndex { lines.append(line[..<end]) }
        }
        guard !lines.isEmpty else { return "" }
        // Leading indentation of the first line is noise after extraction; indentation of later lines may be structure.
        lines[0] = lines[0].drop { $0.isWhitespace }
        return lines.joined(separator: "\n")
    }

    /// Runs of whitespace (line breaks included) become one space; ends trimmed.
    static func collapseWhitespace(_ raw: String) -> String {
        var out = ""
        out.reserveCapacity(raw.utf8.count)
        var pendingSpace = false
        for ch in raw {
            if ch.isWhitespace {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(" "); pendingSpace = false }
                out.append(ch)
            }
        }
        return out
    }
}
