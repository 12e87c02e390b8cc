import Foundation
import HyperionCore
import Testing
import ZIPFoundation

@testable import HyperionExtract

/// Test fixtures (made by Fixtures/make_fixtures.py) and builders for inputs made on the fly.
enum Fixture {
    static func data(_ name: String) throws -> Data {
        let url = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil)).appendingPathComponent(name)
        return try Data(contentsOf: url)
    }

    /// A ZIP in memory with the given entries (deflated).
    static func zip(_ entries: [(String, Data)]) throws -> Data {
        let archive = try Archive(accessMode: .create)
        for (path, content) in entries {
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(content.count),
                                 modificationDate: Date(timeIntervalSince1970: 1_700_000_000), compressionMethod: .deflate) { position, size in
                content.subdata(in: Int(position)..<(Int(position) + size))
            }
        }
        return try #require(archive.data)
    }

    static let wordNamespace = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

    /// A minimal Word document whose body is `bodyXML`, with optional `word/styles.xml` and core title.
    static func docx(body bodyXML: String, styles: String? = nil, title: String? = nil) throws -> Data {
        var entries: [(String, Data)] = [
            ("[Content_Types].xml", Data(#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#.utf8)),
            ("word/document.xml", Data("""
                <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
                <w:document xmlns:w="\(wordNamespace)" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><w:body>\(bodyXML)</w:body></w:document>
                """.utf8)),
        ]
        if let styles {
            entries.append(("word/styles.xml", Data(#"<?xml version="1.0"?><w:styles xmlns:w="\#(wordNamespace)">\#(styles)</w:styles>"#.utf8)))
        }
        if let title {
            entries.append(("docProps/core.xml", Data("""
                <?xml version="1.0"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" \
                xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>\(title)</dc:title></cp:coreProperties>
                """.utf8)))
        }
        return try zip(entries)
    }

    /// A Word paragraph with an optional paragraph style.
    static func p(_ text: String, style: String? = nil) -> String {
        let properties = style.map { #"<w:pPr><w:pStyle w:val="\#($0)"/></w:pPr>"# } ?? ""
        return "<w:p>\(properties)<w:r><w:t xml:space=\"preserve\">\(text)</w:t></w:r></w:p>"
    }
}

extension ExtractedText {
    /// The text from Character offset `offset`, up to `length` Characters.
    func slice(at offset: Int, length: Int) -> String {
        let start = text.index(text.startIndex, offsetBy: offset, limitedBy: text.endIndex) ?? text.endIndex
        let end = text.index(start, offsetBy: length, limitedBy: text.endIndex) ?? text.endIndex
        return String(text[start..<end])
    }

    /// Every section starts with its own heading, and offsets are in range and in order: the contract the chunker relies on.
    func checkOffsets(sourceLocation: SourceLocation = #_sourceLocation) {
        let count = text.count
        for section in sections {
            let heading = section.headingPath.last ?? ""
            #expect(slice(at: section.offset, length: heading.count) == heading, "section \(section.headingPath)", sourceLocation: sourceLocation)
        }
        #expect(sections.map(\.offset) == sections.map(\.offset).sorted(), sourceLocation: sourceLocation)
        #expect(pages.map(\.offset) == pages.map(\.offset).sorted(), sourceLocation: sourceLocation)
        #expect(pages.allSatisfy { $0.offset <= count }, sourceLocation: sourceLocation)
        #expect(!text.contains("\n\n\n"), "paragraphs are separated by exactly one blank line", sourceLocation: sourceLocation)
    }
}

/// Runs `body` and fails the test if it takes longer than `limit`: hostile input must not make extraction slow. The
/// limit is generous (the whole parallel test run shares two cores); a quadratic blow-up takes minutes.
func expectFast<T>(within limit: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation,
                   _ body: () throws -> T) rethrows -> T {
    let clock = ContinuousClock()
    let start = clock.now
    let result = try body()
    let elapsed = clock.now - start
    #expect(elapsed < limit, "took \(elapsed)", sourceLocation: sourceLocation)
    return result
}
