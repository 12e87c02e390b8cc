import Foundation
import HyperionCore
import Testing

@testable import HyperionExtract

@Suite("DOCX extraction")
struct DOCXExtractionTests {
    @Test("paragraphs, headings with paths, tabs, line breaks, tables as rows, and the core title")
    func sample() throws {
        let extracted = try TextExtractor.extract(try Fixture.data("sample.docx"), format: .docx)
        #expect(extracted.title == "Employee Handbook")
        #expect(extracted.text == """
            Welcome to the company.

            Leave

            Everyone gets 25 days of leave.

            Sick leave

            Call in\tbefore nine.
            Bring a note after three days.

            Expenses

            Item | Limit
            Hotel | 150 EUR

            Receipts are required.
            """)
        #expect(extracted.sections.map(\.headingPath) == [["Leave"], ["Leave", "Sick leave"], ["Expenses"]])
        #expect(extracted.pages.isEmpty)
        extracted.checkOffsets()
        let hotel = extracted.text.distance(from: extracted.text.startIndex, to: extracted.text.range(of: "Hotel")!.lowerBound)
        #expect(extracted.headingPath(at: hotel) == ["Expenses"])
    }

    @Test("without dc:title the first heading (here a Title paragraph) is the title")
    func titleFromHeading() throws {
        let extracted = try TextExtractor.extract(try Fixture.data("untitled.docx"), format: .docx)
        #expect(extracted.title == "Release notes")
        #expect(extracted.text == "Release notes\n\nVersion 2 is faster.")
    }

    @Test("heading styles are found by name, outline level and inheritance, not only by id")
    func localisedStyles() throws {
        let styles = """
            <w:style w:type="paragraph" w:styleId="berschrift1"><w:name w:val="heading 1"/></w:style>
            <w:style w:type="paragraph" w:styleId="berschrift2"><w:name w:val="heading 2"/></w:style>
            <w:style w:type="paragraph" w:styleId="Kapitel"><w:name w:val="Kapitel"/><w:pPr><w:outlineLvl w:val="0"/></w:pPr></w:style>
            <w:style w:type="paragraph" w:styleId="MeinTitel"><w:name w:val="Mein Titel"/><w:basedOn w:val="berschrift2"/></w:style>
            <w:style w:type="paragraph" w:styleId="Standard"><w:name w:val="Normal"/></w:style>
            """
        let body = Fixture.p("Einleitung", style: "berschrift1") + Fixture.p("Text eins", style: "Standard")
            + Fixture.p("Details", style: "MeinTitel") + Fixture.p("Text zwei")
            + Fixture.p("Anhang", style: "Kapitel") + Fixture.p("Text drei")
            + "<w:p><w:pPr><w:outlineLvl w:val=\"1\"/></w:pPr><w:r><w:t>Direkt</w:t></w:r></w:p>" + Fixture.p("Text vier")
        let extracted = try TextExtractor.extract(try Fixture.docx(body: body, styles: styles), format: .docx)
        #expect(extracted.sections.map(\.headingPath) == [
            ["Einleitung"], ["Einleitung", "Details"], ["Anhang"], ["Anhang", "Direkt"],
        ])
        #expect(extracted.title == "Einleitung")
        extracted.checkOffsets()
    }

    @Test("without styles.xml, Heading1…Heading9 and Title style ids are headings")
    func styleIDsWithoutStyles() throws {
        let body = Fixture.p("Guide", style: "Title") + Fixture.p("Setup", style: "Heading1") + Fixture.p("Linux", style: "Heading3")
            + Fixture.p("Use apt.") + Fixture.p("Usage", style: "Heading1") + Fixture.p("Run it.")
        let extracted = try TextExtractor.extract(try Fixture.docx(body: body, title: "  Admin   Guide "), format: .docx)
        #expect(extracted.sections.map(\.headingPath) == [["Guide"], ["Guide", "Setup"], ["Guide", "Setup", "Linux"], ["Guide", "Usage"]])
        #expect(extracted.title == "Admin Guide")
    }

    @Test("deleted tracked changes, field codes and text-box fallbacks are left out")
    func hiddenContent() throws {
        let body = """
            <w:p><w:r><w:t>Kept</w:t></w:r><w:del><w:r><w:delText>deleted</w:delText></w:r></w:del>\
            <w:ins><w:r><w:t xml:space="preserve"> inserted</w:t></w:r></w:ins></w:p>
            <w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>PAGE \\* MERGEFORMAT</w:instrText></w:r>\
            <w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>7</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>
            <w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><w:txbxContent>\
            <w:p><w:r><w:t>In the box</w:t></w:r></w:p></w:txbxContent></w:drawing></mc:Choice>\
            <mc:Fallback><w:pict><w:txbxContent><w:p><w:r><w:t>In the box</w:t></w:r></w:p></w:txbxContent></w:pict></mc:Fallback>\
            </mc:AlternateContent></w:r><w:r><w:t>Around the box</w:t></w:r></w:p>
            <w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr><w:r><w:t>No stray tab</w:t></w:r></w:p>
            """
        let extracted = try TextExtractor.extract(try Fixture.docx(body: body), format: .docx)
        #expect(extracted.text == "Kept inserted\n\n7\n\nIn the box\n\nAround the box\n\nNo stray tab")
    }

    @Test("a table inside a table cell stays in that cell")
    func nestedTable() throws {
        func cell(_ content: String) -> String { "<w:tc>\(content)</w:tc>" }
        let inner = "<w:tbl><w:tr>\(cell(Fixture.p("x")))\(cell(Fixture.p("y")))</w:tr></w:tbl>"
        let body = "<w:tbl><w:tr>\(cell(Fixture.p("a") + Fixture.p("b")))\(cell(inner))</w:tr><w:tr>\(cell(""))\(cell(Fixture.p("c")))</w:tr></w:tbl>"
        let extracted = try TextExtractor.extract(try Fixture.docx(body: body), format: .docx)
        #expect(extracted.text == "a b | x | y\n | c")
    }

    @Test("a DOCX whose document.xml is cut off is unreadable and says so")
    func broken() throws {
        #expect(try FormatDetector.detect(try Fixture.data("broken.docx"), filename: nil) == .docx)
        #expect {
            try TextExtractor.extract(try Fixture.data("broken.docx"), format: .docx)
        } throws: { error in
            guard case ExtractionError.unreadable(let why) = error else { return false }
            return why.contains("word/document.xml") && why.contains("not well-formed")
        }
    }

    @Test("a DOCX whose ZIP is cut off is unreadable")
    func truncatedZip() throws {
        #expect(throws: ExtractionError.unreadable("damaged DOCX: not a readable ZIP archive")) {
            try TextExtractor.extract(try Fixture.data("truncated.docx"), format: .docx)
        }
    }

    @Test("a ZIP without word/document.xml read as DOCX is unreadable")
    func missingDocument() throws {
        #expect(throws: ExtractionError.unreadable("damaged DOCX: it has no word/document.xml")) {
            try TextExtractor.extract(try Fixture.data("not-a-docx.zip"), format: .docx)
        }
    }

    @Test("a document.xml that is XML but not WordprocessingML is unreadable")
    func notWordML() throws {
        let data = try Fixture.zip([("word/document.xml", Data("<html><body>hi</body></html>".utf8))])
        #expect(throws: ExtractionError.unreadable("damaged DOCX: word/document.xml is not a WordprocessingML document")) {
            try TextExtractor.extract(data, format: .docx)
        }
    }

    @Test("a document.xml that decompresses past the cap is refused, whatever its header claims")
    func zipBomb() throws {
        let paragraph = Fixture.p(String(repeating: "a", count: 1000))
        let data = try Fixture.docx(body: String(repeating: paragraph, count: 300))  // ~320 KB, compresses to ~2 KB
        #expect(data.count < 20_000)
        #expect {
            try DOCXExtractor.extract(data, maxDocumentBytes: 100_000)
        } throws: { error in
            guard case ExtractionError.unreadable(let why) = error else { return false }
            return why.contains("word/document.xml") && why.contains("more than")
        }
        // Under the cap the same document reads fine.
        #expect(try DOCXExtractor.extract(data, maxDocumentBytes: 1_000_000).text.count == 300 * 1000 + 299 * 2)
    }

    @Test("a document.xml with a DTD (entity expansion) is refused")
    func entityExpansion() throws {
        let xml = """
            <?xml version="1.0"?>
            <!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
            <w:document xmlns:w="\(Fixture.wordNamespace)"><w:body><w:p><w:r><w:t>&lol2;</w:t></w:r></w:p></w:body></w:document>
            """
        let data = try Fixture.zip([("word/document.xml", Data(xml.utf8))])
        #expect {
            try TextExtractor.extract(data, format: .docx)
        } throws: { error in
            guard case ExtractionError.unreadable(let why) = error else { return false }
            return why.contains("DTD")
        }
    }

    /// Hardening 11: the DTD guard stopped at the first `<` after `<?` or `<!`, so a `<` inside a comment or
    /// processing instruction, or a UTF-16 document.xml, got a DTD past it.
    @Test("a DTD after comments or processing instructions holding '<', or in UTF-16/UTF-32, is still refused")
    func entityExpansionDisguised() throws {
        let dtd = #"<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>"#
        let body = #"<w:document xmlns:w="\#(Fixture.wordNamespace)"><w:body><w:p><w:r><w:t>&lol2;</w:t></w:r></w:p></w:body></w:document>"#
        let prologs = [
            #"<?xml version="1.0"?><!-- <w:document> --> "# + dtd,
            #"<?xml version="1.0"?><?pi <a> ?>"# + "\n" + dtd,
            "<!-- a -->\n<!-- <b> -->" + dtd,
        ]
        var variants = prologs.map { Data(($0 + body).utf8) }
        let plain = #"<?xml version="1.0" encoding="UTF-16"?>"# + dtd + body
        variants.append(Data([0xFF, 0xFE]) + plain.data(using: .utf16LittleEndian)!)
        variants.append(Data([0xFE, 0xFF]) + plain.data(using: .utf16BigEndian)!)
        variants.append(plain.data(using: .utf16LittleEndian)!)  // no BOM
        variants.append(Data([0xFF, 0xFE, 0, 0]) + plain.data(using: .utf32LittleEndian)!)
        for xml in variants {
            #expect(XMLProlog.declaresDTD(xml))
            let data = try Fixture.zip([("word/document.xml", xml)])
            #expect {
                try TextExtractor.extract(data, format: .docx)
            } throws: { error in
                guard case ExtractionError.unreadable(let why) = error else { return false }
                return why.contains("DTD")
            }
        }
        // Prologs without a DTD, in every encoding, pass.
        let clean = #"<?xml version="1.0"?><!-- <!DOCTYPE in a comment> --><?pi <!DOCTYPE x> ?>"# + body.replacingOccurrences(of: "&lol2;", with: "ok")
        for xml in [Data(clean.utf8), Data([0xFF, 0xFE]) + clean.data(using: .utf16LittleEndian)!, clean.data(using: .utf16BigEndian)!] {
            #expect(!XMLProlog.declaresDTD(xml))
        }
        #expect(try TextExtractor.extract(try Fixture.zip([("word/document.xml", Data(clean.utf8))]), format: .docx).text == "ok")
    }

    /// Hardening 5: a 524 KB DOCX whose document.xml inflated to 190 MB was read whole before being refused.
    @Test("a part inflating far more than text does is refused once past 8 MB; so is an archive of too many entries")
    func inflationRatio() throws {
        let paragraph = Fixture.p(String(repeating: "a", count: 4000))
        let bomb = try Fixture.docx(body: String(repeating: paragraph, count: 3000))  // ~12 MB of XML, deflates to ~30 KB
        #expect(bomb.count < 200_000)
        #expect {
            try TextExtractor.extract(bomb, format: .docx)
        } throws: { error in
            guard case ExtractionError.unreadable(let why) = error else { return false }
            return why.contains("inflates more than")
        }
        let many = try Fixture.zip((0..<6).map { ("media/\($0).bin", Data()) } + [("word/document.xml", Data("x".utf8))])
        #expect {
            try DOCXExtractor.extract(many, maxEntries: 5)
        } throws: { error in
            guard case ExtractionError.unreadable(let why) = error else { return false }
            return why.contains("entries")
        }
    }

    /// Found by fuzzing: an entry claiming more compressed bytes than the archive holds made ZIPFoundation's
    /// reading loop spin forever (file-backed) or trap (in memory). Refused before ZIPFoundation reads anything.
    @Test("an entry whose data would run past the end of the archive is refused at once")
    func entryPastTheEnd() throws {
        var bytes = [UInt8](try Fixture.docx(body: Fixture.p("Hello")))
        #expect(ZIPReading.entriesFit(Data(bytes)))
        // The first central directory record's compressed size (offset 20) claims 2 GB.
        let signature: [UInt8] = [0x50, 0x4B, 0x01, 0x02]
        let found = (0..<(bytes.count - 4)).first { bytes[$0..<($0 + 4)].elementsEqual(signature) }
        let directory = try #require(found)
        bytes.replaceSubrange((directory + 20)..<(directory + 24), with: [0xFF, 0xFF, 0xFF, 0x7F])
        #expect(!ZIPReading.entriesFit(Data(bytes)))
        #expect(throws: ExtractionError.self) { try TextExtractor.extract(Data(bytes), format: .docx) }
        // Sniffing still calls it a Word document (its name is in the local header); extraction says it is damaged.
        #expect(try FormatDetector.detect(Data(bytes), filename: nil) == .docx)
    }

    /// Found by fuzzing: ZIPFoundation's Linux reader inflates until zlib reports the stream's end, ignoring the
    /// entry's size, so a deflate stream that never ends spun forever. Entries are now inflated from their own bytes.
    @Test("a deflate stream cut short inside the archive fails as damaged, at once, and is never read past its entry")
    func deflateStreamCutShort() throws {
        var bytes = [UInt8](try Fixture.docx(body: String(repeating: Fixture.p("Some words to compress."), count: 200)))
        // The central directory record of word/document.xml (its name follows the 46-byte fixed part).
        let signature: [UInt8] = [0x50, 0x4B, 0x01, 0x02], name = Array("word/document.xml".utf8)
        let found = (0..<(bytes.count - 46 - name.count)).first {
            bytes[$0..<($0 + 4)].elementsEqual(signature) && bytes[($0 + 46)..<($0 + 46 + name.count)].elementsEqual(name)
        }
        let directory = try #require(found)
        let size = Int(bytes[directory + 20]) | Int(bytes[directory + 21]) << 8
        #expect(size > 20)
        bytes[directory + 20] = UInt8((size / 2) & 0xFF)
        bytes[directory + 21] = UInt8((size / 2) >> 8)
        #expect(ZIPReading.entriesFit(Data(bytes)))
        #expect {
            try expectFast(within: .seconds(5)) { try TextExtractor.extract(Data(bytes), format: .docx) }
        } throws: { error in
            guard case ExtractionError.unreadable(let why) = error else { return false }
            return why.contains("could not be decompressed")
        }
        // A changed byte of the data is caught by the CRC.
        var flipped = [UInt8](try Fixture.docx(body: Fixture.p("Hello")))
        let archive = try ZIPReading(Data(flipped))
        let entry = try #require(archive["word/document.xml"])
        let read = try archive.read(entry, limit: 1 << 20)
        #expect(entry.method == 8 && read.count == entry.uncompressedSize)
        flipped[entry.data.lowerBound + entry.data.count / 2] ^= 0x01
        #expect(throws: (any Error).self) { try ZIPReading(Data(flipped)).read(entry, limit: 1 << 20) }
    }

    @Test("an empty Word document has no text")
    func empty() throws {
        #expect(throws: ExtractionError.noText) { try TextExtractor.extract(try Fixture.docx(body: "<w:p/>"), format: .docx) }
    }

    @Test("a DOCX cut at many lengths never crashes")
    func prefixes() throws {
        let data = try Fixture.data("sample.docx")
        for length in stride(from: 0, to: data.count, by: 211) {
            do {
                _ = try TextExtractor.extract(data.prefix(length), format: .docx)
            } catch is ExtractionError {
            }
        }
    }
}
