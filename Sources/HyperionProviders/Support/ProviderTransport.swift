import AsyncHTTPClient
import Atomics
import Foundation
import HyperionCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// The HTTP side shared by every provider client: one `HTTPClient` with the connect timeout, retries
/// with backoff before the first token, the first-token and total timeouts, line-wise streaming, and
/// mapping of every failure to a ``ProviderError`` that names the provider and never the key.
public final class ProviderTransport: Sendable {
    public let settings: ProviderSettings
    let client: HTTPClient
    let logger: Logger

    /// Creates the transport on the process-wide HTTP client for its connect timeout.
    public init(settings: ProviderSettings, logger: Logger = Logger(label: "hyperion.providers")) {
        self.settings = settings
        self.logger = logger
        client = Self.sharedClient(connectTimeout: settings.connectTimeout)
    }

    /// One HTTP client (and connection pool) per distinct connect timeout, alive for the whole process
    /// like `HTTPClient.shared`, so no provider has to be shut down and pools are reused across providers.
    private static let clients = NIOLockedValueBox<[Duration: HTTPClient]>([:])

    static func sharedClient(connectTimeout: Duration) -> HTTPClient {
        clients.withLockedValue { clients in
            if let client = clients[connectTimeout] { return client }
            var configuration = HTTPClient.Configuration()
            configuration.timeout = .init(connect: .nanoseconds(connectTimeout.nanoseconds))
            configuration.decompression = .enabled(limit: .ratio(50))
            configuration.httpVersion = .http1Only
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            clients[connectTimeout] = client
            return client
        }
    }

    /// A ``ProviderError`` with our own `message`, which API callers see. What the provider said or the connection
    /// error (`detail`) may hold an organisation id, an internal address or part of a key: it goes to the log only,
    /// with keys masked.
    func error(_ kind: ProviderError.Kind, _ message: String, detail: String? = nil, status: Int? = nil, retryAfter: Double? = nil) -> ProviderError {
        if let detail, !detail.isEmpty {
            logger.warning("provider error", metadata: ["provider": "\(settings.name)", "error": "\(message)", "detail": "\(masked(detail))"])
        }
        return ProviderError(kind, provider: settings.name, message: message, status: status, retryAfter: retryAfter)
    }

    /// `text` without the configured API key or anything shaped like a key or bearer token.
    func masked(_ text: String) -> String {
        var text = text
        if let key = settings.apiKey, key.count >= 4 { text = text.replacingOccurrences(of: key, with: "***") }
        return text.replacing(#/(sk-|sk_|key-|Bearer\s+)[A-Za-z0-9_\-\.\*]{6,}/#) { "\($0.output.1)***" }
    }

    /// Sends a request built by `make` and hands each line of a 200 answer to `onLine`, which returns
    /// whether the line carried generated text (the first one stops the first-token clock and retries).
    /// Failed attempts are retried while the policy allows and no text has been produced.
    func streamLines(_ make: @escaping @Sendable () throws -> HTTPClientRequest, onLine: @escaping @Sendable (String) throws -> Bool) async throws {
        let started = ContinuousClock.now
        let deadline = NIODeadline.now() + .nanoseconds(Int64(settings.totalTimeout.nanoseconds))
        let producedText = ManagedAtomic(false)
        let settings = self.settings
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await self.attempts(make, deadline: deadline, producedText: producedText, onLine: onLine)
                return true
            }
            group.addTask {
                // The first-token watchdog: returns once text has arrived, throws when it never does.
                let limit = started + settings.firstTokenTimeout
                while ContinuousClock.now < limit {
                    if producedText.load(ordering: .relaxed) { return false }
                    try await Task.sleep(until: min(limit, ContinuousClock.now + .milliseconds(50)), clock: .continuous)
                }
                if producedText.load(ordering: .relaxed) { return false }
                throw self.error(.timeout, "no token within \(Self.seconds(settings.firstTokenTimeout)) s")
            }
            // The work finishing ends everything (the watchdog is cancelled); the watchdog ends it only by throwing.
            while let workDone = try await group.next() {
                if workDone {
                    group.cancelAll()
                    return
                }
            }
        }
    }

    private func attempts(_ make: @Sendable () throws -> HTTPClientRequest, deadline: NIODeadline, producedText: ManagedAtomic<Bool>,
                          onLine: @Sendable (String) throws -> Bool) async throws {
        try await retrying(deadline: deadline, mayRetry: { !producedText.load(ordering: .relaxed) }) {
            try await once(make(), deadline: deadline, producedText: producedText, onLine: onLine)
        }
    }

    /// Runs `attempt`, and again after a backoff while its failure is retryable, the policy allows another
    /// try, `mayRetry` holds (no token yet) and the wait ends before `deadline`.
    private func retrying<T>(deadline: NIODeadline, mayRetry: () -> Bool = { true }, _ attempt: () async throws -> T) async throws -> T {
        let policy = RetryPolicy(maxRetries: settings.maxRetries, baseDelay: settings.retryBaseDelay)
        var tries = 0
        while true {
            do {
                return try await attempt()
            } catch let failure as ProviderError where failure.isRetryable && tries < policy.maxRetries && mayRetry() {
                let wait = policy.delay(attempt: tries, retryAfter: failure.retryAfter)
                tries += 1
                logger.warning("provider call failed, retrying", metadata: [
                    "provider": "\(settings.name)", "kind": "\(failure.kind.rawValue)", "attempt": "\(tries)", "wait_ms": "\(wait.milliseconds)",
                ])
                guard NIODeadline.now() + .nanoseconds(Int64(wait.nanoseconds)) < deadline else { throw failure }
                try await Task.sleep(for: wait)
            }
        }
    }

    /// The error for an answer other than 200: 429 is rate limiting (with its `Retry-After`), anything else
    /// an upstream status; the provider's own message is kept.
    private func statusError(_ response: HTTPClientResponse, body: String) -> ProviderError {
        let status = Int(response.status.code)
        return error(status == 429 ? .rateLimited : .upstreamStatus, "answered HTTP \(status)", detail: Self.upstreamMessage(body),
                     status: status, retryAfter: RetryPolicy.parseRetryAfter(response.headers.first(name: "retry-after")))
    }

    private func once(_ request: HTTPClientRequest, deadline: NIODeadline, producedText: ManagedAtomic<Bool>,
                      onLine: @Sendable (String) throws -> Bool) async throws {
        try await inClientSpan(request) { request, span in
            try await streamOnce(request, deadline: deadline, producedText: producedText, span: span, onLine: onLine)
        }
    }

    /// Runs one HTTP call in a client span named for it, handing `call` the request with the current trace's headers
    /// (the provider continues the trace) and the span to report the response in.
    private func inClientSpan<T>(_ request: HTTPClientRequest, _ call: (HTTPClientRequest, SpanHandle) async throws -> T) async throws -> T {
        try await Spans.run("\(request.method.rawValue) \(settings.name)", kind: .client) { span in
            var request = request
            for (name, value) in Spans.propagationHeaders() { request.headers.replaceOrAdd(name: name, value: value) }
            span.update { attributes in
                attributes["http.request.method"] = request.method.rawValue
                attributes["url.full"] = request.url
                attributes["server.address"] = settings.baseURL.host
                attributes["hyperion.provider"] = settings.name
            }
            return try await call(request, span)
        }
    }

    private func streamOnce(_ request: HTTPClientRequest, deadline: NIODeadline, producedText: ManagedAtomic<Bool>, span: SpanHandle,
                            onLine: @Sendable (String) throws -> Bool) async throws {
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, deadline: deadline, logger: logger)
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw classify(error)
        }
        span.set("http.response.status_code", Int(response.status.code))
        guard response.status == .ok else {
            throw statusError(response, body: (try? await response.body.collect(upTo: 64 << 10)).map { String(buffer: $0) } ?? "")
        }
        var splitter = LineSplitter()
        do {
            for try await buffer in response.body {
                for line in try splitter.push(buffer) where try onLine(line) {
                    producedText.store(true, ordering: .relaxed)
                }
            }
            if let last = splitter.finish(), try onLine(last) { producedText.store(true, ordering: .relaxed) }
        } catch let failure as ProviderError {
            throw failure
        } catch is LineSplitter.LineTooLong {
            throw error(.badResponse, "sent a line longer than 4 MB")
        } catch {
            if error is CancellationError || Task.isCancelled { throw CancellationError() }
            let mapped = classify(error)
            // A stream cut after text arrived is a broken answer, not a reason to try again.
            throw producedText.load(ordering: .relaxed) && mapped.kind == .unreachable
                ? self.error(.badResponse, "the stream broke off in the middle (\(mapped.message))") : mapped
        }
    }

    /// Sends one JSON request (with retries) and returns the 200 body.
    func json(_ make: @Sendable () throws -> HTTPClientRequest, limit: Int = 64 << 20) async throws -> ByteBuffer {
        let deadline = NIODeadline.now() + .nanoseconds(Int64(settings.totalTimeout.nanoseconds))
        return try await retrying(deadline: deadline) {
            return try await inClientSpan(try make()) { request, span in
                let response: HTTPClientResponse
                do { response = try await client.execute(request, deadline: deadline, logger: logger) } catch { throw classify(error) }
                span.set("http.response.status_code", Int(response.status.code))
                let body: ByteBuffer
                do { body = try await response.body.collect(upTo: limit) } catch { throw classify(error) }
                guard response.status == .ok else { throw statusError(response, body: String(buffer: body)) }
                return body
            }
        }
    }

    /// A ``ProviderError`` for a transport failure (or the cancellation itself when the caller went away).
    func classify(_ error: any Error) -> ProviderError {
        if let error = error as? ProviderError { return error }
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout:
                return self.error(.timeout, "did not answer within \(Self.seconds(settings.totalTimeout)) s")
            case .connectTimeout:
                return self.error(.unreachable, "no connection within \(Self.seconds(settings.connectTimeout)) s", detail: settings.baseURL.host ?? "?")
            case .cancelled:
                return self.error(.unreachable, "request cancelled")
            default:
                return self.error(.unreachable, "the connection failed", detail: "\(error)")
            }
        }
        return self.error(.unreachable, "could not be reached",
                          detail: "\(settings.baseURL.host ?? "?"):\(settings.baseURL.port.map(String.init) ?? "default port") (\(String(describing: error).prefix(200)))")
    }

    /// The `message` of a provider's JSON error (`{"error":{"message"}}`, `{"error":"..."}`), else the start of the body.
    static func upstreamMessage(_ body: String) -> String {
        if let data = body.data(using: .utf8), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            if let error = object["error"] as? [String: Any], let message = error["message"] as? String { return String(message.prefix(500)) }
            if let error = object["error"] as? String { return String(error.prefix(500)) }
            if let message = object["message"] as? String { return String(message.prefix(500)) }
        }
        return String(body.prefix(200)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A JSON POST with the provider's headers.
    func post(_ path: String, json body: Data, headers: [(String, String)]) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: settings.url(path))
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "user-agent", value: "Hyperion")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        return request
    }

    /// A GET with the provider's headers.
    func get(_ path: String, headers: [(String, String)]) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: settings.url(path))
        request.method = .GET
        request.headers.add(name: "user-agent", value: "Hyperion")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        return request
    }

    static func seconds(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }
}

extension Duration {
    var nanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }
    var milliseconds: Int64 { nanoseconds / 1_000_000 }
}
