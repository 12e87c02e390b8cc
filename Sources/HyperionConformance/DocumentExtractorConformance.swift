import Foundation
import HyperionCore

/// Makes the extractor under test for ``DocumentExtractorConformance``.
public struct DocumentExtractorHarness: Sendable {
    let make: @Sendable () async throws -> any DocumentExtractor

    /// A harness over a factory.
    public init(make: @escaping @Sendable () async throws -> any DocumentExtractor) {
        self.make = make
    }
}

/// What every ``DocumentExtractor`` must do with the formats all of them read (plain text): detect without
/// extracting, extract what was detected, and refuse what it cannot read with the typed errors the API shows
/// (binary data → unsupported media type; empty or blank → no text), never anything else.
public enum DocumentExtractorConformance {
    /// Every check of the suite.
    public static let checks: [ConformanceCheck<DocumentExtractorHarness>] = [
        .init("plain text is detected and extracted with its paragraphs") { harness in
            let extractor = try await harness.make()
            let data = Data("First paragraph about retrieval.\n\nSecond paragraph, ünïcode ✓.\n".utf8)
            try expectEqual(try extractor.detect(data, filename: "notes.txt"), .text, "format")
            let text = try extractor.extract(data, format: .text)
            try expect(text.text.contains("First paragraph about retrieval."), "first paragraph in \(text.text.debugDescription)")
            try expect(text.text.contains("Second paragraph, ünïcode ✓."), "second paragraph in \(text.text.debugDescription)")
            try expect(text.hasText, "hasText")
        },
        .init("binary data is refused as an unsupported media type") { harness in
            let extractor = try await harness.make()
            var random = SplitMix64(seed: 11)
            let data = Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &random) })
            try expectKind(.unsupportedMediaType, "binary data") { _ = try extractor.detect(data, filename: "data.bin") }
            let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + [UInt8](repeating: 0, count: 64))
            try expectKind(.unsupportedMediaType, "a PNG image") { _ = try extractor.detect(png, filename: "image.txt") }
        },
        .init("empty or blank files are refused as holding no text") { harness in
            let extractor = try await harness.make()
            try expectKind(.validation, "an empty file", code: "no_text") { _ = try extractor.extract(Data(), format: .text) }
            try expectKind(.validation, "a blank file", code: "no_text") { _ = try extractor.extract(Data(" \n\n\t \n".utf8), format: .text) }
        },
    ]

    static func expectKind(_ kind: HyperionError.Kind, _ what: String, code: String? = nil, line: UInt = #line, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as HyperionError {
            try expectEqual(error.kind, kind, "kind of the error for \(what)", line: line)
            if let code { try expectEqual(error.code, code, "code of the error for \(what)", line: line) }
            return
        } catch {
            throw ConformanceFailure(message: "\(what): threw \(type(of: error)) \(error), not a HyperionError", line: line)
        }
        throw ConformanceFailure(message: "\(what) was accepted", line: line)
    }
}
