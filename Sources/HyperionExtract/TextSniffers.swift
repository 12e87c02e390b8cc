import Foundation
import HyperionCore

/// Tells HTML from other text by its leading declaration or by how much of it is common HTML tags.
enum HTMLSniffer {
    /// Tag names that mark text as HTML when they appear as tags.
    static let commonTags: Set<String> = [
        "html", "head", "body", "title", "meta", "link", "script", "style", "div", "span", "p", "a", "img", "br", "hr",
        "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "table", "thead", "tbody", "tr", "td", "th",
        "section", "article", "main", "nav", "header", "footer", "aside", "form", "input", "button", "label", "select",
        "strong", "em", "b", "i", "u", "code", "pre", "blockquote", "iframe", "center", "font", "small", "sup", "sub",
        "figure", "figcaption", "noscript", "template", "svg", "video", "audio", "source", "textarea", "caption",
    ]

    /// Whether `text` is an HTML document or fragment.
    static func isHTML(_ text: String) -> Bool {
        let sample = Array(text.utf8.prefix(65_536))
        var i = skipProlog(sample)
        if startsWith(sample, at: i, "<!doctype html") || (startsWith(sample, at: i, "<html")
                                                          && (i + 5 >= sample.count || [0x20, 0x3E, 0x0A, 0x09, 0x0D, 0x2F].contains(sample[i + 5]))) {
            return true
        }
        var opening = 0, closing = 0
        var firstIsTag = false
        var first = true
        i = 0
        var lineHasTag = false, tagLines = 0, lines = 0
        while i < sample.count {
            let b = sample[i]
            if b == 0x0A {
                if lineHasTag { tagLines += 1 }
                lines += 1
                lineHasTag = false
            } else if b == 0x3C, let (name, isClosing) = tagName(sample, at: i) {  // '<'
                if commonTags.contains(name) {
                    if isClosing { closing += 1 } else { opening += 1 }
                    if first { firstIsTag = i == skipProlog(sample) }
                    first = false
                    lineHasTag = true
                }
            }
            i += 1
        }
        if lineHasTag { tagLines += 1 }
        lines += 1
        let tags = opening + closing
        let structured = (firstIsTag && tags >= 2 && closing >= 1) || (tags >= 6 && closing >= 2 && tagLines * 10 >= lines * 3)
        guard structured else { return false }
        // A README that opens with a centred <p>/<h1> block and then is Markdown stays Markdown.
        let markdown = MarkdownSniffer.signals(text)
        return !(markdown.strong >= 2 && markdown.strong * 2 >= tags)
    }

    /// Skips whitespace, an XML declaration and comments at the start.
    private static func skipProlog(_ s: [UInt8]) -> Int {
        var i = 0
        while true {
            while i < s.count, s[i] == 0x20 || s[i] == 0x0A || s[i] == 0x09 || s[i] == 0x0D { i += 1 }
            if startsWith(s, at: i, "<?") {
                guard let end = find(s, ">", from: i) else { return i }
                i = end + 1
            } else if startsWith(s, at: i, "<!--") {
                guard let end = find(s, "-->", from: i + 4) else { return i }
                i = end + 3
            } else {
                return i
            }
        }
    }

    /// The lowercased name of the tag starting at `i` (`<name` or `</name` followed by space, `>` or `/`).
    static func tagName(_ s: [UInt8], at i: Int) -> (String, Bool)? {
        var j = i + 1
        var closing = false
        if j < s.count, s[j] == 0x2F { closing = true; j += 1 }
        let start = j
        while j < s.count, j - start < 16, isAlnum(s[j]) { j += 1 }
        guard j > start, j < s.count, isLetter(s[start]) else { return nil }
        let next = s[j]
        guard next == 0x3E || next == 0x20 || next == 0x2F || next == 0x0A || next == 0x09 || next == 0x0D else { return nil }
        return (String(decoding: s[start..<j].map { $0 | 0x20 }, as: UTF8.self), closing)
    }

    static func startsWith(_ s: [UInt8], at i: Int, _ prefix: String) -> Bool {
        var k = i
        for p in prefix.utf8 {
            guard k < s.count else { return false }
            let c = s[k] >= 0x41 && s[k] <= 0x5A ? s[k] | 0x20 : s[k]
            guard c == p else { return false }
            k += 1
        }
        return true
    }

    static func find(_ s: [UInt8], _ needle: String, from: Int) -> Int? {
        let n = Array(needle.utf8)
        guard !n.isEmpty, s.count >= n.count else { return nil }
        var i = from
        while i + n.count <= s.count {
            if s[i] == n[0], s[i..<(i + n.count)].elementsEqual(n) { return i }
            i += 1
        }
        return nil
    }

    static func isLetter(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) }
    static func isAlnum(_ b: UInt8) -> Bool { isLetter(b) || (b >= 0x30 && b <= 0x39) }
}

/// Tells Markdown from plain text by counting the constructs Markdown has and prose rarely does.
enum MarkdownSniffer {
    /// How strongly a text looks like Markdown.
    struct Signals {
        /// Constructs plain text almost never has: ATX or `===` headings, fences, `[text](url)` links, table rules.
        var strong = 0
        /// Kinds of constructs plain text sometimes has too (lists, `**bold**`, `` `code` ``, `> quotes`), counted once each.
        var weakKinds = 0
    }

    /// Markdown when the content says so; when it is ambiguous, the `.md`/`.markdown` extension decides.
    static func classify(_ text: String, filename: String?) -> DocumentFormat {
        if text.hasPrefix("#!") { return .text }  // a script, whose comments would look like headings
        let s = signals(text)
        if s.strong >= 2 || (s.strong >= 1 && s.weakKinds >= 1) || s.weakKinds >= 2 { return .markdown }
        let ext = filename.flatMap { name -> String? in
            guard let dot = name.lastIndex(of: ".") else { return nil }
            return name[name.index(after: dot)...].lowercased()
        }
        if let ext, ["md", "markdown", "mdown", "mkd"].contains(ext) { return .markdown }
        return .text
    }

    /// Counts Markdown constructs in the first 256 KB.
    static func signals(_ text: String) -> Signals {
        var result = Signals()
        var lists = 0, emphasis = false, code = false, quote = false, setextDash = false
        let lines = text.utf8.prefix(262_144).split(separator: 0x0A, omittingEmptySubsequences: false).prefix(5000)
            .map { Substring(decoding: $0, as: UTF8.self) }
        var sawContent = false
        var previousBlank = true
        for (index, line) in lines.enumerated() {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            let indent = line.count - trimmed.count
            defer {
                previousBlank = trimmed.isEmpty
                if !trimmed.isEmpty { sawContent = true }
            }
            guard !trimmed.isEmpty else { continue }
            if indent <= 3, let level = atxLevel(trimmed) {
                // `# ` lines next to each other are a comment block (shell, Python, YAML), not headings.
                let neighbourIsComment = [index - 1, index + 1].contains { k in
                    k >= 0 && k < lines.count && lines[k].hasPrefix("# ")
                }
                if !(level == 1 && neighbourIsComment) { result.strong += sawContent ? 1 : 2 }
                continue
            }
            if indent <= 3, trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") { result.strong += 1; continue }
            if !previousBlank, indent <= 3, trimmed.count >= 3, trimmed.allSatisfy({ $0 == "=" }) { result.strong += 1; continue }
            if !previousBlank, indent <= 3, trimmed.count >= 3, trimmed.allSatisfy({ $0 == "-" }) { setextDash = true; continue }
            if isTableRule(trimmed) { result.strong += 1; continue }
            if hasLink(trimmed) { result.strong += 1 }
            if isListItem(trimmed) { lists += 1 }
            if trimmed.hasPrefix("> ") || trimmed == ">" { quote = true }
            if hasPaired(trimmed, "**") || hasPaired(trimmed, "__") { emphasis = true }
            if hasPaired(trimmed, "`") { code = true }
        }
        result.weakKinds = (lists >= 2 ? 1 : 0) + (emphasis ? 1 : 0) + (code ? 1 : 0) + (quote ? 1 : 0) + (setextDash ? 1 : 0)
        return result
    }

    /// The level of an ATX heading line (`#` to `######`, then a space and text).
    static func atxLevel(_ line: Substring) -> Int? {
        let hashes = line.prefix { $0 == "#" }.count
        guard (1...6).contains(hashes) else { return nil }
        let rest = line.dropFirst(hashes)
        guard let first = rest.first, first == " " || first == "\t" else { return nil }
        return rest.contains { !$0.isWhitespace && $0 != "#" } ? hashes : nil
    }

    /// `- item`, `* item`, `+ item`, `1. item`, `1) item`.
    static func isListItem(_ line: Substring) -> Bool {
        if let first = line.first, "-*+".contains(first) {
            let rest = line.dropFirst()
            return rest.first == " " && rest.contains { !$0.isWhitespace }
        }
        let digits = line.prefix { $0.isASCII && $0.isNumber }
        guard (1...9).contains(digits.count) else { return false }
        let rest = line.dropFirst(digits.count)
        guard let marker = rest.first, marker == "." || marker == ")" else { return false }
        return rest.dropFirst().first == " "
    }

    /// `|---|:---:|` or `--- | ---`.
    static func isTableRule(_ line: Substring) -> Bool {
        guard line.contains("|"), line.contains("---") else { return false }
        return line.allSatisfy { "|-: \t".contains($0) }
    }

    /// `[text](target)` somewhere in the line.
    static func hasLink(_ line: Substring) -> Bool {
        guard let mid = line.range(of: "](") else { return false }
        guard line[..<mid.lowerBound].contains("[") else { return false }
        let after = line[mid.upperBound...]
        guard let close = after.firstIndex(of: ")") else { return false }
        return close > after.startIndex && !after[after.startIndex].isWhitespace
    }

    private static func hasPaired(_ line: Substring, _ marker: String) -> Bool {
        guard let first = line.range(of: marker) else { return false }
        let rest = line[first.upperBound...]
        guard let second = rest.range(of: marker) else { return false }
        return second.lowerBound > rest.startIndex
    }
}
