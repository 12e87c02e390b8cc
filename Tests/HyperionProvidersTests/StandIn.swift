import Foundation
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore

/// A stand-in provider: a real HTTP server on 127.0.0.1 (random port) whose routes the test writes,
/// recording what it was sent and when a streaming client went away.
final class StandIn: Sendable {
    let port: Int
    private let task: Task<Void, any Error>
    let log: Log

    /// What the stand-in saw.
    final class Log: Sendable {
        private let state = NIOLockedValueBox<(requests: [(path: String, headers: [String: String], body: String)], disconnects: [ContinuousClock.Instant])>(([], []))
        func record(path: String, headers: [String: String], body: String) { state.withLockedValue { $0.requests.append((path, headers, body)) } }
        func disconnected() { state.withLockedValue { $0.disconnects.append(.now) } }
        var requests: [(path: String, headers: [String: String], body: String)] { state.withLockedValue { $0.requests } }
        var disconnects: [ContinuousClock.Instant] { state.withLockedValue { $0.disconnects } }
        var bodies: [[String: Any]] {
            requests.compactMap { try? JSONSerialization.jsonObject(with: Data($0.body.utf8)) as? [String: Any] }
        }
    }

    private init(port: Int, task: Task<Void, any Error>, log: Log) {
        self.port = port
        self.task = task
        self.log = log
    }

    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }

    /// Starts a server; `routes` adds the handlers (they may call `log.record`).
    static func start(_ routes: (Router<BasicRequestContext>, Log) -> Void) async throws -> StandIn {
        let log = Log()
        let router = Router()
        routes(router, log)
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }
        )
        let task = Task { try await app.run() }
        var iterator = stream.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        return StandIn(port: port, task: task, log: log)
    }

    func stop() async {
        task.cancel()
        _ = try? await task.value
    }

    /// Reads a request's body and headers into the log.
    static func capture(_ request: Request, path: String, log: Log) async throws -> String {
        var request = request
        let buffer = try await request.collectBody(upTo: 1 << 20)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let body = String(buffer: buffer)
        log.record(path: path, headers: headers, body: body)
        return body
    }

    /// A streamed response writing `pieces` with `delay` between them; a failed write (client gone) is logged.
    /// `cut` ends the connection without finishing the body.
    static func streaming(_ pieces: [String], contentType: String, delay: Duration = .zero, firstDelay: Duration = .zero,
                          cut: Bool = false, log: Log) -> Response {
        Response(status: .ok, headers: [.contentType: contentType], body: ResponseBody { writer in
            do {
                if firstDelay > .zero { try await Task.sleep(for: firstDelay) }
                for piece in pieces {
                    try await writer.write(ByteBuffer(string: piece))
                    if delay > .zero { try await Task.sleep(for: delay) }
                }
            } catch {
                log.disconnected()
                throw error
            }
            if cut { throw CutConnection() }
            try await writer.finish(nil)
        })
    }

    struct CutConnection: Error {}
}
