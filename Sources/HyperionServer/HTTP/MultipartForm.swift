import Foundation
import Hummingbird
import HyperionCore
import MultipartKit
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
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in state.headers.append((name.lowercased(), value)) }
        parser.onBody = { buffer in
            if state.current.count + buffer.readableBytes > fileLimit {
                state.currentTooLarge = true
                buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            } else {
                state.current.append(contentsOf: buffer.readableBytesView)
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
                try? await request.discardBody()
                throw APIError.tooLarge(limit: requestLimit)
            }
            do { try parser.execute(chunk) } catch {
                throw HyperionError(.badRequest, code: "malformed_multipart", message: "the multipart body could not be parsed")
            }
        }
        return MultipartForm(parts: state.parts)
    }

    static func boundary(of contentType: String) -> String? {
        parameters(contentType)["boundary"].flatMap { $0.isEmpty || $0.count > 200 ? nil : $0 }
    }

    /// `a; b="c"; d=e` → [b: c, d: e] (names lower-cased, quotes removed).
    static func parameters(_ header: String) -> [String: String] {
        var result: [String: String] = [:]
        for item in header.split(separator: ";").dropFirst() {
            let pair = item.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            var value = pair[1].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            result[pair[0].trimmingCharacters(in: .whitespaces).lowercased()] = value
        }
        return result
    }
}
