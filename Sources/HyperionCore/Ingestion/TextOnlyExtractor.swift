import Foundation

/// The in-memory twin of the document extractor: UTF-8 text only, paragraphs as they are. Anything else is an
/// unsupported media type, as the real extractor says of formats it does not read.
public struct TextOnlyExtractor: DocumentExtractor {
    /// Creates the twin.
    public init() {}

    public func detect(_ data: Data, filename: String?) throws -> DocumentFormat {
        guard String(data: data, encoding: .utf8) != nil, !data.contains(0) else {
            throw HyperionError(.unsupportedMediaType, code: "unsupported_type", message: "unsupported file type: binary data")
        }
        return .text
    }

    public func extract(_ data: Data, format: DocumentFormat) throws -> ExtractedText {
        guard format == .text, let text = String(data: data, encoding: .utf8) else {
            throw HyperionError(.unsupportedMediaType, code: "unsupported_type", message: "unsupported file type: \(format.rawValue)")
        }
        let paragraphs = text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n\n")
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        guard !paragraphs.isEmpty else { throw HyperionError(.validation, code: "no_text", message: "no extractable text") }
        return ExtractedText(text: paragraphs.joined(separator: "\n\n"))
    }
}
