import Foundation
import Hummingbird
import HyperionCore
import NIOCore

/// A `multipart/form-data` body read as it streams in, with a limit on the whole body and on each file.
struct MultipartForm {
    /// One part: a form field or a file.
    struct Part {
        var name: String
        var filename: String?
        var data: Data
        /// The file was cut off at the per-file limit (its data is incomplete and must be refused).
        var tooLarge: Bool
    }

    var parts: [Part]

    func files(named name: String) -> [Part] { parts.filter { $0.name == name && $0.filename != nil } }
    func field(_ name: String) -> String? {
        parts.first { $0.name == name && $0.filename == nil }.map { String(decoding: $0.data, as: UTF8.self) }
    }
    func fields(_ name: String) -> [String] {
        parts.filter { $0.name == name && $0.filename == nil }.map { String(decoding: $0.data, as: UTF8.self) }
    }

    /// Reads the request body. 415 when it is not multipart form data, 413 over `requestLimit`,
    /// 400 when it cannot be parsed. Files over `fileLimit` are kept (marked, truncated) so the others survive.
    static func read(_ request: Request, requestLimit: Int, fileLimit: Int) async throws -> MultipartForm {
        guard let type = request.headers[.contentType], type.lowercased().hasPrefix("multipart/form-data"),
              let boundary = boundary(of: type) else {
            try? await request.discardBody()
            throw APIError.unsupportedMediaType(expected: "multipart/form-data with a boundary")
        }
        final class State {
            var parts: [Part] = []
            var headers: [(String, String)] = []
            var current = Data()
            var currentTooLarge = false
        }
        let state = State()
        let parser = MultipartStream(boundary: boundary)
        parser.onHeader = { name, value in state.headers.append((name.lowercased(), value)) }
        parser.onBody = { bytes in
            if state.current.count + bytes.count > fileLimit {
                state.currentTooLarge = true
            } else {
                state.current.append(contentsOf: bytes)
            }
        }
        parser.onPartComplete = {
            let disposition = state.headers.first { $0.0 == "content-disposition" }?.1 ?? ""
            let params = Self.parameters(disposition)
            state.parts.append(Part(name: params["name"] ?? "", filename: params["filename"], data: state.current, tooLarge: state.currentTooLarge))
            state.headers = []
            state.current = Data()
            state.currentTooLarge = false
        }
        var seen = 0
        for try await chunk in request.body {
            seen += chunk.readableBytes
            if seen > requestLimit {
                try? await request.discardBody()  // at most `Request.drainLimit` more, so the client can read the 413
                throw APIError.tooLarge(limit: requestLimit)
            }
            do { try parser.execute(chunk.readableBytesView) } catch let error as MultipartStream.SyntaxError {
                throw HyperionError(.badRequest, code: "malformed_multipart", message: "the multipart body could not be parsed: \(error.reason)")
            }
        }
        // A body cut short would otherwise lose its last part silently (and an upload is all or nothing).
        guard parser.isComplete else {
            throw HyperionError(.badRequest, code: "malformed_multipart", message: "the multipart body ended before its closing boundary")
        }
        return MultipartForm(parts: state.parts)
    }

    static func boundary(of contentType: String) -> String? {
        parameters(contentType)["boundary"].flatMap { $0.isEmpty || $0.count > 200 ? nil : $0 }
    }

    /// `a; b="c"; d=e` → [b: c, d: e]: names lower-cased, quoted strings unquoted with their `\\` escapes, a `;` or
    /// `=` inside quotes kept as text (so `filename="report;v2 final.txt"` stays whole and a file name holding
    /// `;name=x` cannot change the field). The first of a repeated name counts. An RFC 5987 `filename*=UTF-8''…`
    /// wins over `filename`.
    static func parameters(_ header: String) -> [String: String] {
        var result: [String: String] = [:]
        let scalars = Array(header.unicodeScalars)
        var i = 0
        func skipBlanks() { while i < scalars.count, scalars[i] == " " || scalars[i] == "\t" { i += 1 } }
        // The value before the first `;` (the disposition or media type) is not a parameter.
        while i < scalars.count, scalars[i] != ";" {
            if scalars[i] == "\"" { skipQuoted(scalars, &i) } else { i += 1 }
        }
        while i < scalars.count {
            i += 1  // the `;`
            skipBlanks()
            var name = ""
            while i < scalars.count, scalars[i] != "=", scalars[i] != ";" { name.unicodeScalars.append(scalars[i]); i += 1 }
            name = name.trimmingCharacters(in: .whitespaces).lowercased()
            guard i < scalars.count, scalars[i] == "=" else { continue }
            i += 1
            skipBlanks()
            var value = ""
            if i < scalars.count, scalars[i] == "\"" {
                value = skipQuoted(scalars, &i)
                while i < scalars.count, scalars[i] != ";" { i += 1 }  // anything after the closing quote is noise
            } else {
                while i < scalars.count, scalars[i] != ";" { value.unicodeScalars.append(scalars[i]); i += 1 }
                value = value.trimmingCharacters(in: .whitespaces)
            }
            if !name.isEmpty, result[name] == nil { result[name] = value }
        }
        if let extended = result["filename*"].flatMap(decodeExtended) { result["filename"] = extended }
        return result
    }

    /// Reads a quoted string starting at `i` (on its opening quote) and leaves `i` after its closing quote.
    @discardableResult
    private static func skipQuoted(_ scalars: [Unicode.Scalar], _ i: inout Int) -> String {
        var value = ""
        i += 1
        while i < scalars.count, scalars[i] != "\"" {
            if scalars[i] == "\\", i + 1 < scalars.count { i += 1 }
            value.unicodeScalars.append(scalars[i])
            i += 1
        }
        if i < scalars.count { i += 1 }
        return value
    }

    /// `UTF-8''%e2%82%ac%20rates.txt` → "€ rates.txt"; nil for another charset or bad escapes.
    static func decodeExtended(_ value: String) -> String? {
        let parts = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].lowercased() == "utf-8" else { return nil }
        return String(parts[2]).removingPercentEncoding
    }
}
