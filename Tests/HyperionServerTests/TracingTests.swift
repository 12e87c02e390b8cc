import Configuration
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HyperionCore
@testable import HyperionServer
import NIOConcurrencyHelpers
import NIOCore
import Testing
import Tracing

/// A real HTTP server on 127.0.0.1 whose routes a test writes: here an OTLP/HTTP collector (JSON) and an Ollama.
private final class LoopbackServer: Sendable {
    let port: Int
    private let task: Task<Void, any Error>

    private init(port: Int, task: Task<Void, any Error>) {
        self.port = port
        self.task = task
    }

    var url: String { "http://127.0.0.1:\(port)" }

    static func start(_ routes: (Router<BasicRequestContext>) -> Void) async throws -> LoopbackServer {
        let router = Router()
        routes(router)
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) })
        let task = Task { try await app.run() }
        var ports = stream.makeAsyncIterator()
        guard let port = await ports.next() else { throw CancellationError() }
        return LoopbackServer(port: port, task: task)
    }

    func stop() async {
        task.cancel()
        _ = try? await task.value
    }
}

/// One exported span, decoded from OTLP JSON.
struct ExportedSpan: Sendable {
    var name: String
    var traceID: String
    var spanID: String
    var parentID: String?
    /// OTLP's enum: 1 internal, 2 server, 3 client.
    var kind: Int
    var attributes: [String: String]
    var events: [String]
    var failed: Bool
    var serviceName: String?

    /// OTLP JSON carries ids as hex; a protobuf JSON encoder writes bytes as base64: both are read.
    static func hex(_ value: Any?) -> String? {
        guard let text = value as? String, !text.isEmpty else { return nil }
        if text.count == 32 || text.count == 16, text.allSatisfy(\.isHexDigit) { return text.lowercased() }
        return Data(base64Encoded: text).map { $0.map { String(format: "%02x", $0) }.joined() }
    }

    static func value(_ any: Any?) -> String {
        guard let value = any as? [String: Any] else { return "" }
        for key in ["stringValue", "intValue", "doubleValue", "boolValue"] { if let v = value[key] { return "\(v)" } }
        return "\(value)"
    }

    static func decode(_ body: Data) -> [ExportedSpan] {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else { return [] }
        var spans: [ExportedSpan] = []
        for resource in object["resourceSpans"] as? [[String: Any]] ?? [] {
            let resourceAttributes = (resource["resource"] as? [String: Any])?["attributes"] as? [[String: Any]] ?? []
            let service = resourceAttributes.first { $0["key"] as? String == "service.name" }.map { value($0["value"]) }
            for scope in resource["scopeSpans"] as? [[String: Any]] ?? [] {
                for span in scope["spans"] as? [[String: Any]] ?? [] {
                    var attributes: [String: String] = [:]
                    for attribute in span["attributes"] as? [[String: Any]] ?? [] {
                        if let key = attribute["key"] as? String { attributes[key] = value(attribute["value"]) }
                    }
                    let kind: Int = switch span["kind"] {
                    case let number as Int: number
                    case let name as String: ["SPAN_KIND_INTERNAL": 1, "SPAN_KIND_SERVER": 2, "SPAN_KIND_CLIENT": 3][name] ?? 0
                    default: 0
                    }
                    let status = (span["status"] as? [String: Any])?["code"]
                    spans.append(ExportedSpan(
                        name: span["name"] as? String ?? "", traceID: hex(span["traceId"]) ?? "", spanID: hex(span["spanId"]) ?? "",
                        parentID: hex(span["parentSpanId"]), kind: kind, attributes: attributes,
                        events: (span["events"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String },
                        failed: (status as? Int) == 2 || (status as? String) == "STATUS_CODE_ERROR", serviceName: service
                    ))
                }
            }
        }
        return spans
    }
}

/// What the stand-ins saw.
private final class Seen: Sendable {
    private let state = NIOLockedValueBox<(spans: [ExportedSpan], llmHeaders: [[String: String]], contentTypes: [String])>(([], [], []))
    func add(_ spans: [ExportedSpan], contentType: String) { state.withLockedValue { $0.spans += spans; $0.contentTypes.append(contentType) } }
    func llm(_ headers: [String: String]) { state.withLockedValue { $0.llmHeaders.append(headers) } }
    var spans: [ExportedSpan] { state.withLockedValue { $0.spans } }
    var llmHeaders: [[String: String]] { state.withLockedValue { $0.llmHeaders } }
    var contentTypes: [String] { state.withLockedValue { $0.contentTypes } }
}

/// A collector taking OTLP/HTTP JSON, and an Ollama answering every chat with "Silicon [1]." and token counts.
private func standIns() async throws -> (collector: LoopbackServer, ollama: LoopbackServer, seen: Seen) {
    let seen = Seen()
    let collector = try await LoopbackServer.start { router in
        router.post("/v1/traces") { request, _ -> Response in
            var request = request
            let body = try await request.collectBody(upTo: 32 << 20)
            seen.add(ExportedSpan.decode(Data(buffer: body)), contentType: request.headers[.contentType] ?? "")
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{}")))
        }
    }
    let ollama = try await LoopbackServer.start { router in
        router.post("/api/chat") { request, _ -> Response in
            var request = request
            _ = try await request.collectBody(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            seen.llm(headers)
            let lines = [
                #"{"model":"tiny","message":{"role":"assistant","content":"Silicon "},"done":false}"#,
                #"{"model":"tiny","message":{"role":"assistant","content":"[1]."},"done":false}"#,
                #"{"model":"tiny","message":{"role":"assistant","content":""},"done":true,"prompt_eval_count":41,"eval_count":3}"#,
            ]
            return Response(status: .ok, headers: [.contentType: "application/x-ndjson"],
                            body: .init(byteBuffer: ByteBuffer(string: lines.joined(separator: "\n") + "\n")))
        }
        router.get("/api/tags") { _, _ in #"{"models":[{"name":"tiny"}]}"# }
    }
    return (collector, ollama, seen)
}

/// Runs `body` against a live server tracing to `collector`, answering through `ollama`; returns when the server has
/// stopped (which exports the spans still batched).
private func withTracedApp(_ collector: LoopbackServer, _ ollama: LoopbackServer, _ values: [String: String] = [:], sink: LogSink = LogSink(),
                           _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
    let reader = testReader([
        "tracing.otlp_endpoint": collector.url, "tracing.protocol": "http/json",
        "llm.providers": "local", "llm.local.kind": "ollama", "llm.local.base_url": ollama.url, "llm.local.model": "tiny",
        "llm.local.max_retries": "0",
    ].merging(values) { $1 })
    let app = try await buildApplication(reader: reader, logSink: sink, passwordHasher: PasswordHasher(cost: 4), embedder: HashingEmbedder())
    try await app.test(.live) { client in try await body(client) }
}

/// Waits until the collector holds a span matching `condition` (export is asynchronous), at most 10 s.
private func exported(_ seen: Seen, until condition: ([ExportedSpan]) -> Bool) async throws -> [ExportedSpan] {
    let deadline = ContinuousClock.now + .seconds(10)
    while !condition(seen.spans), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
    return seen.spans
}

@Suite("Traces over OTLP")
struct TracingTests {
    static let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let parentID = "00f067aa0ba902b7"
    static let traceparent = "00-\(traceID)-\(parentID)-01"
    static let question = "What are photovoltaic cells made of?"

    @Test("a question is one trace under the caller's traceparent, from the HTTP span to the provider's HTTP call; a job is a trace with its phases; no content by default")
    func spanTree() async throws {
        let (collector, ollama, seen) = try await standIns()
        defer { Task { await collector.stop(); await ollama.stop() } }
        let sink = LogSink()
        let answered = NIOLockedValueBox<[String: String]>([:])
        try await withTracedApp(collector, ollama, sink: sink) { client in
            let (token, model) = try await client.readyModel(extra: ["llm": ["provider": "local"]])
            let asked = try await client.json(.post, "/api/v1/query", ["model_id": model, "query": Self.question], token: token,
                                              headers: [HTTPField.Name("traceparent")!: Self.traceparent])
            #expect(asked.status == .ok, "\(asked.body)")
            answered.withLockedValue { $0["answer"] = asked.body["answer"] as? String; $0["id"] = asked.body["id"] as? String }
            let missing = try await client.json(.get, "/api/v1/models/\(UUID().uuidString)", token: token,
                                                headers: [HTTPField.Name("traceparent")!: "00-\(String(repeating: "ab", count: 16))-\(Self.parentID)-01"])
            #expect(missing.status == .notFound)
            answered.withLockedValue { $0["envelope_trace_id"] = missing.body["trace_id"] as? String }
        }
        #expect(answered.withLockedValue { $0["answer"] } == "Silicon [1].")
        // The error envelope names the trace beside the request id.
        #expect(answered.withLockedValue { $0["envelope_trace_id"] } == String(repeating: "ab", count: 16))

        let spans = try await exported(seen) { spans in spans.contains { $0.name == "ingest job" } && spans.contains { $0.name == "POST /api/v1/query" } }
        #expect(seen.contentTypes.allSatisfy { $0.hasPrefix("application/json") }, "\(seen.contentTypes)")
        #expect(spans.allSatisfy { $0.serviceName == "hyperion" })
        func children(of span: ExportedSpan) -> [ExportedSpan] { spans.filter { $0.parentID == span.spanID } }
        func descendants(of span: ExportedSpan) -> [ExportedSpan] { children(of: span).flatMap { [$0] + descendants(of: $0) } }

        // The request: a server span continuing the caller's trace.
        let server = try #require(spans.first { $0.name == "POST /api/v1/query" })
        #expect(server.kind == 2 && server.traceID == Self.traceID && server.parentID == Self.parentID)
        #expect(server.attributes["http.route"] == "/api/v1/query" && server.attributes["http.response.status_code"] == "200")
        let below = descendants(of: server)
        #expect(below.allSatisfy { $0.traceID == Self.traceID })
        let query = try #require(below.first { $0.name == "query" })
        #expect(query.attributes["openinference.span.kind"] == "CHAIN" && query.attributes["hyperion.query.status"] == "completed")
        #expect(query.attributes["hyperion.query.id"] == answered.withLockedValue { $0["id"] })
        let retrieve = try #require(below.first { $0.name == "retrieve" })
        #expect(retrieve.parentID == query.spanID && retrieve.attributes["openinference.span.kind"] == "RETRIEVER")
        #expect(retrieve.attributes["retrieval.documents.0.document.id"] != nil && retrieve.attributes["retrieval.documents.0.document.score"] != nil)
        let retrievalSteps = Set(descendants(of: retrieve).map(\.name))
        #expect(retrievalSteps.isSuperset(of: ["embed query", "vector search", "keyword search", "fuse", "fetch chunks"]), "\(retrievalSteps)")
        #expect(descendants(of: retrieve).first { $0.name == "embed query" }?.attributes["openinference.span.kind"] == "EMBEDDING")
        #expect(below.contains { $0.name == "prompt" && $0.parentID == query.spanID })
        // The LLM call: model, parameters, message roles, tokens, first token; its HTTP call is its child.
        let llm = try #require(below.first { $0.name == "llm" })
        #expect(llm.parentID == query.spanID && llm.attributes["openinference.span.kind"] == "LLM")
        #expect(llm.attributes["llm.model_name"] == "tiny" && llm.attributes["llm.provider"] == "local")
        #expect(llm.attributes["llm.token_count.prompt"] == "41" && llm.attributes["llm.token_count.completion"] == "3")
        #expect(llm.attributes["llm.input_messages.0.message.role"] == "system" && llm.events.contains("first token"))
        #expect(llm.attributes["llm.invocation_parameters"]?.contains("max_tokens") == true)
        let call = try #require(children(of: llm).first)
        #expect(call.kind == 3 && call.name == "POST local" && call.attributes["http.response.status_code"] == "200")
        // The provider got the call's traceparent.
        let sent = try #require(seen.llmHeaders.last?["traceparent"])
        #expect(sent.hasPrefix("00-\(Self.traceID)-\(call.spanID)-"), "\(sent)")
        // Content is off by default: the question, the answer and the passages are in no span.
        for span in spans {
            for (key, value) in span.attributes {
                #expect(!value.contains("photovoltaic") && !value.contains("Silicon") && !key.hasSuffix(".content"), "\(span.name): \(key)")
            }
        }
        // The upload's job: its own trace, every document with its phases, batch sizes on the embedding calls.
        let job = try #require(spans.first { $0.name == "ingest job" })
        #expect(job.parentID == nil && job.attributes["hyperion.job.status"] == "succeeded" && job.attributes["hyperion.job.documents"] == "2")
        // It links to the upload request that queued it (a trace of its own, named in an attribute to search by).
        let upload = try #require(spans.first { $0.name == "POST /api/v1/models/{id}/documents" }, "\(Set(spans.map(\.name)))")
        #expect(job.attributes["hyperion.request.trace_id"] == upload.traceID && upload.traceID != job.traceID)
        let documents = children(of: job).filter { $0.name == "document" }
        #expect(documents.count == 2)
        for document in documents {
            #expect(Set(children(of: document).map(\.name)) == ["extract", "chunk", "embed", "index", "store"])
            let batch = try #require(descendants(of: document).first { $0.name == "embed batch" })
            #expect(Int(batch.attributes["hyperion.batch.texts"] ?? "") ?? 0 >= 1 && Int(batch.attributes["hyperion.batch.tokens"] ?? "") ?? 0 >= 1)
        }
        // Log lines name their trace: the query's lines carry the caller's trace id, the job's its own.
        let lines = sink.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.contains { $0["route"] as? String == "/api/v1/query" && $0["trace_id"] as? String == Self.traceID })
        #expect(lines.contains { $0["message"] as? String == "job finished" && $0["trace_id"] as? String == job.traceID })
    }

    @Test("with tracing.record_content the question, messages, passages and answer are in the spans")
    func contentJSON() async throws {
        let (collector, ollama, seen) = try await standIns()
        defer { Task { await collector.stop(); await ollama.stop() } }
        try await withTracedApp(collector, ollama, ["tracing.record_content": "true"]) { client in
            let (token, model) = try await client.readyModel(extra: ["llm": ["provider": "local"]])
            #expect(try await client.ask(model, Self.question, token: token).status == .ok)
        }
        let spans = try await exported(seen) { $0.contains { $0.name == "query" } }
        let query = try #require(spans.first { $0.name == "query" })
        #expect(query.attributes["input.value"] == Self.question && query.attributes["output.value"] == "Silicon [1].")
        let llm = try #require(spans.first { $0.name == "llm" })
        #expect(llm.attributes.contains { $0.key.hasPrefix("llm.input_messages.") && $0.key.hasSuffix(".content") && $0.value.contains(Self.question) })
        #expect(llm.attributes["llm.output_messages.0.message.content"] == "Silicon [1].")
        let retrieve = try #require(spans.first { $0.name == "retrieve" })
        #expect(retrieve.attributes["retrieval.documents.0.document.content"]?.isEmpty == false)
    }

    @Test("at sample ratio 0 nothing is exported, except traces a caller sampled; answers are unchanged")
    func sampling() async throws {
        let (collector, ollama, seen) = try await standIns()
        defer { Task { await collector.stop(); await ollama.stop() } }
        let sink = LogSink()
        try await withTracedApp(collector, ollama, ["tracing.sample_ratio": "0"], sink: sink) { client in
            let (token, model) = try await client.readyModel(extra: ["llm": ["provider": "local"]])
            #expect(try await client.ask(model, "silicon?", token: token).status == .ok)
            let sampled = try await client.json(.post, "/api/v1/query", ["model_id": model, "query": "silicon?"], token: token,
                                                headers: [HTTPField.Name("traceparent")!: Self.traceparent])
            #expect(sampled.status == .ok)
            // A malformed traceparent is no caller trace: the ratio applies, so it cannot force one.
            let forged = try await client.json(.post, "/api/v1/query", ["model_id": model, "query": "silicon?"], token: token,
                                               headers: [HTTPField.Name("traceparent")!: "00-not-a-trace-01"])
            #expect(forged.status == .ok)
        }
        let spans = try await exported(seen) { $0.contains { $0.name == "llm" } }
        #expect(!spans.isEmpty && spans.allSatisfy { $0.traceID == Self.traceID }, "\(spans.map(\.name))")
        #expect(!spans.contains { $0.name == "ingest job" })
        // A request not kept makes no trace at all (that is what makes it free): only the caller's has an id.
        let lines = sink.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let queries = lines.filter { $0["route"] as? String == "/api/v1/query" }
        #expect(queries.count == 3 && queries.compactMap { $0["trace_id"] as? String } == [Self.traceID])
    }

    @Test("tracing off: a caller's traceparent still names the trace in log lines and error envelopes; a malformed one is ignored")
    func callerTraceWithoutTracing() async throws {
        let sink = LogSink()
        try await withTestApp(sink: sink) { client in
            let traced = try await client.json(.get, "/api/v1/models", headers: [HTTPField.Name("traceparent")!: Self.traceparent])
            #expect(traced.status == .unauthorized && traced.body["trace_id"] as? String == Self.traceID)
            for bad in ["00-\(Self.traceID)-0000000000000000-01", "00-\(String(repeating: "0", count: 32))-\(Self.parentID)-01",
                        "ff-\(Self.traceID)-\(Self.parentID)-01", "00-\(Self.traceID.uppercased())-\(Self.parentID)-01", "garbage"] {
                let result = try await client.json(.get, "/api/v1/models", headers: [HTTPField.Name("traceparent")!: bad])
                #expect(result.status == .unauthorized && result.body["trace_id"] == nil, "\(bad)")
            }
            let plain = try await client.json(.get, "/api/v1/models")
            #expect(plain.body["trace_id"] == nil)
        }
        let lines = sink.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.filter { $0["trace_id"] as? String == Self.traceID }.count == 1)
    }

    @Test("new traces are kept at the sample ratio, decided without a system call")
    func ratio() {
        let recorder = { (ratio: Double) in TraceRecorder(tracer: NoOpTracer(), recordsContent: false, sampleRatio: ratio) }
        #expect((0..<1000).allSatisfy { _ in recorder(1).samplesNewTrace() })
        #expect(!(0..<1000).contains { _ in recorder(0).samplesNewTrace() })
        let tenth = recorder(0.1)
        let kept = (0..<20_000).filter { _ in tenth.samplesNewTrace() }.count
        #expect((1700...2300).contains(kept), "\(kept) of 20,000")
    }

    @Test("bad tracing settings fail at start naming the key")
    func settings() async throws {
        for (values, key) in [
            (["tracing.otlp_endpoint": "127.0.0.1:4318"], "tracing.otlp_endpoint"),
            (["tracing.otlp_endpoint": "ftp://collector"], "tracing.otlp_endpoint"),
            (["tracing.sample_ratio": "1.5"], "tracing.sample_ratio"),
            (["tracing.sample_ratio": "often"], "tracing.sample_ratio"),
            (["tracing.protocol": "grpc"], "tracing.protocol"),
            (["tracing.headers": "no-equals-sign"], "tracing.headers"),
        ] {
            #expect {
                _ = try ServerSettings(reader: testReader(values))
            } throws: { error in
                (error as? HyperionError)?.field == key || "\(error)".contains(key)
            }
        }
        let good = try ServerSettings(reader: testReader(["tracing.otlp_endpoint": "http://127.0.0.1:6006/", "tracing.sample_ratio": "0.1",
                                                          "tracing.headers": "api_key=abc, x-team = search"]))
        #expect(good.tracing.endpoint?.absoluteString == "http://127.0.0.1:6006/" && good.tracing.sampleRatio == 0.1)
        #expect(good.tracing.headers.map { "\($0.0)=\($0.1)" } == ["api_key=abc", "x-team=search"])
        #expect(try ServerSettings(reader: testReader()).tracing.endpoint == nil)
    }
}
