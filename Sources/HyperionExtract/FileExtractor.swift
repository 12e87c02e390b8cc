import Foundation
import HyperionCore

/// The embedded ``DocumentExtractor``: ``FormatDetector`` to detect, ``TextExtractor`` to extract, with
/// ``ExtractionError`` turned into the typed errors the API shows.
public struct FileExtractor: DocumentExtractor {
    /// Creates the extractor.
    public init() {}

    public func detect(_ data: Data, filename: String?) throws -> DocumentFormat {
        do { return try FormatDetector.detect(data, filename: filename) } catch let error as ExtractionError { throw error.asHyperionError }
    }

    public func extract(_ data: Data, format: DocumentFormat) throws -> ExtractedText {
        do { return try TextExtractor.extract(data, format: format) } catch let error as ExtractionError { throw error.asHyperionError }
    }
}

extension ExtractionError {
    /// The domain error for the API: 415 for what is not read at all, 422 for what is read but unusable.
    public var asHyperionError: HyperionError {
        switch self {
        case .unsupportedType: HyperionError(.unsupportedMediaType, code: "unsupported_type", message: description)
        case .unsupportedEncoding: HyperionError(.unsupportedMediaType, code: "unsupported_encoding", message: description)
        case .unreadable: HyperionError(.validation, code: "unreadable_file", message: description)
        case .noText: HyperionError(.validation, code: "no_text", message: description)
        }
    }
}
