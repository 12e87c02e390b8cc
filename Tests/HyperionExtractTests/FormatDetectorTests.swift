import Foundation
import HyperionCore
import Testing

@testable import HyperionExtract

@Suite("Format detection from content")
struct FormatDetectorTests {
    @Test("a PDF is a PDF whatever its name")
    func pdfByContent() throws {
        let pdf = try Fixture.data("two-pages.pdf")
        #expect(try FormatDetector.detect(pdf, filename: "notes.txt") == .pdf)
        #expect(try FormatDetector.detect(pdf, filename: nil) == .pdf)
        #expect(try FormatDetector.detect(pdf, filename: "report.docx") == .pdf)
    }

    @Test("a PDF header after some leading junk still counts when the file ends like a PDF")
    func pdfWithLeadingJunk() throws {
        let pdf = Data("junk from a mail gateway\n".utf8) + (try Fixture.data("two-pages.pdf"))
        #expect(try FormatDetector.detect(pdf, filename: nil) == .pdf)
        // Text that merely mentions the magic is text.
        #expect(try FormatDetector.detect(Data("The header is %PDF-1.7, followed by objects.".utf8), filename: nil) == .text)
    }

    @Test("a PNG named .pdf is refused and called a PNG image")
    func pngNamedPDF() throws {
        let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52])
        #expect(throws: ExtractionError.unsupportedType("a PNG image")) { try FormatDetector.detect(png, filename: "report.pdf") }
    }

    @Test("known binary formats are refused with their names", arguments: [
        ([0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 0x4A, 0x46], "a JPEG image"),
        (Array("GIF89a".utf8) + [1, 0, 1, 0], "a GIF image"),
        ([0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0], "a gzip-compressed file"),
        ([0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0], "an ELF executable"),
        ([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1], "a legacy Microsoft Office file (.doc/.xls/.ppt) or a password-protected Office document"),
        (Array("SQLite format 3".utf8) + [0], "an SQLite database"),
    ] as [([UInt8], String)])
    func binaryFormats(bytes: [UInt8], name: String) throws {
        #expect(throws: ExtractionError.unsupportedType(name)) { try FormatDetector.detect(Data(bytes), filename: "file.txt") }
    }

    @Test("unknown binary data is refused as binary data")
    func binaryData() throws {
        var bytes = [UInt8]()
        for i in 0..<4096 { bytes.append(UInt8((i * 7919) % 256)) }
        #expect(throws: ExtractionError.unsupportedType("binary data")) { try FormatDetector.detect(Data(bytes), filename: "a.txt") }
        #expect(throws: ExtractionError.unsupportedType("binary data")) {
            try FormatDetector.detect(Data("text with a\u{0} NUL byte in it".utf8), filename: "a.txt")
        }
    }

    @Test("a Word document is detected by word/document.xml, whatever its name")
    func docxByContent() throws {
        #expect(try FormatDetector.detect(try Fixture.data("sample.docx"), filename: "upload.bin") == .docx)
        #expect(try FormatDetector.detect(try Fixture.data("sample.docx"), filename: nil) == .docx)
    }

    @Test("a ZIP that is not a Word document is refused, and says why")
    func nonDocxZip() throws {
        #expect(throws: ExtractionError.unsupportedType("a ZIP archive that is not a Word document (it has no word/document.xml)")) {
            try FormatDetector.detect(try Fixture.data("not-a-docx.zip"), filename: "handbook.docx")
        }
        let xlsx = try Fixture.zip([("[Content_Types].xml", Data("<Types/>".utf8)), ("xl/workbook.xml", Data("<workbook/>".utf8))])
        #expect(throws: ExtractionError.unsupportedType("an Excel workbook (XLSX)")) { try FormatDetector.detect(xlsx, filename: "a.docx") }
    }

    @Test("a truncated Word document is still recognised, so its extraction can say it is damaged")
    func truncatedDocx() throws {
        #expect(try FormatDetector.detect(try Fixture.data("truncated.docx"), filename: nil) == .docx)
    }

    @Test("HTML by its doctype, its html element, or its tag structure", arguments: [
        "<!DOCTYPE html><html><body><p>Hi</p></body></html>",
        "  \n<!doctype HTML>\n<title>x</title><p>Hi",
        "<?xml version=\"1.0\"?>\n<!-- saved page -->\n<html xmlns=\"http://www.w3.org/1999/xhtml\"><body>Hi</body></html>",
        "<HTML><BODY>Hi</BODY></HTML>",
        "<div class=\"post\">\n<p>First</p>\n<p>Second</p>\n</div>",
        "Exported notes\n<p>One</p>\n<p>Two</p>\n<ul><li>a</li><li>b</li></ul>\n<p>Three</p>",
    ])
    func html(source: String) throws {
        #expect(try FormatDetector.detect(Data(source.utf8), filename: "page.txt") == .html)
    }

    @Test("a README that opens with centred HTML and goes on in Markdown is Markdown")
    func readmeWithHTMLBanner() throws {
        let readme = """
            <h1 align="center">Hyperion</h1>
            <p align="center"><img src="logo.png" alt="logo"></p>

            ## Install

            Run `make install`, then see [the docs](docs/index.md).

            ```sh
            hyperion serve
            ```

            ## Use
            - one
            - two
            """
        #expect(try FormatDetector.detect(Data(readme.utf8), filename: nil) == .markdown)
    }

    @Test("Markdown by its content, even when named .txt")
    func markdownByContent() throws {
        let md = "# Handbook\n\nRead the [policy](https://example.com/policy) first.\n\n- one\n- two\n"
        #expect(try FormatDetector.detect(Data(md.utf8), filename: "handbook.txt") == .markdown)
        let setext = "Handbook\n========\n\nSome **bold** words and `code`.\n"
        #expect(try FormatDetector.detect(Data(setext.utf8), filename: nil) == .markdown)
        let fenced = "Example:\n\n```swift\nlet x = 1\n```\n"
        #expect(try FormatDetector.detect(Data(fenced.utf8), filename: nil) == .markdown)
    }

    @Test("plain prose is text; the .md extension decides only when the content is ambiguous")
    func extensionBreaksTies() throws {
        let prose = Data("Dear team,\n\nthe office is closed on Friday.\n\nRegards\n".utf8)
        #expect(try FormatDetector.detect(prose, filename: "notice.txt") == .text)
        #expect(try FormatDetector.detect(prose, filename: nil) == .text)
        #expect(try FormatDetector.detect(prose, filename: "notice.md") == .markdown)
        #expect(try FormatDetector.detect(prose, filename: "NOTICE.MARKDOWN") == .markdown)
        // Clear Markdown stays Markdown whatever the name; clear HTML is not turned into Markdown by a name.
        #expect(try FormatDetector.detect(Data("# A\n\n## B\n\ntext".utf8), filename: "a.txt") == .markdown)
        #expect(try FormatDetector.detect(Data("<!DOCTYPE html><p>x</p>".utf8), filename: "a.md") == .html)
    }

    @Test("scripts and comment blocks are not mistaken for Markdown headings")
    func scriptsAreText() throws {
        let script = "#!/bin/sh\n# Build\nmake\n# Install\nmake install\n"
        #expect(try FormatDetector.detect(Data(script.utf8), filename: nil) == .text)
        let python = "# Copyright 2024\n# Licensed under MIT\n\nimport os\nprint(os.getcwd())\n"
        #expect(try FormatDetector.detect(Data(python.utf8), filename: nil) == .text)
    }

    @Test("UTF-16 with a byte-order mark is text, in both byte orders")
    func utf16() throws {
        let text = "Grüße aus Köln — ½ € 🚀\nZweite Zeile"
        let le = Data([0xFF, 0xFE]) + text.data(using: .utf16LittleEndian)!
        let be = Data([0xFE, 0xFF]) + text.data(using: .utf16BigEndian)!
        for data in [le, be] {
            #expect(try FormatDetector.detect(data, filename: "x.txt") == .text)
            #expect(try TextExtractor.extract(data, format: .text).text == text)
        }
        let md = Data([0xFF, 0xFE]) + "# Titel\n\nText".data(using: .utf16LittleEndian)!
        #expect(try FormatDetector.detect(md, filename: nil) == .markdown)
    }

    @Test("UTF-16 without a byte-order mark is refused as an encoding problem")
    func utf16WithoutBOM() throws {
        let data = "Hello, this is UTF-16 text without a mark".data(using: .utf16LittleEndian)!
        #expect {
            try FormatDetector.detect(data, filename: "a.txt")
        } throws: { error in
            guard case ExtractionError.unsupportedEncoding(let why) = error else { return false }
            return why.contains("UTF-16") && why.contains("byte-order mark")
        }
    }

    @Test("a UTF-8 byte-order mark is dropped")
    func utf8BOM() throws {
        let data = Data([0xEF, 0xBB, 0xBF]) + Data("Hello".utf8)
        #expect(try FormatDetector.detect(data, filename: nil) == .text)
        #expect(try TextExtractor.extract(data, format: .text).text == "Hello")
    }

    @Test("invalid UTF-8 is refused, saying where and what to do")
    func invalidUTF8() throws {
        let latin1 = Data("Caf".utf8) + Data([0xE9]) + Data(" au lait, na\u{EF}ve".utf8)
        #expect {
            try FormatDetector.detect(latin1, filename: "menu.txt")
        } throws: { error in
            guard case ExtractionError.unsupportedEncoding(let why) = error else { return false }
            return why.hasPrefix("not valid UTF-8 and no UTF-16 byte-order mark") && why.contains("offset 3") && why.contains("0xE9")
        }
        #expect(throws: ExtractionError.self) { try TextExtractor.extract(latin1, format: .text) }
        // Overlong encodings and surrogates are invalid too.
        #expect(throws: ExtractionError.self) { try FormatDetector.detect(Data([0x41, 0xC0, 0xAF, 0x41]), filename: nil) }
        #expect(throws: ExtractionError.self) { try FormatDetector.detect(Data([0x41, 0xED, 0xA0, 0x80, 0x41]), filename: nil) }
    }

    @Test("an HTML page that declares Windows-1252 is read as such")
    func legacyHTMLCharset() throws {
        let page = Data("<html><head><meta charset=\"windows-1252\"><title>Men".utf8) + Data([0xFC])
            + Data("</title></head><body><p>Caf".utf8) + Data([0xE9, 0x20, 0x80, 0x35]) + Data("</p></body></html>".utf8)
        #expect(try FormatDetector.detect(page, filename: nil) == .html)
        let extracted = try TextExtractor.extract(page, format: .html)
        #expect(extracted.text == "Café €5")
        #expect(extracted.title == "Menü")
    }

    @Test("an empty file has no text")
    func emptyFile() throws {
        #expect(throws: ExtractionError.noText) { try FormatDetector.detect(Data(), filename: "empty.txt") }
        #expect(throws: ExtractionError.noText) { try TextExtractor.extract(Data(), format: .text) }
        #expect(throws: ExtractionError.noText) { try TextExtractor.extract(Data(" \n\t\n".utf8), format: .text) }
        #expect(throws: ExtractionError.noText) { try TextExtractor.extract(Data(), format: .pdf) }
    }

    @Test("other text formats that are not documents are named", arguments: [
        ("{\\rtf1\\ansi Hello}", "an RTF document"),
        ("<svg xmlns=\"http://www.w3.org/2000/svg\"><rect/></svg>", "an SVG image"),
        ("<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>", "an SVG image"),
    ])
    func otherTextFormats(source: String, name: String) throws {
        #expect(throws: ExtractionError.unsupportedType(name)) { try FormatDetector.detect(Data(source.utf8), filename: nil) }
    }

    @Test("errors read well in the upload response")
    func errorDescriptions() {
        #expect(ExtractionError.unsupportedType("a PNG image").description == "unsupported file type: a PNG image")
        #expect(ExtractionError.unsupportedEncoding("x").description == "unsupported text encoding: x")
        #expect(ExtractionError.unreadable("the PDF is encrypted").description == "the PDF is encrypted")
        #expect(ExtractionError.noText.description == "no extractable text")
    }
}
