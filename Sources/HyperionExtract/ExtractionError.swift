/// Why a file's text could not be extracted.
///
/// The HTTP layer maps the cases to statuses (``unsupportedType`` and ``unsupportedEncoding`` to 415,
/// ``unreadable`` and ``noText`` to 422), and shows ``description`` to the caller, so every message says
/// what was found and why it was refused, in words a user can act on, and never includes file contents.
public enum ExtractionError: Error, Equatable, CustomStringConvertible {
    /// The content is a kind of file Hyperion does not read; the payload says what was detected
    /// ("a PNG image", "binary data").
    case unsupportedType(String)
    /// The content is text in an encoding Hyperion does not read; the payload says why
    /// ("not valid UTF-8 and no UTF-16 byte-order mark …").
    case unsupportedEncoding(String)
    /// The file is of a supported type but cannot be read: encrypted, damaged, truncated. The payload
    /// names the format and the reason.
    case unreadable(String)
    /// The file was read but holds no text: a scanned PDF without a text layer, an empty document.
    case noText

    /// A sentence for the caller.
    public var description: String {
        switch self {
        case .unsupportedType(let what): "unsupported file type: \(what)"
        case .unsupportedEncoding(let why): "unsupported text encoding: \(why)"
        case .unreadable(let why): why
        case .noText: "no extractable text"
        }
    }
}
