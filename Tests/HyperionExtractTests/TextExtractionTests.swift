import Foundation
import HyperionCore
import Testing

@testable import HyperionExtract

@Suite("Plain text extraction")
struct TextExtractionTests {
    @Test("paragraphs stay as they are; CRLF and CR become LF; blank-line runs become one blank line")
    func paragraphs() throws {
        let data = Data("First line\r\nsecond line\r\n\r\n\r\n\r\nNext paragraph   \rwith CR\n\n\u{0C}After a form feed".utf8)
        let extracted = try TextExtractor.extract(data, format: .text)
        #expect(extracted.text == "First line\nsecond line\n\nNext paragraph\nwith CR\n\nAfter a form feed")
        #expect(extracted.title == nil)
        #expect(extracted.sections.isEmpty && extracted.pages.isEmpty)
    }

    @Test("offsets count Characters, so emoji and combining marks do not shift them")
    func characterOffsets() throws {
        let md = "# Café 👩‍👩‍👧\n\ne\u{301}\u{301} text\n\n## Zweite 🇩🇪\n\nmore"
        let extracted = try TextExtractor.extract(Data(md.utf8), format: .markdown)
        #expect(extracted.sections.count == 2)
        #expect(extracted.sections[1].offset == extracted.text.distance(from: extracted.text.startIndex,
                                                                           to: extracted.text.range(of: "Zweite")!.lowerBound))
        extracted.checkOffsets()
    }

    @Test("text read as the wrong format fails cleanly")
    func wrongFormat() throws {
        #expect(throws: ExtractionError.self) { try TextExtractor.extract(Data("just text".utf8), format: .pdf) }
        #expect(throws: ExtractionError.self) { try TextExtractor.extract(Data("just text".utf8), format: .docx) }
        #expect(throws: ExtractionError.self) { try TextExtractor.extract(try Fixture.data("two-pages.pdf"), format: .text) }
    }
}
