import Foundation

/// Turns uploaded files into text. The embedded default is HyperionExtract's `FileExtractor` (PDF through poppler,
/// DOCX, HTML, Markdown, text); `DocumentExtractorConformance` (HyperionConformance) is what proves one right.
///
/// Failures are ``HyperionError``s whose message is safe to show: kind `unsupportedMediaType` for content of a
/// kind or encoding it does not read, `validation` with code `unreadable_file` (encrypted, damaged) or `no_text`.
public protocol DocumentExtractor: Sendable {
    /// The format of a file from its bytes (and, for text formats, its name), cheaply and without extracting: what an
    /// upload request checks before it queues the file.
    func detect(_ data: Data, filename: String?) throws -> DocumentFormat
    /// The text, pages and sections of `data` read as `format`. May take seconds: call it from a job.
    func extract(_ data: Data, format: DocumentFormat) throws -> ExtractedText
}
