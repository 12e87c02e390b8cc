import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Tracing

/// Writes a `text/event-stream` response: events from a producer, and a comment heartbeat whenever the
/// stream has been quiet for `heartbeat`, so proxies keep the connection open. When the client goes
/// away the next write fails and the producer is cancelled (which cancels an upstream LLM request).
struct ServerSentEvents {
    /// Where the producer sends events.
    struct Sink: Sendable {
        fileprivate let continuation: AsyncStream<ByteBuffer>.Continuation

        /// Sends `event` with `data` (each line of it as its own `data:` line).
        func send(_ event: String?, data: String) {
            var text = event.map { "event: \($0)\n" } ?? ""
            for line in data.split(separator: "\n", omittingEmptySubsequences: false) { text += "data: \(line)\n" }
            continuation.yield(ByteBuffer(string: text + "\n"))
        }

        /// Sends an event whose data is `value` as JSON.
        func send<T: Encodable>(_ event: String?, json value: T) {
            let data = (try? EnvelopeEncoding.encoder.encode(value)) ?? Data("{}".utf8)
            send(event, data: String(decoding: data, as: UTF8.self))
        }

        /// Sends raw bytes (e.g. `data: [DONE]\n\n`).
        func raw(_ text: String) { continuation.yield(ByteBuffer(string: text)) }
    }

    static let headers: HTTPFields = [
        .contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache", HTTPField.Name("X-Accel-Buffering")!: "no",
    ]

    /// The streaming response; `produce` runs until it returns or the client leaves.
    static func response(heartbeat: Duration, _ produce: @escaping @Sendable (Sink) async -> Void) -> Response {
        // The body is written after the handler returned, outside its task-locals: the producer gets the request's
        // log fields and trace back, so its log lines and spans (the LLM call) belong to the request.
        let (request, trace) = (RequestTrace.current, ServiceContext.current)
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            let (stream, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
            let sink = Sink(continuation: continuation)
            let producer = Task {
                await RequestTrace.$current.withValue(request) {
                    await ServiceContext.$current.withValue(trace) { await produce(sink) }
                }
                continuation.finish()
            }
            let beat = Task {
                while !Task.isCancelled {
                    try await Task.sleep(for: heartbeat)
                    continuation.yield(ByteBuffer(string: ": heartbeat\n\n"))
                }
            }
            defer {
                producer.cancel()
                beat.cancel()
            }
            for await chunk in stream { try await writer.write(chunk) }
            try await writer.finish(nil)
        })
    }

    /// Whether the client asked for a stream by its `Accept` header.
    static func wanted(_ request: Request) -> Bool {
        request.headers[.accept].map { $0.contains("text/event-stream") } ?? false
    }
}
