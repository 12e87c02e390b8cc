import Foundation
import HyperionCore
import Testing

@testable import HyperionExtract

@Suite("PDF extraction (poppler-glib)")
struct PDFExtractionTests {
    @Test("a two-page PDF gives each page's text, where each page starts, and the metadata title")
    func twoPages() throws {
        let extracted = try TextExtractor.extract(try Fixture.data("two-pages.pdf"), format: .pdf)
        #expect(extracted.title == "Quarterly Report")
        #expect(extracted.pages.map(\.number) == [1, 2])
        #expect(extracted.pages[0].offset == 0)
        let text = extracted.text
        #expect(text.hasPrefix("Alpha page one talks about revenue."))
        #expect(text.contains("Second paragraph on page one."))
        #expect(text.hasSuffix("Beta page two talks about costs."))
        // Pages are separated by a blank line, and page 2 starts exactly at its first word.
        #expect(extracted.slice(at: extracted.pages[1].offset, length: 4) == "Beta")
        #expect(extracted.slice(at: extracted.pages[1].offset - 2, length: 2) == "\n\n")
        let revenue = text.distance(from: text.startIndex, to: text.range(of: "revenue")!.lowerBound)
        let costs = text.distance(from: text.startIndex, to: text.range(of: "costs")!.lowerBound)
        #expect(extracted.page(at: revenue) == 1)
        #expect(extracted.page(at: costs) == 2)
        extracted.checkOffsets()
    }

    @Test("a scanned PDF (pages without a text layer) has no text")
    func scanned() throws {
        #expect(throws: ExtractionError.noText) { try TextExtractor.extract(try Fixture.data("scanned.pdf"), format: .pdf) }
    }

    @Test("an encrypted PDF is unreadable and says it is encrypted")
    func encrypted() throws {
        #expect(try FormatDetector.detect(try Fixture.data("encrypted.pdf"), filename: nil) == .pdf)
        #expect {
            try TextExtractor.extract(try Fixture.data("encrypted.pdf"), format: .pdf)
        } throws: { error in
            guard case ExtractionError.unreadable(let why) = error else { return false }
            return why.contains("encrypted")
        }
    }

    @Test("a PDF with only an owner password (copying or printing restricted) opens and is read")
    func restricted() throws {
        let extracted = try TextExtractor.extract(try Fixture.data("restricted.pdf"), format: .pdf)
        #expect(extracted.pages.map(\.number) == [1, 2])
        #expect(extracted.text.hasSuffix("Beta page two talks about costs."))
    }

    @Test("page text loses control characters and spells out ligatures")
    func pageTextCleaning() {
        #expect(PDFExtractor.cleanPageText("\u{FB01}nance \u{FB04}\u{0C}next\u{1}\u{FFFD}\r\nline") == "finance ffl\nnext\n\nline")
    }

    @Test("a truncated PDF is unreadable with Poppler's reason", arguments: ["truncated.pdf"])
    func truncated(name: String) throws {
        let data = try Fixture.data(name)
        #expect(try FormatDetector.detect(data, filename: nil) == .pdf)
        #expect {
            try TextExtractor.extract(data, format: .pdf)
        } throws: { error in
            guard case ExtractionError.unreadable(let why) = error else { return false }
            return why.hasPrefix("damaged PDF: ")
        }
    }

    @Test("a file that is only the PDF magic and garbage is unreadable, not a crash", arguments: [
        "%PDF-", "%PDF-1.7\n", "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF",
        "%PDF-1.7\n" + String(repeating: "garbage \u{1}\u{2}\u{3} ", count: 2000),
    ])
    func garbage(source: String) throws {
        #expect(throws: ExtractionError.self) { try TextExtractor.extract(Data(source.utf8), format: .pdf) }
    }

    @Test("a PDF cut at many lengths never crashes")
    func prefixes() throws {
        let data = try Fixture.data("two-pages.pdf")
        for length in stride(from: 0, to: data.count, by: 97) {
            do {
                let extracted = try TextExtractor.extract(data.prefix(length), format: .pdf)
                extracted.checkOffsets()
            } catch is ExtractionError {
                // Refusing is fine; crashing is not.
            }
        }
    }

    @Test("PDFs are extracted safely from many tasks at once")
    func concurrent() async throws {
        let data = try Fixture.data("two-pages.pdf")
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<16 {
                group.addTask { try TextExtractor.extract(data, format: .pdf).pages.count }
            }
            for try await pages in group { #expect(pages == 2) }
        }
    }
}
