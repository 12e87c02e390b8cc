import Foundation

/// Reads the small JSON files of a model folder, turning every failure into an error that names the file.
enum JSONFile {
    /// Decodes `url` as `T`; a missing file is `.missingFile`, anything else `.invalidFile`.
    static func decode<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
        let data = try read(url)
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw EmbeddingError.invalidFile(path: url.path, reason: describe(error))
        } catch {
            throw EmbeddingError.invalidFile(path: url.path, reason: "invalid JSON: \(error)")
        }
    }

    /// The bytes of `url`, or `.missingFile` / `.invalidFile`.
    static func read(_ url: URL) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw EmbeddingError.missingFile(path: url.path)
        }
        if isDirectory.boolValue {
            throw EmbeddingError.invalidFile(path: url.path, reason: "is a directory, expected a file")
        }
        do {
            return try Data(contentsOf: url)
        } catch {
            throw EmbeddingError.invalidFile(path: url.path, reason: "cannot be read: \(error.localizedDescription)")
        }
    }

    static func exists(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    /// A short human message for a decoding failure: which key, what was wrong.
    private static func describe(_ error: DecodingError) -> String {
        func keyPath(_ path: [any CodingKey]) -> String {
            path.isEmpty ? "top level" : path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .typeMismatch(let type, let context):
            return "\(keyPath(context.codingPath)): expected \(type)"
        case .valueNotFound(let type, let context):
            return "\(keyPath(context.codingPath)): expected \(type), found null"
        case .keyNotFound(let key, let context):
            return "missing key '\(keyPath(context.codingPath + [key]))'"
        case .dataCorrupted(let context):
            return "invalid JSON at \(keyPath(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "invalid JSON: \(error)"
        }
    }
}

/// A JSON value that may be a number, bool, string or null, for fields whose type varies between
/// library versions (e.g. `model_max_length` as a huge float, special tokens as a string or an object).
enum LooseJSON: Decodable, Sendable {
    case number(Double)
    case bool(Bool)
    case string(String)
    case object([String: LooseJSON])
    case array([LooseJSON])
    case null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([String: LooseJSON].self) {
            self = .object(value)
        } else {
            self = .array(try container.decode([LooseJSON].self))
        }
    }

    var string: String? {
        switch self {
        case .string(let value): return value
        // Older tokenizer configs store special tokens as {"content": "[UNK]", ...}.
        case .object(let dict): return dict["content"]?.string
        default: return nil
        }
    }

    var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    var number: Double? {
        if case .number(let value) = self { return value }
        return nil
    }
}
