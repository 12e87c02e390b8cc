import Foundation
import HyperionCore

/// Turns a file's bytes into ``ExtractedText`` for its ``DocumentFormat`` (usually from ``FormatDetector``).
public enum TextExtractor {
    /// Extracts the text, pages and sections of `data` read as `format`.
    ///
    /// Safe on hostile input: nothing recurses on the input's structure, decompression is capped, and every
    /// failure is an ``ExtractionError``. PDF extraction is serialised process-wide (Poppler keeps global state);
    /// the other formats run in parallel freely. Call it off the event loop: a large PDF takes seconds.
    ///
    /// - Throws: ``ExtractionError/unreadable(_:)`` for encrypted or damaged PDF and DOCX files,
    ///   ``ExtractionError/unsupportedEncoding(_:)`` or ``ExtractionError/unsupportedType(_:)`` for text formats whose
    ///   bytes are not text, and ``ExtractionError/noText`` when nothing but whitespace comes out.
    public static func extract(_ data: Data, format: DocumentFormat) throws -> ExtractedText {
        guard !data.isEmpty else { throw ExtractionError.noText }
        let extracted: ExtractedText
        switch format {
        case .pdf: extracted = try PDFExtractor.extract(data)
        case .docx: extracted = try DOCXExtractor.extract(data)
        case .html: extracted = HTMLExtractor.extract(try TextDecoding.decode(data, declaredHTMLCharset: true))
        case .markdown: extracted = MarkdownExtractor.extract(try TextDecoding.decode(data))
        case .text: extracted = PlainTextExtractor.extract(try TextDecoding.decode(data))
        }
        guard extracted.hasText else { throw ExtractionError.noText }
        return extracted
    }
}

/// Plain text: paragraphs as they are (blank lines separate them), with line endings normalised and form feeds
/// (page breaks in text exports) taken as paragraph breaks.
enum PlainTextExtractor {
    static func extract(_ text: String) -> ExtractedText {
        var builder = TextBuilder()
        builder.paragraphs(text.contains("\u{0C}") ? text.replacingOccurrences(of: "\u{0C}", with: "\n\n") : text)
        return builder.build(title: nil)
    }
}
