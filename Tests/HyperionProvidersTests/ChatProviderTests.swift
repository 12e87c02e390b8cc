import Foundation
import Hummingbird
import HyperionCore
import Logging
import NIOConcurrencyHelpers
@testable import HyperionProviders
import Testing

@Suite("Chat providers against stand-in servers")
struct ChatProviderTests {
    static let question = ChatRequest(messages: [
        ChatMessage(role: .system, content: "Be brief."),
        ChatMessage(role: .user, content: "Hello?"),
    ], options: GenerationOptions(temperature: 0.3, maxTokens: 50))

    func settings(_ standIn: StandIn, kind: ProviderKind, path: String = "", retries: Int = 2, firstToken: Duration = .seconds(10)) -> ProviderSettings {
        ProviderSettings(name: "test-\(kind.rawValue)", kind: kind, baseURL: standIn.baseURL.appendingPathComponent(path),
                         apiKey: "sk-secret-key", defaultModel: "model-a", connectTimeout: .seconds(2), firstTokenTimeout: firstToken,
                         totalTimeout: .seconds(20), maxRetries: retries, retryBaseDelay: .milliseconds(20))
    }

    func collect(_ model: any ChatModel, _ request: ChatRequest = question) async throws -> (text: String, events: [ChatEvent]) {
        var events: [ChatEvent] = []
        for try await event in model.stream(request) { events.append(event) }
        let text = events.compactMap { if case .delta(let t) = $0 { t } else { nil } }.joined()
        return (text, events)
    }

    @Test("OpenAI-compatible: streamed deltas, usage, finish reason, bearer key, request body")
    func openAI() async throws {
        let server = try await StandIn.start { router, log in
            router.post("/v1/chat/completions") { request, _ in
                _ = try await StandIn.capture(request, path: "/v1/chat/completions", log: log)
                return StandIn.streaming(Wire.openAIStream(["Hel", "lo", " [1]"]), contentType: "text/event-stream", log: log)
            }
        }
        defer { Task { await server.stop() } }
        let model = OpenAIChatModel(transport: ProviderTransport(settings: settings(server, kind: .openai, path: "v1")))
        let (text, events) = try await collect(model)
        #expect(text == "Hello [1]")
        #expect(events.contains(.usage(TokenUsage(promptTokens: 11, completionTokens: 3))))
        #expect(events.contains(.finished(reason: "stop")))
        let sent = try #require(server.log.requests.first)
        #expect(sent.headers["authorization"] == "Bearer sk-secret-key")
        let body = try #require(server.log.bodies.first)
        #expect(body["model"] as? String == "model-a")
        #expect(body["stream"] as? Bool == true)
        #expect(body["temperature"] as? Double == 0.3)
        #expect(body["max_tokens"] as? Int == 50)
        #expect((body["messages"] as? [[String: String]])?.map { $0["role"] ?? "" } == ["system", "user"])
    }

    @Test("Ollama: NDJSON lines, usage from the done line, options")
    func ollama() async throws {
        let server = try await StandIn.start { router, log in
            router.post("/api/chat") { request, _ in
                _ = try await StandIn.capture(request, path: "/api/chat", log: log)
                return StandIn.streaming([Wire.ollamaLine("The"), Wire.ollamaLine(" sky"), Wire.ollamaDone(prompt: 26, eval: 2)],
                                         contentType: "application/x-ndjson", log: log)
            }
        }
        defer { Task { await server.stop() } }
        let model = OllamaChatModel(transport: ProviderTransport(settings: settings(server, kind: .ollama)))
        let (text, events) = try await collect(model)
        #expect(text == "The sky")
        #expect(events.contains(.usage(TokenUsage(promptTokens: 26, completionTokens: 2))))
        #expect(events.last == .finished(reason: "stop"))
        let body = try #require(server.log.bodies.first)
        #expect((body["options"] as? [String: Any])?["num_predict"] as? Int == 50)
    }

    @Test("Anthropic: SSE events, x-api-key and version headers, system apart, merged turns")
    func anthropic() async throws {
        let server = try await StandIn.start { router, log in
            router.post("/v1/messages") { request, _ in
                _ = try await StandIn.capture(request, path: "/v1/messages", log: log)
                return StandIn.streaming(Wire.anthropicStream(["Hi", " there"]), contentType: "text/event-stream", log: log)
            }
        }
        defer { Task { await server.stop() } }
        let model = AnthropicChatModel(transport: ProviderTransport(settings: settings(server, kind: .anthropic)))
        var request = Self.question
        request.messages.insert(ChatMessage(role: .user, content: "Earlier."), at: 1)
        let (text, events) = try await collect(model, request)
        #expect(text == "Hi there")
        #expect(events.contains(.usage(TokenUsage(promptTokens: 25, completionTokens: 15))))
        #expect(events.last == .finished(reason: "end_turn"))
        let sent = try #require(server.log.requests.first)
        #expect(sent.headers["x-api-key"] == "sk-secret-key")
        #expect(sent.headers["anthropic-version"] == "2023-06-01")
        #expect(sent.headers["authorization"] == nil)
        let body = try #require(server.log.bodies.first)
        #expect(body["system"] as? String == "Be brief.")
        #expect(body["max_tokens"] as? Int == 50)
        let messages = try #require(body["messages"] as? [[String: String]])
        #expect(messages.count == 1 && messages[0]["content"] == "Earlier.\n\nHello?")
    }

    @Test("429 with Retry-After is retried after the asked delay, then succeeds")
    func rateLimited() async throws {
        let server = try await StandIn.start { router, log in
            router.post("/chat/completions") { request, _ in
                _ = try await StandIn.capture(request, path: "/chat/completions", log: log)
                if log.requests.count == 1 {
                    return Response(status: .tooManyRequests, headers: [.retryAfter: "1", .contentType: "application/json"],
                                    body: .init(byteBuffer: ByteBuffer(string: "{\"error\":{\"message\":\"slow down\"}}")))
                }
                return StandIn.streaming(Wire.openAIStream(["ok"]), contentType: "text/event-stream", log: log)
            }
        }
        defer { Task { await server.stop() } }
        let model = OpenAIChatModel(transport: ProviderTransport(settings: settings(server, kind: .openai)))
        let started = ContinuousClock.now
        let (text, _) = try await collect(model)
        #expect(text == "ok")
        #expect(server.log.requests.count == 2)
        #expect(ContinuousClock.now - started >= .milliseconds(950))
    }

    @Test("5xx is retried; when retries run out the error names the provider and the status")
    func serverErrors() async throws {
        let server = try await StandIn.start { router, log in
            router.post("/chat/completions") { request, _ in
                _ = try await StandIn.capture(request, path: "/chat/completions", log: log)
                if log.requests.count <= 2 { return Response(status: .serviceUnavailable) }
                return StandIn.streaming(Wire.openAIStream(["fine"]), contentType: "text/event-stream", log: log)
            }
        }
        defer { Task { await server.stop() } }
        let patient = OpenAIChatModel(transport: ProviderTransport(settings: settings(server, kind: .openai, retries: 2)))
        #expect(try await collect(patient).text == "fine")
        #expect(server.log.requests.count == 3)

        let second = try await StandIn.start { router, log in
            router.post("/chat/completions") { _, _ in Response(status: .badGateway) }
        }
        defer { Task { await second.stop() } }
        let failing = OpenAIChatModel(transport: ProviderTransport(settings: settings(second, kind: .openai, retries: 0)))
        let error = await #expect(throws: ProviderError.self) { try await collect(failing) }
        #expect(error?.kind == .upstreamStatus && error?.status == 502)
        #expect(error?.description.contains("test-openai") == true)
        #expect(error?.asHyperionError.kind == .upstream)
    }

    /// Hardening 7: provider error texts reached API callers verbatim (a masked key, an org id, an internal address).
    @Test("A 400 is not retried; callers get our message, the log gets the provider's, keys masked")
    func clientErrorNotRetried() async throws {
        let upstream = "model 'x' does not exist for org-12345 (key sk-secret-key, also sk-proj-abcdef123456) at 10.1.2.3"
        let server = try await StandIn.start { router, log in
            router.post("/chat/completions") { request, _ in
                _ = try await StandIn.capture(request, path: "/chat/completions", log: log)
                return Response(status: .badRequest, headers: [.contentType: "application/json"],
                                body: .init(byteBuffer: ByteBuffer(string: "{\"error\":{\"message\":\"\(upstream)\"}}")))
            }
        }
        defer { Task { await server.stop() } }
        let lines = CapturedLog()
        let logger = Logger(label: "test") { _ in lines }
        let model = OpenAIChatModel(transport: ProviderTransport(settings: settings(server, kind: .openai), logger: logger))
        let error = await #expect(throws: ProviderError.self) { try await collect(model) }
        #expect(error?.message == "answered HTTP 400")
        #expect(error?.asHyperionError.message.contains("org-12345") == false && error?.asHyperionError.message.contains("test-openai") == true)
        #expect(server.log.requests.count == 1)
        let logged = lines.text
        #expect(logged.contains("does not exist for org-12345"), "the operator still sees what the provider said: \(logged)")
        #expect(!logged.contains("sk-secret-key") && !logged.contains("abcdef123456"), "\(logged)")
    }

    @Test("A slow first token times out as a 504 kind, long before the stand-in would answer")
    func slowFirstToken() async throws {
        let server = try await StandIn.start { router, log in
            router.post("/chat/completions") { _, _ in
                StandIn.streaming(Wire.openAIStream(["late"]), contentType: "text/event-stream", firstDelay: .seconds(20), log: log)
            }
        }
        defer { Task { await server.stop() } }
        let model = OpenAIChatModel(transport: ProviderTransport(settings: settings(server, kind: .openai, firstToken: .milliseconds(400))))
        let started = ContinuousClock.now
        let error = await #expect(throws: ProviderError.self) { try await collect(model) }
        #expect(error?.kind == .timeout)
        #expect(error?.asHyperionError.kind == .upstreamTimeout)
        // The limit is 400 ms; the bound leaves room for a loaded 2-core machine running every suite at once.
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test("A stream cut in the middle is a bad response after the text already received; no retry")
    func cutStream() async throws {
        let server = try await StandIn.start { router, log in
            router.post("/chat/completions") { request, _ in
                _ = try await StandIn.capture(request, path: "/chat/completions", log: log)
                // The pause after each piece lets it leave before the cut: a connection closed right after a write can
                // drop that write on a loaded machine (CI saw "part" instead of "partial").
                return StandIn.streaming([Wire.openAIChunk("part"), Wire.openAIChunk("ial")], contentType: "text/event-stream",
                                         delay: .milliseconds(150), cut: true, log: log)
            }
        }
        defer { Task { await server.stop() } }
        let model = OpenAIChatModel(transport: ProviderTransport(settings: settings(server, kind: .openai)))
        var received = ""
        do {
            for try await event in model.stream(Self.question) { if case .delta(let text) = event { received += text } }
            Issue.record("a cut stream must fail")
        } catch let error as ProviderError {
            #expect(error.kind == .badResponse)
        }
        #expect(received == "partial")
        #expect(server.log.requests.count == 1)
    }

    @Test("Nothing listening: unreachable after the retries, naming host and port")
    func unreachable() async throws {
        let settings = ProviderSettings(name: "down", kind: .ollama, baseURL: URL(string: "http://127.0.0.1:9")!, defaultModel: "m",
                                        connectTimeout: .seconds(1), maxRetries: 1, retryBaseDelay: .milliseconds(10))
        let model = OllamaChatModel(transport: ProviderTransport(settings: settings))
        let error = await #expect(throws: ProviderError.self) { try await collect(model) }
        #expect(error?.kind == .unreachable)
        #expect(error?.description.contains("down") == true)
        #expect(error?.description.contains("sk-") == false)
    }

    @Test("The consumer going away closes the upstream connection within a second")
    func cancellation() async throws {
        let server = try await StandIn.start { router, log in
            router.post("/chat/completions") { _, _ in
                StandIn.streaming(Array(repeating: Wire.openAIChunk("tick "), count: 200), contentType: "text/event-stream",
                                  delay: .milliseconds(50), log: log)
            }
        }
        defer { Task { await server.stop() } }
        let model = OpenAIChatModel(transport: ProviderTransport(settings: settings(server, kind: .openai)))
        let consumer = Task {
            var count = 0
            for try await event in model.stream(Self.question) {
                if case .delta = event { count += 1 }
                if count == 3 { break }
            }
        }
        try await consumer.value
        let stoppedAt = ContinuousClock.now
        while server.log.disconnects.isEmpty, ContinuousClock.now - stoppedAt < .seconds(6) { try await Task.sleep(for: .milliseconds(20)) }
        let disconnect = try #require(server.log.disconnects.first)
        // Typically ~50 ms (the next tick); the bound allows for a loaded machine yet stays far below the 10 s the
        // stand-in would keep streaming to a client that never hung up.
        #expect(disconnect - stoppedAt < .seconds(3))
    }

    @Test("Anthropic error event mid-stream fails the stream as a bad response")
    func anthropicErrorEvent() async throws {
        let server = try await StandIn.start { router, log in
            router.post("/v1/messages") { _, _ in
                StandIn.streaming([Wire.anthropicStream(["a"])[0],
                                   Wire.anthropicEvent("error", "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}")],
                                  contentType: "text/event-stream", log: log)
            }
        }
        defer { Task { await server.stop() } }
        let model = AnthropicChatModel(transport: ProviderTransport(settings: settings(server, kind: .anthropic)))
        let error = await #expect(throws: ProviderError.self) { try await collect(model) }
        #expect(error?.kind == .badResponse)
        #expect(error?.message.contains("overloaded_error") == true)
    }

    @Test("Model lists: /models, /api/tags, /v1/models")
    func modelLists() async throws {
        let server = try await StandIn.start { router, _ in
            router.get("/v1/models") { _, _ in
                Response(status: .ok, headers: [.contentType: "application/json"],
                         body: .init(byteBuffer: ByteBuffer(string: "{\"object\":\"list\",\"data\":[{\"id\":\"gpt-x\",\"object\":\"model\"}]}")))
            }
            router.get("/api/tags") { _, _ in
                Response(status: .ok, headers: [.contentType: "application/json"],
                         body: .init(byteBuffer: ByteBuffer(string: "{\"models\":[{\"name\":\"llama3.2:latest\",\"size\":1}]}")))
            }
        }
        defer { Task { await server.stop() } }
        #expect(try await OpenAIChatModel(transport: ProviderTransport(settings: settings(server, kind: .openai, path: "v1"))).availableModels() == ["gpt-x"])
        #expect(try await OllamaChatModel(transport: ProviderTransport(settings: settings(server, kind: .ollama))).availableModels() == ["llama3.2:latest"])
        #expect(try await AnthropicChatModel(transport: ProviderTransport(settings: settings(server, kind: .anthropic))).availableModels() == ["gpt-x"])
    }
}

/// A log handler that keeps every message with its metadata, for tests that read what was logged.
final class CapturedLog: LogHandler, @unchecked Sendable {
    private let lines = NIOLockedValueBox<[String]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        let fields = (event.metadata ?? [:]).map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
        lines.withLockedValue { $0.append("\(event.message) \(fields)") }
    }
    var text: String { lines.withLockedValue { $0.joined(separator: "\n") } }
}
