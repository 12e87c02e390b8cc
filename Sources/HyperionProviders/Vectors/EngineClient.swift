import AsyncHTTPClient
import Foundation
import HyperionCore
import NIOCore
import NIOHTTP1

/// JSON over HTTP to a vector engine (Chroma, Milvus), with one deadline per call and the engine's failures mapped to
/// ``IndexEngineError``: no answer, a refused connection or a 5xx → unavailable; an answer that does not decode →
/// bad response. Callers decide what a 4xx means.
struct EngineClient: Sendable {
    /// The engine's name in errors.
    let engine: String
    /// Base URL without a trailing slash.
    let baseURL: String
    /// Seconds per call, connecting included.
    let timeout: Duration
    /// Headers sent with every call (e.g. a token).
    let headers: [(String, String)]
    let client: HTTPClient

    init(engine: String, baseURL: String, timeout: Duration, headers: [(String, String)] = []) {
        self.engine = engine
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.timeout = timeout
        self.headers = headers
        self.client = HTTPClient.shared
    }

    /// An answer: its status and body.
    struct Answer: Sendable {
        let status: Int
        let body: Data

        /// The body decoded as `T`, or a bad-response error naming what was expected.
        func decode<T: Decodable>(_ type: T.Type, engine: String, knowledgeBase: UUID? = nil) throws -> T {
            do { return try JSONDecoder().decode(T.self, from: body) } catch {
                throw IndexEngineError(.badResponse, engine: engine, knowledgeBase: knowledgeBase,
                                       "answered \(status) with something that is not the expected \(T.self): \(String(decoding: body.prefix(160), as: UTF8.self))")
            }
        }

        /// The engine's own error message, when the body carries one.
        var message: String {
            if let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] {
                for key in ["message", "error", "detail"] { if let text = object[key] as? String { return text } }
            }
            return String(decoding: body.prefix(200), as: UTF8.self)
        }
    }

    /// Sends `body` (JSON) with `method` to `path`; 5xx and transport failures throw, any other status is returned.
    func call(_ method: HTTPMethod, _ path: String, json body: (any Encodable & Sendable)? = nil, knowledgeBase: UUID? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .withoutEscapingSlashes
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try encoder.encode(body)))
        }
        let answer: Answer
        do {
            let response = try await client.execute(request, deadline: .now() + .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000))
            let bytes = try await response.body.collect(upTo: 256 << 20)
            answer = Answer(status: Int(response.status.code), body: Data(bytes.readableBytesView))
        } catch {
            throw IndexEngineError(.unavailable, engine: engine, knowledgeBase: knowledgeBase, "cannot be reached at \(baseURL): \(Self.reason(error))")
        }
        if answer.status >= 500 {
            throw IndexEngineError(.unavailable, engine: engine, knowledgeBase: knowledgeBase, "answered \(answer.status): \(answer.message)")
        }
        return answer
    }

    static func reason(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout: return "no answer in time"
            default: break
            }
        }
        return String(String(describing: error).prefix(160))
    }
}
