import HyperionCore

/// Extracts readable text from HTML with a small, tolerant tokenizer of its own.
///
/// What a reader would not call the page's text is dropped: scripts, styles, navigation, the page's own
/// header and footer, forms' buttons, embedded SVG and everything in `<head>` but the `<title>`. Block elements
/// break paragraphs, list items and table rows break lines, table cells are joined with " | ", and `h1`–`h6` start
/// sections whose heading paths nest by level. Malformed markup never fails: unclosed tags are closed by their
/// parent's end tag, stray end tags are ignored, and nothing recurses, so deep nesting costs only memory.
enum HTMLExtractor {
    static func extract(_ html: String) -> ExtractedText {
        var parser = Parser(Array(html.utf8))
        parser.run()
        return parser.finish()
    }

    /// Elements whose content is raw text up to their end tag, and whether that text is kept.
    private static let rawText: [String: Bool] = [
        "script": false, "style": false, "xmp": true, "iframe": false, "noembed": false, "noframes": false,
        "noscript": false, "textarea": true, "title": false,
    ]
    /// Elements whose whole content is dropped.
    private static let dropped: Set<String> = [
        "head", "nav", "svg", "math", "template", "button", "select", "object", "canvas", "audio", "video",
        "map", "datalist",
    ]
    /// What may stand in `<head>`; any other start tag means the (optional) `</head>` was left out.
    private static let headContent: Set<String> = [
        "title", "meta", "link", "style", "script", "base", "noscript", "template", "object",
    ]
    /// Elements that never have content or an end tag.
    private static let void: Set<String> = [
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr",
        "keygen", "basefont", "frame",
    ]
    /// Elements that start and end a paragraph.
    private static let paragraphBlocks: Set<String> = [
        "address", "article", "aside", "blockquote", "body", "center", "details", "dialog", "div", "dl", "fieldset",
        "figcaption", "figure", "footer", "form", "header", "hgroup", "hr", "html", "legend", "main", "nav", "ol", "p",
        "pre", "section", "summary", "table", "ul", "caption", "listing", "plaintext", "h1", "h2", "h3", "h4", "h5", "h6",
    ]
    /// Elements that start and end a line.
    private static let lineBlocks: Set<String> = ["br", "li", "dt", "dd", "tr", "option"]
    /// Starting one of these inside a heading ends the heading (its end tag is missing).
    private static let headingBreakers: Set<String> = [
        "p", "table", "ul", "ol", "li", "section", "article", "main", "blockquote", "pre", "form", "hr", "dl", "body",
        "h1", "h2", "h3", "h4", "h5", "h6",
    ]
    /// Open elements kept on the stack at most; deeper ones still break lines but are not tracked (dropped ones always are).
    private static let maxDepth = 4096
    /// A heading longer than this is not a heading but a page wrapped in a heading tag.
    private static let maxHeading = 500

    private enum Break: Int, Comparable {
        case none, space, line, paragraph
        static func < (a: Break, b: Break) -> Bool { a.rawValue < b.rawValue }
    }

    private struct Open {
        var name: String
        var dropped: Bool
    }

    private struct Parser {
        let s: [UInt8]
        var i = 0
        var stack: [Open] = []
        var openCounts: [String: Int] = [:]
        var droppedDepth = 0
        var builder = TextBuilder()
        var title: String?
        // The paragraph being assembled.
        var lines: [String] = []
        var line = ""
        var pending = Break.none
        // The heading being read, if any.
        var heading: (level: Int, text: String)?
        // Cells already in the current row, per open table.
        var cellsInRow: [Int] = []

        init(_ bytes: [UInt8]) { s = bytes }

        func isOpen(_ name: String) -> Bool { (openCounts[name] ?? 0) > 0 }
        var inCell: Bool { isOpen("td") || isOpen("th") }
        var inPre: Bool { isOpen("pre") || isOpen("listing") || isOpen("plaintext") }

        mutating func run() {
            while i < s.count {
                if s[i] == 0x3C {  // '<'
                    tag()
                } else {
                    let start = i
                    while i < s.count, s[i] != 0x3C { i += 1 }
                    text(HTMLEntities.decode(Substring(decoding: s[start..<i], as: UTF8.self)))
                }
            }
        }

        mutating func finish() -> ExtractedText {
            if heading != nil { endHeading() }
            flushParagraph()
            return builder.build(title: title)
        }

        // MARK: tokens

        mutating func tag() {
            if HTMLSniffer.startsWith(s, at: i, "<!--") {
                i = HTMLSniffer.find(s, "-->", from: i + 4).map { $0 + 3 } ?? s.count
                return
            }
            if HTMLSniffer.startsWith(s, at: i, "<!") || HTMLSniffer.startsWith(s, at: i, "<?") {
                i = HTMLSniffer.find(s, ">", from: i).map { $0 + 1 } ?? s.count
                return
            }
            var j = i + 1
            let closing = j < s.count && s[j] == 0x2F
            if closing { j += 1 }
            guard j < s.count, HTMLSniffer.isLetter(s[j]) else {
                // Not a tag: a lone '<' is text (`a < b`).
                i += 1
                text("<")
                return
            }
            let nameStart = j
            while j < s.count, s[j] != 0x3E, s[j] != 0x2F, !isSpace(s[j]) { j += 1 }
            let name = String(decoding: s[nameStart..<j].map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
            // Attributes up to '>', which may hide inside quotes.
            var quote: UInt8 = 0
            var selfClosing = false
            while j < s.count {
                let b = s[j]
                if quote != 0 {
                    if b == quote { quote = 0 }
                } else if b == 0x22 || b == 0x27 {
                    if j > 0, s[j - 1] == 0x3D || isSpace(s[j - 1]) { quote = b }
                } else if b == 0x3E {
                    selfClosing = s[j - 1] == 0x2F
                    break
                }
                j += 1
            }
            guard j < s.count else {
                // An unterminated tag at the end of the file: nothing after it is text.
                i = s.count
                return
            }
            i = j + 1
            if closing { endTag(name) } else { startTag(name, selfClosing: selfClosing) }
        }

        mutating func startTag(_ name: String, selfClosing: Bool) {
            if isOpen("head"), !HTMLExtractor.headContent.contains(name) { pop(to: "head") }
            if let keep = HTMLExtractor.rawText[name], !selfClosing {
                let content = rawContent(until: name)
                if name == "title" {
                    if title == nil, !isOpen("svg"), !isOpen("math") {
                        title = TextBuilder.collapseWhitespace(HTMLEntities.decode(content))
                    }
                } else if keep, droppedDepth == 0 {
                    requestBreak(.paragraph)
                    preText(HTMLEntities.decode(content))
                    requestBreak(.paragraph)
                }
                return
            }
            if droppedDepth > 0 {
                // Inside dropped content only the nesting matters.
                if !selfClosing, !HTMLExtractor.void.contains(name) { push(name, dropped: HTMLExtractor.dropped.contains(name)) }
                return
            }
            if heading != nil, HTMLExtractor.headingBreakers.contains(name) { endHeading() }
            let drop = HTMLExtractor.dropped.contains(name)
                || ((name == "header" || name == "footer") && !isOpen("article") && !isOpen("main"))
            if drop {
                if !selfClosing { push(name, dropped: true) }
                return
            }
            switch name {
            case "br": breakLine()
            case "td", "th":
                if !cellsInRow.isEmpty {
                    if cellsInRow[cellsInRow.count - 1] > 0 { cellSeparator() }
                    cellsInRow[cellsInRow.count - 1] += 1
                }
            case "tr":
                requestBreak(.line)
                if !cellsInRow.isEmpty { cellsInRow[cellsInRow.count - 1] = 0 }
            case "table":
                requestBreak(.paragraph)
                if !selfClosing { cellsInRow.append(0) }
            case "h1", "h2", "h3", "h4", "h5", "h6":
                if inCell {
                    requestBreak(.space)
                } else {
                    flushParagraph()
                    if !selfClosing { heading = (Int(name.dropFirst())!, "") }
                }
            case "img":
                break
            default:
                if HTMLExtractor.paragraphBlocks.contains(name) { requestBreak(inCell ? .space : .paragraph) }
                else if HTMLExtractor.lineBlocks.contains(name) { requestBreak(inCell ? .space : .line) }
            }
            if !selfClosing, !HTMLExtractor.void.contains(name) { push(name, dropped: false) }
        }

        mutating func endTag(_ name: String) {
            if name == "br" {
                if droppedDepth == 0 { breakLine() }
                return
            }
            if ["h1", "h2", "h3", "h4", "h5", "h6"].contains(name), heading != nil {
                // Any heading end tag ends the open heading (`<h2>…</h3>` happens).
                endHeading()
                for candidate in ["h1", "h2", "h3", "h4", "h5", "h6"] where isOpen(candidate) { pop(to: candidate) }
                return
            }
            guard isOpen(name) else {
                if name == "p", droppedDepth == 0 { requestBreak(.paragraph) }  // `</p>` alone still ends a paragraph
                return
            }
            pop(to: name)
        }

        /// Pops open elements down to and including the innermost `name`, closing each.
        mutating func pop(to name: String) {
            while let top = stack.popLast() {
                openCounts[top.name, default: 1] -= 1
                if top.dropped { droppedDepth -= 1 }
                closed(top)
                if top.name == name { break }
            }
        }

        mutating func closed(_ element: Open) {
            guard droppedDepth == 0, !element.dropped else { return }
            switch element.name {
            case "table":
                if !cellsInRow.isEmpty { cellsInRow.removeLast() }
                requestBreak(.paragraph)
            case "tr": requestBreak(.line)
            case "td", "th": break
            case "h1", "h2", "h3", "h4", "h5", "h6": if heading != nil { endHeading() }
            default:
                if HTMLExtractor.paragraphBlocks.contains(element.name) { requestBreak(inCell ? .space : .paragraph) }
                else if HTMLExtractor.lineBlocks.contains(element.name) { requestBreak(inCell ? .space : .line) }
            }
        }

        mutating func push(_ name: String, dropped: Bool) {
            guard dropped || stack.count < HTMLExtractor.maxDepth else { return }
            stack.append(Open(name: name, dropped: dropped))
            openCounts[name, default: 0] += 1
            if dropped { droppedDepth += 1 }
        }

        /// The raw text of a `script`/`style`/`title`… element, up to its end tag (case-insensitive), which is skipped too.
        mutating func rawContent(until name: String) -> String {
            let start = i
            var j = i
            while j < s.count {
                if s[j] == 0x3C, j + 1 < s.count, s[j + 1] == 0x2F, HTMLSniffer.startsWith(s, at: j + 2, name) {
                    let after = j + 2 + name.utf8.count
                    if after >= s.count || s[after] == 0x3E || isSpace(s[after]) || s[after] == 0x2F {
                        let content = String(decoding: s[start..<j], as: UTF8.self)
                        i = HTMLSniffer.find(s, ">", from: after).map { $0 + 1 } ?? s.count
                        return content
                    }
                }
                j += 1
            }
            i = s.count
            return String(decoding: s[start...], as: UTF8.self)
        }

        // MARK: text

        mutating func text(_ t: String) {
            guard droppedDepth == 0 else { return }
            if heading != nil {
                heading!.text += t
                if heading!.text.utf8.count > HTMLExtractor.maxHeading * 4 { abandonHeading() }
                return
            }
            if inPre { preText(t); return }
            for ch in t {
                if ch.isWhitespace {
                    if !line.isEmpty || !lines.isEmpty { pending = max(pending, .space) }
                } else {
                    applyPending()
                    line.append(ch)
                }
            }
        }

        /// Text whose spaces and line breaks are kept (`pre`, `textarea`).
        mutating func preText(_ t: String) {
            guard droppedDepth == 0 else { return }
            for ch in t {
                if ch == "\n" {
                    if pending >= .line { applyPending() }
                    lines.append(line)
                    line = ""
                } else {
                    if pending != .none, !ch.isWhitespace || pending >= .line { applyPending() }
                    line.append(ch)
                }
            }
        }

        /// " | " between table cells (the space after it is left pending, so empty cells stay visible).
        mutating func cellSeparator() {
            if pending == .space { pending = .none }
            applyPending()
            while line.last == " " { line.removeLast() }
            line += " |"
            pending = .space
        }

        mutating func breakLine() {
            if heading != nil { heading!.text += " "; return }
            requestBreak(inCell ? .space : .line)
        }

        mutating func requestBreak(_ b: Break) {
            guard droppedDepth == 0 else { return }
            if b == .space, line.isEmpty, lines.isEmpty { return }
            pending = max(pending, b)
        }

        mutating func applyPending() {
            switch pending {
            case .none: break
            case .space: if !line.isEmpty, !line.hasSuffix(" ") { line.append(" ") }
            case .line:
                if !line.isEmpty { lines.append(line); line = "" }
            case .paragraph: flushParagraph()
            }
            pending = .none
        }

        mutating func flushParagraph() {
            if !line.isEmpty { lines.append(line) }
            if !lines.isEmpty { builder.paragraph(lines.joined(separator: "\n")) }
            lines.removeAll(keepingCapacity: true)
            line = ""
            pending = .none
        }

        mutating func endHeading() {
            guard let h = heading else { return }
            heading = nil
            builder.heading(h.text, level: h.level)
        }

        /// A "heading" that runs on for pages is body text; what was read so far is kept as a paragraph.
        mutating func abandonHeading() {
            guard let h = heading else { return }
            heading = nil
            text(h.text)
        }

        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D || b == 0x0C }
    }
}
