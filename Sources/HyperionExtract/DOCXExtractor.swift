import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import HyperionCore

/// Extracts text from Word documents (Office Open XML, `.docx`) with ``ZIPReading`` and `XMLParser`.
///
/// Paragraphs come from `w:p` (text from `w:t`; `w:tab` is a tab, `w:br`/`w:cr` a line break); paragraphs whose
/// style is a heading (by the style's name in `word/styles.xml`, its outline level, the style it is based on, or
/// the style id `Heading1`…`Heading9` when there are no styles) start sections, with `Title` above level 1.
/// Tables become one paragraph with a line per row and " | " between cells. Deleted text of tracked changes, field
/// codes and the fallback copies of text boxes are left out. The title is `dc:title` from `docProps/core.xml`, else
/// the first heading.
///
/// Parts are decompressed with a size cap so a ZIP bomb fails as unreadable instead of exhausting memory, and a
/// document with a DTD (which Word never writes, and which is how entity-expansion attacks start) is refused.
enum DOCXExtractor {
    /// The most `word/document.xml` may decompress to by default. Held whole and parsed, a part costs about three
    /// times its size at the peak; a 1,000-page report's part is 20–40 MB.
    static let defaultMaxDocumentBytes = 64 * 1024 * 1024
    /// Entries a DOCX may have by default (Word writes a few dozen, plus one per embedded image).
    static let defaultMaxEntries = 10_000
    /// Past this many bytes a part may not inflate more than ``maxRatio`` times its compressed size: text XML
    /// compresses 5–30×, a ZIP bomb hundreds or thousands of times.
    static let ratioCheckedAbove = 8 * 1024 * 1024
    static let maxRatio = 100
    /// The most the style and metadata parts may decompress to.
    static let maxSidePartBytes = 20 * 1024 * 1024

    static let wordNamespaces: Set<String> = [
        "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
        "http://purl.oclc.org/ooxml/wordprocessingml/main",  // "strict" Office Open XML
    ]
    static let compatibilityNamespace = "http://schemas.openxmlformats.org/markup-compatibility/2006"

    /// - Parameters:
    ///   - maxDocumentBytes: the cap on `word/document.xml` once decompressed (tests lower it).
    ///   - maxEntries: the cap on the archive's entries (tests lower it).
    static func extract(_ data: Data, maxDocumentBytes: Int = defaultMaxDocumentBytes, maxEntries: Int = defaultMaxEntries) throws -> ExtractedText {
        let archive: ZIPReading
        do {
            archive = try ZIPReading(data)
        } catch {
            throw ExtractionError.unreadable("damaged DOCX: not a readable ZIP archive")
        }
        if archive.entries.count > maxEntries { throw ExtractionError.unreadable("DOCX refused: more than \(maxEntries) entries in the archive") }
        guard let documentEntry = archive["word/document.xml"] else {
            throw ExtractionError.unreadable("damaged DOCX: it has no word/document.xml")
        }
        let documentXML = try read(documentEntry, from: archive, limit: maxDocumentBytes)
        let styles = (archive["word/styles.xml"].flatMap { try? read($0, from: archive, limit: maxSidePartBytes) })
            .map(StyleTable.init(xml:)) ?? StyleTable()
        let title = archive["docProps/core.xml"].flatMap { try? read($0, from: archive, limit: maxSidePartBytes) }
            .flatMap(coreTitle(_:))

        guard !documentXML.isEmpty else { throw ExtractionError.unreadable("damaged DOCX: word/document.xml is empty") }
        try refuseDTD(documentXML)
        let reader = DocumentReader(styles: styles)
        let parser = XMLParser(data: documentXML)
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        parser.delegate = reader
        let finished = parser.parse()
        // On Linux `parse()` can return true after a fatal error (a truncated part), so the errors are checked too.
        if !finished || reader.fatalError != nil {
            let code = reader.fatalError ?? (parser.parserError as NSError?)?.code ?? 0
            throw ExtractionError.unreadable(
                "damaged DOCX: word/document.xml is not well-formed XML (\(xmlErrorDescription(code)), near line \(reader.fatalLine ?? parser.lineNumber))")
        }
        guard reader.sawDocumentRoot else {
            throw ExtractionError.unreadable("damaged DOCX: word/document.xml is not a WordprocessingML document")
        }
        reader.finish()
        return reader.builder.build(title: title)
    }

    /// libxml2's error numbers (which `XMLParser` passes on) for the damage seen in practice.
    static func xmlErrorDescription(_ code: Int) -> String {
        switch code {
        case 4: "no content"
        case 5: "it ends before the document is complete: truncated?"
        case 9: "invalid character"
        case 23, 41: "unescaped '<' or '&'"
        case 73, 77: "an unfinished tag"
        case 76: "an end tag that does not match its start tag"
        default: "XML error \(code)"
        }
    }

    /// An entry's bytes, refusing more than `limit` whatever its header claims (the limits hold on the bytes as
    /// they come out of zlib, which reads nothing past the entry).
    static func read(_ entry: ZIPReading.Entry, from archive: ZIPReading, limit: Int) throws -> Data {
        let name = entry.path
        if entry.uncompressedSize > limit {
            throw ExtractionError.unreadable("DOCX refused: \(name) would decompress to more than \(limit / 1_048_576) MB")
        }
        do {
            return try archive.read(entry, limit: limit, ratioFloor: ratioCheckedAbove, maxRatio: maxRatio)
        } catch ZIPReading.Failure.tooLarge {
            throw ExtractionError.unreadable("DOCX refused: \(name) decompresses to more than \(limit / 1_048_576) MB")
        } catch ZIPReading.Failure.ratio {
            throw ExtractionError.unreadable("DOCX refused: \(name) inflates more than \(maxRatio) times (a ZIP bomb?)")
        } catch {
            throw ExtractionError.unreadable("damaged DOCX: \(name) could not be decompressed (\(error))")
        }
    }

    /// Word never writes a DTD; one in the prolog is either damage or an entity-expansion attack.
    static func refuseDTD(_ xml: Data) throws {
        if XMLProlog.declaresDTD(xml) {
            throw ExtractionError.unreadable("DOCX refused: word/document.xml declares a DTD, which Word documents never do")
        }
    }

    /// `dc:title` from `docProps/core.xml`.
    static func coreTitle(_ xml: Data) -> String? {
        guard (try? refuseDTD(xml)) != nil else { return nil }
        let reader = CoreTitleReader()
        let parser = XMLParser(data: xml)
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        parser.delegate = reader
        guard parser.parse() else { return nil }
        let title = TextBuilder.collapseWhitespace(reader.title)
        return title.isEmpty ? nil : title
    }

    /// Reads an attribute whether the parser reports it qualified (`w:val`) or not (`val`).
    static func attribute(_ attributes: [String: String], _ local: String) -> String? {
        if let v = attributes["w:" + local] ?? attributes[local] { return v }
        return attributes.first { $0.key.hasSuffix(":" + local) }?.value
    }
}

/// Heading levels of paragraph styles, from `word/styles.xml`.
struct StyleTable {
    private var levels: [String: Int] = [:]

    init() {}

    init(xml: Data) {
        guard (try? DOCXExtractor.refuseDTD(xml)) != nil else { return }
        let reader = StylesReader()
        let parser = XMLParser(data: xml)
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        parser.delegate = reader
        _ = parser.parse()
        for id in reader.styles.keys {
            if let level = Self.resolve(id, in: reader.styles, depth: 0) { levels[id] = level }
        }
    }

    /// The heading level of a paragraph style: 0 for Title, 1–9 for headings, nil for body text.
    func level(ofStyle id: String) -> Int? {
        if let level = levels[id] { return level }
        return Self.levelFromName(id)
    }

    private static func resolve(_ id: String, in styles: [String: StylesReader.Style], depth: Int) -> Int? {
        guard depth < 16, let style = styles[id] else { return nil }
        if let name = style.name, let level = levelFromName(name) { return level }
        if let outline = style.outlineLevel { return (0...8).contains(outline) ? outline + 1 : nil }
        if let parent = style.basedOn { return resolve(parent, in: styles, depth: depth + 1) }
        return nil
    }

    /// "heading 1", "Heading1", "Title" (names and ids of Word's built-in styles are English in every language).
    static func levelFromName(_ name: String) -> Int? {
        let compact = name.lowercased().filter { $0 != " " }
        if compact == "title" { return 0 }
        guard compact.hasPrefix("heading"), let digit = Int(compact.dropFirst("heading".count)), (1...9).contains(digit) else {
            return nil
        }
        return digit
    }
}

private final class StylesReader: NSObject, XMLParserDelegate {
    struct Style {
        var name: String?
        var basedOn: String?
        var outlineLevel: Int?
    }

    var styles: [String: Style] = [:]
    private var current: String?
    private var inParagraphProperties = false

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        guard let ns = namespaceURI, DOCXExtractor.wordNamespaces.contains(ns) else { return }
        switch name {
        case "style":
            let type = DOCXExtractor.attribute(attributes, "type")
            current = type == nil || type == "paragraph" ? DOCXExtractor.attribute(attributes, "styleId") : nil
            if let id = current { styles[id] = Style() }
        case "name": if let id = current { styles[id]?.name = DOCXExtractor.attribute(attributes, "val") }
        case "basedOn": if let id = current { styles[id]?.basedOn = DOCXExtractor.attribute(attributes, "val") }
        case "pPr": inParagraphProperties = true
        case "outlineLvl":
            if let id = current, inParagraphProperties {
                styles[id]?.outlineLevel = DOCXExtractor.attribute(attributes, "val").flatMap { Int($0) }
            }
        default: break
        }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        guard let ns = namespaceURI, DOCXExtractor.wordNamespaces.contains(ns) else { return }
        if name == "style" { current = nil }
        if name == "pPr" { inParagraphProperties = false }
    }
}

private final class CoreTitleReader: NSObject, XMLParserDelegate {
    var title = ""
    private var inTitle = false
    private var done = false

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if !done, name == "title", namespaceURI == "http://purl.org/dc/elements/1.1/" { inTitle = true }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inTitle { title += string }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if inTitle, name == "title" { inTitle = false; done = true }
    }
}

/// Walks `word/document.xml` and feeds a ``TextBuilder``.
private final class DocumentReader: NSObject, XMLParserDelegate {
    private struct Paragraph {
        var text = ""
        var style: String?
        var outlineLevel: Int?
    }

    private struct Table {
        var rows: [String] = []
        var cells: [String] = []
        var cell: [String] = []
    }

    let styles: StyleTable
    var builder = TextBuilder()
    private var paragraphs: [Paragraph] = []
    private var tables: [Table] = []
    /// Local names of the open Word elements, for context (`w:tab` in a run is a tab; in `w:tabs` it is a tab stop).
    private var path: [String] = []
    /// Depth inside content that is left out (`mc:Fallback`, `w:pPrChange`, `w:rPrChange`…); 0 when reading.
    private var skipDepth = 0
    private var inText = false
    /// Whether the root element was `w:document`.
    private(set) var sawDocumentRoot = false
    private var sawRoot = false
    /// The first well-formedness error (libxml2 numbers below 200; namespace warnings are 200 and up).
    private(set) var fatalError: Int?
    private(set) var fatalLine: Int?

    init(styles: StyleTable) { self.styles = styles }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) {
        let code = (parseError as NSError).code
        if fatalError == nil, code < 200 {
            fatalError = code
            fatalLine = parser.lineNumber
        }
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        let ns = namespaceURI ?? ""
        if !sawRoot {
            sawRoot = true
            sawDocumentRoot = name == "document" && DOCXExtractor.wordNamespaces.contains(ns)
        }
        if skipDepth > 0 {
            skipDepth += 1
            return
        }
        if ns == DOCXExtractor.compatibilityNamespace, name == "Fallback" {
            skipDepth = 1
            return
        }
        guard DOCXExtractor.wordNamespaces.contains(ns) else {
            path.append("")  // a foreign element (drawing, math…): keep the depth, its Word descendants still count
            return
        }
        if ["pPrChange", "rPrChange", "sectPrChange", "tblPrChange", "trPrChange", "tcPrChange", "numberingChange"].contains(name) {
            skipDepth = 1
            return
        }
        let parent = path.last
        path.append(name)
        switch name {
        case "p": paragraphs.append(Paragraph())
        case "pStyle":
            if parent == "pPr", !paragraphs.isEmpty { paragraphs[paragraphs.count - 1].style = DOCXExtractor.attribute(attributes, "val") }
        case "outlineLvl":
            if parent == "pPr", !paragraphs.isEmpty {
                paragraphs[paragraphs.count - 1].outlineLevel = DOCXExtractor.attribute(attributes, "val").flatMap { Int($0) }
            }
        case "t": inText = parent == "r"
        case "tab", "ptab": if parent == "r" { append("\t") }
        case "br", "cr": if parent == "r" { append("\n") }
        case "noBreakHyphen": if parent == "r" { append("-") }
        case "tbl": tables.append(Table())
        case "tr": if !tables.isEmpty { tables[tables.count - 1].cells = [] }
        case "tc": if !tables.isEmpty { tables[tables.count - 1].cell = [] }
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inText, skipDepth == 0 { append(string) }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if skipDepth > 0 {
            skipDepth -= 1
            return
        }
        guard !path.isEmpty else { return }
        path.removeLast()
        guard let ns = namespaceURI, DOCXExtractor.wordNamespaces.contains(ns) else { return }
        switch name {
        case "t": inText = false
        case "p": if let p = paragraphs.popLast() { emit(p) }
        case "tc":
            if !tables.isEmpty {
                let text = TextBuilder.collapseWhitespace(tables[tables.count - 1].cell.joined(separator: " "))
                tables[tables.count - 1].cells.append(text)
            }
        case "tr":
            if !tables.isEmpty {
                let cells = tables[tables.count - 1].cells
                if cells.contains(where: { !$0.isEmpty }) { tables[tables.count - 1].rows.append(cells.joined(separator: " | ")) }
                tables[tables.count - 1].cells = []
            }
        case "tbl":
            if let table = tables.popLast() {
                if tables.isEmpty {
                    builder.paragraph(table.rows.joined(separator: "\n"))
                } else {
                    // A table inside a cell: its rows become part of that cell's text.
                    tables[tables.count - 1].cell.append(table.rows.joined(separator: "; "))
                }
            }
        default: break
        }
    }

    func finish() {
        while let p = paragraphs.popLast() { emit(p) }
        while let table = tables.popLast() { builder.paragraph(table.rows.joined(separator: "\n")) }
    }

    private func append(_ s: String) {
        guard !paragraphs.isEmpty else { return }
        paragraphs[paragraphs.count - 1].text += s
    }

    private func emit(_ p: Paragraph) {
        if !tables.isEmpty, paragraphs.isEmpty {
            tables[tables.count - 1].cell.append(p.text)
            return
        }
        if !paragraphs.isEmpty {
            // A paragraph inside a paragraph (a text box): its own paragraph, ahead of the one around it.
            builder.paragraph(p.text)
            return
        }
        var level = p.style.flatMap { styles.level(ofStyle: $0) }
        if let outline = p.outlineLevel { level = (0...8).contains(outline) ? outline + 1 : nil }
        if let level, p.text.contains(where: { !$0.isWhitespace }) {
            builder.heading(p.text, level: level)
        } else {
            builder.paragraph(p.text)
        }
    }
}
