import Foundation
import Hummingbird
import HyperionCore

/// Reads JSON request bodies with the errors the API promises: 415 for another content type,
/// 413 over the size limit, 400 for malformed JSON, 422 naming the field for a wrong or missing value.
public struct JSONBody: Sendable {
    /// Largest body accepted, in bytes.
    public let limit: Int

    /// Creates a reader with a size limit.
    public init(limit: Int) { self.limit = limit }

    /// Decodes the body of `request` as `T`.
    public func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/json") || contentType.contains("+json") else {
            throw APIError.unsupportedMediaType(expected: "application/json")
        }
        return try Self.decode(type, from: Data(buffer: try await collect(request)))
    }

    /// The whole body, up to the limit (413 in the envelope beyond it).
    public func collect(_ request: Request) async throws -> ByteBuffer {
        var request = request
        do {
            return try await request.collectBody(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError.tooLarge(limit: limit)
        }
    }

    /// Decodes `data`, mapping decoding failures to 400/422.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
            // Foundation reports a number its field cannot hold (`"top_k": 1e30`, `1.5` for an integer) as
            // "not valid JSON" with no path. Valid JSON with such a number is a 422 naming the field.
            guard let root = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
                throw APIError.malformed("request body is not valid JSON")
            }
            let field = unfitNumberField(type, in: root) ?? "body"
            throw HyperionError.invalid(field, "must be a number its field can hold (an integer field takes a whole number within 64 bits)")
        } catch let error as DecodingError {
            throw map(error)
        }
    }

    /// Which number of `root` makes decoding `T` fail: each number that is not a 64-bit integer is set to 0 in
    /// turn, and the first whose change lets the decoder past it is the one. Bodies are small; this runs only
    /// on a request that is refused anyway.
    static func unfitNumberField<T: Decodable>(_ type: T.Type, in root: Any) -> String? {
        var candidates: [[Any]] = []
        func walk(_ value: Any, _ path: [Any]) {
            switch value {
            case let object as [String: Any]: for key in object.keys.sorted() { walk(object[key]!, path + [key]) }
            case let array as [Any]: for (i, item) in array.enumerated() { walk(item, path + [i]) }
            case let number as NSNumber:  // booleans come as 0 and 1, whole numbers: never candidates
                let double = number.doubleValue
                if double.rounded() != double || abs(double) >= 9.2e18 { candidates.append(path) }
            default: break
            }
        }
        walk(root, [])
        func replacing(_ value: Any, _ path: ArraySlice<Any>) -> Any {
            guard let head = path.first else { return 0 }
            if var object = value as? [String: Any], let key = head as? String, let inner = object[key] {
                object[key] = replacing(inner, path.dropFirst())
                return object
            }
            if var array = value as? [Any], let index = head as? Int, array.indices.contains(index) {
                array[index] = replacing(array[index], path.dropFirst())
                return array
            }
            return value
        }
        for path in candidates {
            guard let patched = try? JSONSerialization.data(withJSONObject: replacing(root, path[...]), options: [.fragmentsAllowed]) else { continue }
            do {
                _ = try JSONDecoder().decode(type, from: patched)
                return name(path)
            } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
                continue
            } catch {
                return name(path)  // past this number, the decoder stopped somewhere else
            }
        }
        return nil
    }

    private static func name(_ path: [Any]) -> String {
        path.map { ($0 as? Int).map { "[\($0)]" } ?? ".\($0)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }

    static func map(_ error: DecodingError) -> any Error {
        func path(_ codingPath: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
            let keys = codingPath + (last.map { [$0] } ?? [])
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return text.isEmpty ? "body" : text.replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return APIError.malformed("request body is not valid JSON")
        case .dataCorrupted(let context):
            return HyperionError.invalid(path(context.codingPath), context.debugDescription)
        case .keyNotFound(let key, let context):
            return HyperionError.invalid(path(context.codingPath, key), "is required")
        case .typeMismatch(let type, let context):
            return HyperionError.invalid(path(context.codingPath), "must be \(describe(type))")
        case .valueNotFound(let type, let context):
            return HyperionError.invalid(path(context.codingPath), "must be \(describe(type)), not null")
        @unknown default:
            return APIError.malformed("request body could not be decoded")
        }
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type, is Int32.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is Bool.Type: "a boolean"
        case is [Any].Type: "an array"
        default: "a JSON \(type is any Collection.Type ? "array" : "object")"
        }
    }
}

extension Request {
    /// An optional UUID query parameter; present but not a UUID is a 422 naming it.
    func uuidQuery(_ name: String) throws -> UUID? {
        guard let raw = uri.queryParameters[Substring(name)] else { return nil }
        guard let id = UUID(uuidString: String(raw)) else { throw HyperionError.invalid(name, "must be a UUID") }
        return id
    }

    /// An optional timestamp query parameter (ISO 8601); present but unreadable is a 422 naming it.
    func timestampQuery(_ name: String) throws -> Date? {
        try uri.queryParameters[Substring(name)].map { try parseTimestamp(String($0), field: name) }
    }

    /// An integer query parameter within `range`, `value` when absent; anything else is a 422 naming it.
    func integerQuery(_ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        try PageRequest.parse(uri.queryParameters[Substring(name)].map(String.init), field: name, default: value, range: range)
    }

    /// The `skip`/`limit` list parameters, validated (422 naming the parameter when bad).
    public var pageRequest: PageRequest {
        get throws {
            try PageRequest(skip: uri.queryParameters["skip"].map(String.init), limit: uri.queryParameters["limit"].map(String.init))
        }
    }
}

/// The list response shape `{"items","total","skip","limit"}`.
public struct ListResponse<Item: Encodable & Sendable>: Encodable, Sendable {
    /// This page's items.
    public var items: [Item]
    /// How many exist in all.
    public var total: Int
    /// Items skipped.
    public var skip: Int
    /// Page size asked for.
    public var limit: Int

    /// Wraps a domain page.
    public init(_ page: Page<Item>) {
        items = page.items
        total = page.total
        skip = page.request.skip
        limit = page.request.limit
    }
}

extension ListResponse: ResponseEncodable {}
