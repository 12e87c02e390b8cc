import Foundation
import HyperionCore

/// Extracts text from Markdown, lightly: the words stay, the markup goes.
///
/// ATX (`#`) and setext (`===`/`---` underlined) headings start sections whose heading paths nest by level.
/// Emphasis markers, link syntax (the link text stays), image syntax (the alt text stays), inline-code backticks,
/// bullet markers, block-quote markers, table borders and rules, reference definitions, HTML comments and known
/// inline HTML tags are removed; ordered-list numbers stay (they often carry meaning: "step 3"). Fenced and indented
/// code is kept as it is. YAML front matter is skipped, but its `title:` becomes the title. Every pass is linear
/// in the input, so hostile input (thousands of `[` or backticks) cannot make it slow.
enum MarkdownExtractor {
    static func extract(_ markdown: String) -> ExtractedText {
        var lines = markdown.split(separator: "\n", omittingEmptySubsequences: false)
        let title = frontMatterTitle(&lines)
        var parser = BlockParser()
        for line in lines { parser.line(line) }
        parser.finish()
        return parser.builder.build(title: title)
    }

    /// Removes YAML front matter (`---` … `---` at the very top) and returns its `title:` value.
    static func frontMatterTitle(_ lines: inout [Substring]) -> String? {
        guard lines.first.map({ $0.trimmingTrailingSpaces() == "---" }) == true else { return nil }
        guard let end = lines.prefix(200).indices.dropFirst().first(where: {
            let l = lines[$0].trimmingTrailingSpaces()
            return l == "---" || l == "..."
        }) else { return nil }
        // Only YAML-looking lines (`key: value`, list items, indented values, comments) make front matter; otherwise
        // the `---` lines are rules or setext underlines in a document that merely starts with one.
        let yamlish = lines[1..<end].allSatisfy { line in
            let body = line.trimmingTrailingSpaces()
            guard let first = body.first else { return true }
            if first == " " || first == "\t" || first == "-" || first == "#" { return true }
            guard let colon = body.firstIndex(of: ":") else { return false }
            return body[..<colon].allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
        }
        guard yamlish else { return nil }
        var title: String?
        for line in lines[1..<end] where line.hasPrefix("title:") {
            var value = line.dropFirst("title:".count).trimmingTrailingSpaces().drop { $0 == " " }
            if value.count >= 2, let q = value.first, q == "\"" || q == "'", value.last == q {
                value = value.dropFirst().dropLast()
            }
            if !value.isEmpty { title = String(value) }
        }
        lines.removeSubrange(0...end)
        return title
    }

    private enum LineKind { case text, code, tableRow }

    private struct BlockParser {
        var builder = TextBuilder()
        var paragraph: [(text: Substring, kind: LineKind)] = []
        var fence: (char: Character, length: Int, indent: Int)?
        var inTable = false
        var inComment = false

        mutating func line(_ raw: Substring) {
            let expanded = raw.contains("\t") ? Substring(raw.replacingOccurrences(of: "\t", with: "    ")) : raw
            let body = expanded.drop { $0 == " " }
            let indent = expanded.count - body.count

            if let open = fence {
                if indent <= 3, body.first == open.char {
                    let run = body.prefix { $0 == open.char }.count
                    if run >= open.length, body.dropFirst(run).allSatisfy(\.isWhitespace) {
                        flush()
                        fence = nil
                        return
                    }
                }
                paragraph.append((Substring(expanded.dropFirst(min(open.indent, indent))), .code))
                return
            }
            if inComment {
                if raw.contains("-->") { inComment = false }
                return
            }
            if body.isEmpty {
                flush()
                return
            }
            if indent <= 3, let first = body.first, first == "`" || first == "~" {
                let run = body.prefix { $0 == first }.count
                if run >= 3, first == "~" || !body.dropFirst(run).contains("`") {
                    flush()
                    fence = (first, run, indent)
                    return
                }
            }
            if indent >= 4, paragraph.isEmpty || paragraph.last?.kind == .code {
                paragraph.append((Substring(expanded.dropFirst(4)), .code))
                return
            }
            if indent <= 3, let level = MarkdownSniffer.atxLevel(body) {
                flush()
                var text = body.dropFirst(level).trimmingTrailingSpaces()
                // A closing run of '#' after a space is decoration.
                let closing = text.reversed().prefix { $0 == "#" }.count
                if closing > 0, closing < text.count, text.dropLast(closing).last == " " { text = text.dropLast(closing) }
                builder.heading(MarkdownInline.strip(String(text)), level: level)
                return
            }
            if indent <= 3, let underline = body.first, underline == "=" || underline == "-",
               body.trimmingTrailingSpaces().allSatisfy({ $0 == underline }), body.trimmingTrailingSpaces().count >= 2,
               !paragraph.isEmpty, paragraph.allSatisfy({ $0.kind == .text }),
               !paragraph.contains(where: { MarkdownSniffer.isListItem($0.text.drop { $0 == " " }) }) {
                let text = paragraph.map { MarkdownInline.strip(String($0.text)) }.joined(separator: " ")
                paragraph.removeAll()
                builder.heading(text, level: underline == "=" ? 1 : 2)
                return
            }
            if indent <= 3, isThematicBreak(body) {
                flush()
                return
            }
            if MarkdownSniffer.isTableRule(body) {
                if let last = paragraph.last, last.text.contains("|") {
                    paragraph[paragraph.count - 1].kind = .tableRow
                    inTable = true
                }
                return
            }
            if indent <= 3, body.hasPrefix("<!--") {
                if !body.contains("-->") { inComment = true }
                return
            }
            if indent <= 3, isReferenceDefinition(body) { return }
            if inTable, body.contains("|") {
                paragraph.append((body, .tableRow))
                return
            }
            inTable = false
            var content = body
            // Block quotes: the markers go, the words stay.
            while content.first == ">" {
                content = content.dropFirst().drop { $0 == " " }
            }
            if content.isEmpty {
                flush()
                return
            }
            // Bullets go; ordered-list numbers stay.
            if let first = content.first, "-*+".contains(first), MarkdownSniffer.isListItem(content) {
                content = content.dropFirst().drop { $0 == " " }
            }
            paragraph.append((content, .text))
        }

        mutating func finish() {
            flush()
        }

        mutating func flush() {
            defer {
                paragraph.removeAll()
                inTable = false
            }
            guard !paragraph.isEmpty else { return }
            if paragraph.allSatisfy({ $0.kind == .code }) {
                builder.paragraph(paragraph.map { String($0.text) }.joined(separator: "\n"))
                return
            }
            let rendered = paragraph.map { line -> String in
                switch line.kind {
                case .code: String(line.text)
                case .tableRow: MarkdownInline.tableRow(line.text)
                case .text: MarkdownInline.strip(String(line.text))
                }
            }
            builder.paragraph(rendered.joined(separator: "\n"))
        }

        func isThematicBreak(_ body: Substring) -> Bool {
            guard let first = body.first, "*-_".contains(first) else { return false }
            let marks = body.filter { $0 == first }.count
            return marks >= 3 && body.allSatisfy { $0 == first || $0 == " " }
        }

        /// `[label]: https://…` lines define link targets and are not text.
        func isReferenceDefinition(_ body: Substring) -> Bool {
            guard body.first == "[", let close = body.firstIndex(of: "]"), close > body.index(after: body.startIndex) else { return false }
            let after = body[body.index(after: close)...]
            guard after.first == ":" else { return false }
            let target = after.dropFirst().drop { $0 == " " }
            return (!target.isEmpty && !target.contains(" ")) || target.contains("://") || target.hasPrefix("<")
        }
    }
}

/// Inline Markdown stripping: emphasis, links, images, code spans, escapes, autolinks, inline HTML tags.
enum MarkdownInline {
    /// Tags removed from inline text; other `<words>` are kept as text (often placeholders like `<name>`).
    private static let htmlTags: Set<String> = HTMLSniffer.commonTags.union(["kbd", "mark", "del", "ins", "s", "abbr", "cite",
                                                                               "details", "summary", "picture", "q", "var", "samp"])

    /// A table row's cells joined with " | ", without the outer borders.
    static func tableRow(_ row: Substring) -> String {
        var trimmed = row.drop { $0 == " " }.trimmingTrailingSpaces()
        if trimmed.first == "|" { trimmed = trimmed.dropFirst() }
        if trimmed.last == "|", !trimmed.hasSuffix("\\|") { trimmed = trimmed.dropLast() }
        var cells: [String] = []
        var current = ""
        var escaped = false
        for ch in trimmed {
            if escaped { current.append(ch); escaped = false; continue }
            if ch == "\\" { escaped = true; current.append(ch); continue }
            if ch == "|" { cells.append(current); current = "" } else { current.append(ch) }
        }
        cells.append(current)
        return cells.map { strip($0).trimming(" \t") }.joined(separator: " | ")
    }

    /// `line` without inline markup.
    static func strip(_ line: String) -> String {
        let c = Array(line)
        let n = c.count
        guard c.contains(where: { "*_~`[]!<\\".contains($0) }) else { return line }
        // What each position is: text to keep, markup to drop, or literal (code, escaped) that no later pass may touch.
        var role = [Role](repeating: .text, count: n)

        // 1. Code spans: a run of N backticks up to the next run of exactly N.
        var runs: [(start: Int, length: Int)] = []
        var k = 0
        while k < n {
            if c[k] == "`", k == 0 || c[k - 1] != "\\" || (k >= 2 && c[k - 2] == "\\") {
                let start = k
                while k < n, c[k] == "`" { k += 1 }
                runs.append((start, k - start))
            } else {
                k += 1
            }
        }
        var nextSame = [Int?](repeating: nil, count: runs.count)
        var lastByLength: [Int: Int] = [:]
        for r in runs.indices.reversed() {
            nextSame[r] = lastByLength[runs[r].length]
            lastByLength[runs[r].length] = r
        }
        var r = 0
        while r < runs.count {
            guard let m = nextSame[r] else { r += 1; continue }
            let open = runs[r], close = runs[m]
            for p in open.start..<(open.start + open.length) { role[p] = .markup }
            for p in (open.start + open.length)..<close.start { role[p] = .literal }
            for p in close.start..<(close.start + close.length) { role[p] = .markup }
            r = m + 1
        }

        // 2. Backslash escapes of ASCII punctuation.
        k = 0
        while k < n {
            if role[k] == .text, c[k] == "\\", k + 1 < n, role[k + 1] == .text, c[k + 1].isASCII, c[k + 1].isPunctuation || c[k + 1].isSymbol {
                role[k] = .markup
                role[k + 1] = .literal
                k += 2
            } else {
                k += 1
            }
        }

        // 3. Links and images: [text](target), [text][ref], ![alt](src). Brackets and parentheses are matched with stacks.
        var bracketMatch = [Int](repeating: -1, count: n)
        var parenMatch = [Int](repeating: -1, count: n)
        var brackets: [Int] = [], parens: [Int] = []
        for p in 0..<n where role[p] == .text {
            switch c[p] {
            case "[": brackets.append(p)
            case "]": if let o = brackets.popLast() { bracketMatch[o] = p }
            case "(": parens.append(p)
            case ")": if let o = parens.popLast() { parenMatch[o] = p }
            default: break
            }
        }
        // Nested links give nested ranges: `unmarked` skips positions already marked, so each is marked once and the
        // pass stays linear (marking every range in full was quadratic in the nesting depth).
        var unmarked = UnmarkedPositions(count: n)
        for p in 0..<n where role[p] == .text && c[p] == "[" && bracketMatch[p] > p {
            let close = bracketMatch[p]
            let target: Int
            if close + 1 < n, c[close + 1] == "(", parenMatch[close + 1] > close {
                target = parenMatch[close + 1]
            } else if close + 1 < n, c[close + 1] == "[", bracketMatch[close + 1] > close {
                target = bracketMatch[close + 1]
            } else {
                continue
            }
            guard role[close] == .text else { continue }
            role[p] = .markup
            var q = unmarked.first(from: close)
            while q <= target {
                role[q] = .markup
                unmarked.mark(q)
                q = unmarked.first(from: q + 1)
            }
            if p > 0, c[p - 1] == "!", role[p - 1] == .text { role[p - 1] = .markup }
        }

        // 4. Autolinks <https://…> keep their address; known HTML tags go.
        k = 0
        while k < n {
            guard role[k] == .text, c[k] == "<" else { k += 1; continue }
            var j = k + 1
            while j < n, c[j] != ">", c[j] != "<", c[j] != "\n" { j += 1 }
            guard j < n, c[j] == ">" else { k = j; continue }
            let inner = String(c[(k + 1)..<j])
            if isAutolink(inner) {
                role[k] = .markup
                role[j] = .markup
            } else {
                let name = inner.drop { $0 == "/" }.prefix { $0.isLetter || $0.isNumber }.lowercased()
                if htmlTags.contains(name) || inner.hasPrefix("!--") {
                    for q in k...j { role[q] = .markup }
                }
            }
            k = j + 1
        }

        // 5. Emphasis: delimiter runs of * _ ~ that open and close in pairs (flanking rules simplified from CommonMark).
        var openers: [Character: [Int]] = [:]
        var runStarts: [(start: Int, length: Int)] = []
        k = 0
        while k < n {
            guard role[k] == .text, c[k] == "*" || c[k] == "_" || c[k] == "~" else { k += 1; continue }
            let ch = c[k]
            let start = k
            while k < n, c[k] == ch, role[k] == .text { k += 1 }
            let length = k - start
            if ch == "~", length != 2 { continue }
            let before: Character = start > 0 ? c[start - 1] : " "
            let after: Character = k < n ? c[k] : " "
            let leftFlanking = !after.isWhitespace && (!isPunct(after) || before.isWhitespace || isPunct(before))
            let rightFlanking = !before.isWhitespace && (!isPunct(before) || after.isWhitespace || isPunct(after))
            let canOpen = ch == "_" ? leftFlanking && (!rightFlanking || isPunct(before)) : leftFlanking
            let canClose = ch == "_" ? rightFlanking && (!leftFlanking || isPunct(after)) : rightFlanking
            runStarts.append((start, length))
            let index = runStarts.count - 1
            if canClose, let opener = openers[ch]?.popLast() {
                for q in runStarts[opener].start..<(runStarts[opener].start + runStarts[opener].length) { role[q] = .markup }
                for q in start..<k { role[q] = .markup }
            } else if canOpen {
                openers[ch, default: []].append(index)
            }
        }

        var out = ""
        out.reserveCapacity(line.utf8.count)
        for p in 0..<n where role[p] != .markup { out.append(c[p]) }
        return out
    }

    private enum Role: UInt8 { case text, markup, literal }

    /// `scheme:anything-without-spaces` or `user@host`: what CommonMark shows as a link between `<` and `>`.
    static func isAutolink(_ inner: String) -> Bool {
        guard !inner.isEmpty, !inner.contains(where: \.isWhitespace) else { return false }
        if let colon = inner.firstIndex(of: ":") {
            let scheme = inner[..<colon]
            if (2...32).contains(scheme.count), scheme.first!.isASCII, scheme.first!.isLetter,
               scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+.-".contains($0)) }) {
                return true
            }
        }
        return inner.contains("@") && !inner.contains("/")
    }

    private static func isPunct(_ ch: Character) -> Bool { ch.isPunctuation || ch.isSymbol }
}

extension Substring {
    func trimmingTrailingSpaces() -> Substring {
        var end = endIndex
        while end > startIndex, self[index(before: end)].isWhitespace { end = index(before: end) }
        return self[startIndex..<end]
    }
}

extension String {
    /// The string without any of `set`'s characters at either end.
    func trimming(_ set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
