import Foundation

/// Everything that can go wrong while loading, pulling or running an embedding model.
///
/// Cases that concern a file carry its path, so a message always says which file is at fault.
public enum EmbeddingError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// A file the model needs does not exist.
    case missingFile(path: String)
    /// A file exists but its content is wrong (bad JSON, truncated data, a shape that disagrees with config.json…).
    case invalidFile(path: String, reason: String)
    /// A well-formed file describes something this library does not implement (e.g. a non-BERT model).
    case unsupported(path: String, reason: String)
    /// Fetching or unpacking a model failed.
    case pullFailed(reason: String)
    /// A fetched file does not have the expected SHA-256.
    case checksumMismatch(path: String, expected: String, actual: String)

    /// The file the error is about, if any.
    public var path: String? {
        switch self {
        case .missingFile(let path), .invalidFile(let path, _), .unsupported(let path, _),
             .checksumMismatch(let path, _, _):
            return path
        case .pullFailed:
            return nil
        }
    }

    /// A one-line message naming the file and the problem.
    public var description: String {
        switch self {
        case .missingFile(let path):
            return "\(path): file is missing"
        case .invalidFile(let path, let reason):
            return "\(path): \(reason)"
        case .unsupported(let path, let reason):
            return "\(path): unsupported: \(reason)"
        case .pullFailed(let reason):
            return "model pull failed: \(reason)"
        case .checksumMismatch(let path, let expected, let actual):
            return "\(path): SHA-256 mismatch: expected \(expected), got \(actual)"
        }
    }

    /// Same as `description`, for `localizedDescription`.
    public var errorDescription: String? { description }
}
