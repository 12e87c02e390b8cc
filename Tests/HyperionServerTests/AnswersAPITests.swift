import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HyperionCore
import Testing

/// Parsed SSE events of a finished stream body.
func sseEvents(_ body: String) -> [(event: String, data: [String: Any])] {
    body.components(separatedBy: "\n\n").compactMap { block in
        var event = "message"
        var data = ""
        for line in block.split(separator: "\n") {
            if line.hasPrefix("event: ") { event = String(line.dropFirst(7)) }
            if line.hasPrefix("data: ") { data += line.dropFirst(6) }
        }
        guard !data.isEmpty, let object = try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any] else { return nil }
        return (event, object)
    }
}

extension TestClientProtocol {
    /// Signs up, creates a model, uploads the solar text and waits until it is indexed; returns (token, model id).
    func readyModel(_ email: String = "asker@example.com", extra: [String: Any] = [:]) async throws -> (token: String, model: String) {
        try await signup(email)
        let token = try await login(email).access
        let model = try await createModel("Energy", token: token, extra: extra)
        let upload = try await upload("/api/v1/models/\(model)/documents", files: [("energy.txt", solarText), ("storage.md", batteryMarkdown)], token: token)
        let job = try await waitForJob(try #require(upload.body["job_id"] as? String), token: token)
        precondition(job["status"] as? String == "succeeded", "ingestion failed: \(job)")
        return (token, model)
    }

    func ask(_ model: String, _ query: String, token: String, extra: [String: Any] = [:]) async throws -> (status: HTTPResponse.Status, body: [String: Any]) {
        let result = try await json(.post, "/api/v1/query", ["model_id": model, "query": query].merging(extra) { $1 }, token: token)
        return (result.status, result.body)
    }
}

@Suite("Queries, citations, sessions, generation")
struct AnswersAPITests {
    @Test("extractive answer with [n] citations, stored and readable by its owner (and admins) only")
    func extractiveQuery() async throws {
        try await withTestApp { client in
            let (token, model) = try await client.readyModel("admin@example.com")
            let result = try await client.ask(model, "What are photovoltaic cells made of?", token: token)
            #expect(result.status == .ok)
            let body = result.body
            #expect(body["status"] as? String == "completed" && body["extractive"] as? Bool == true && body["provider"] is NSNull)
            let answer = try #require(body["answer"] as? String)
            #expect(answer.contains("silicon") && answer.contains("[1]"))
            let citations = try #require(body["citations"] as? [[String: Any]])
            let sources = try #require(body["sources"] as? [[String: Any]])
            #expect(!citations.isEmpty && sources.count >= citations.count)
            let first = try #require(citations.first)
            #expect(first["n"] as? Int == 1 && first["title"] as? String == "energy.txt" && (first["snippet"] as? String)?.contains("silicon") == true)
            #expect(first["chunk_id"] as? String == sources.first?["chunk_id"] as? String)
            #expect((body["timings"] as? [String: Any])?["retrieval_ms"] is Double)

            let id = try #require(body["id"] as? String)
            let stored = try await client.json(.get, "/api/v1/query/\(id)", token: token)
            #expect(stored.status == .ok && stored.body["answer"] as? String == answer)
            let history = try await client.json(.get, "/api/v1/queries", token: token)
            #expect(history.body["total"] as? Int == 1 && ((history.body["items"] as? [[String: Any]])?.first?["citation_count"] as? Int) == citations.count)

            // Another user neither reads it nor sees it in their history; the admin (first account) does.
            try await client.signup("other@example.com")
            let other = try await client.login("other@example.com").access
            #expect(try await client.json(.get, "/api/v1/query/\(id)", token: other).status == .notFound)
            #expect(try await client.json(.get, "/api/v1/queries", token: other).body["total"] as? Int == 0)
            #expect(try await client.ask(model, "silicon?", token: other).status == .notFound)  // private model
        }
    }

    @Test("nothing relevant: says so plainly, with no citations")
    func nothingFound() async throws {
        try await withTestApp { client in
            let (token, model) = try await client.readyModel()
            let result = try await client.ask(model, "Who painted the Mona Lisa?", token: token, extra: ["mode": "keyword"])
            #expect(result.status == .ok)
            #expect(result.body["answer"] as? String == ExtractiveAnswerer.notFound)
            #expect((result.body["citations"] as? [Any])?.isEmpty == true)
        }
    }

    @Test("bad input: blank or too long 422, unknown model 404, bad mode/top_k/ids 422")
    func badInput() async throws {
        try await withTestApp { client in
            let (token, model) = try await client.readyModel()
            #expect(try await client.ask(model, "", token: token).status == .unprocessableContent)
            #expect(try await client.ask(model, "   ", token: token).status == .unprocessableContent)
            let long = try await client.ask(model, String(repeating: "a", count: 4001), token: token)
            #expect(long.status == .unprocessableContent && long.body["field"] as? String == "query")
            #expect(try await client.ask(UUID().uuidString, "solar", token: token).status == .notFound)
            #expect(try await client.ask("nope", "solar", token: token).status == .unprocessableContent)
            #expect(try await client.ask(model, "solar", token: token, extra: ["mode": "magic"]).status == .unprocessableContent)
            #expect(try await client.ask(model, "solar", token: token, extra: ["top_k": 0]).status == .unprocessableContent)
            #expect(try await client.ask(model, "solar", token: token, extra: ["session_id": UUID().uuidString]).status == .notFound)
            #expect(try await client.json(.post, "/api/v1/query", ["query": "x"], token: token).status == .unprocessableContent)
            #expect(try await client.json(.get, "/api/v1/query/\(UUID().uuidString)", token: token).status == .notFound)
            #expect(try await client.json(.post, "/api/v1/query", ["model_id": model, "query": "x"]).status == .unauthorized)
            // Nothing was stored for refused queries.
            #expect(try await client.json(.get, "/api/v1/queries", token: token).body["total"] as? Int == 0)
        }
    }

    @Test("SSE: sources first, then deltas, citations and done, the same answer as stored")
    func streamed() async throws {
        try await withTestApp { client in
            let (token, model) = try await client.readyModel()
            let body = try JSONSerialization.data(withJSONObject: ["model_id": model, "query": "How do wind turbines work?"])
            let (status, type, text) = try await client.execute(
                uri: "/api/v1/query", method: .post,
                headers: [.contentType: "application/json", .authorization: "Bearer \(token)", .accept: "text/event-stream"],
                body: ByteBuffer(data: body)
            ) { ($0.status, $0.headers[.contentType], String(buffer: $0.body)) }
            #expect(status == .ok && type?.hasPrefix("text/event-stream") == true)
            let events = sseEvents(text)
            let names = events.map(\.event)
            #expect(names.first == "sources" && names.last == "done")
            #expect(names.dropFirst().dropLast(2).allSatisfy { $0 == "delta" } && names.count >= 4)
            #expect(names[names.count - 2] == "citations")
            let streamedAnswer = events.filter { $0.event == "delta" }.compactMap { $0.data["text"] as? String }.joined()
            #expect(streamedAnswer.contains("wind"))
            let queryID = try #require(events.last?.data["query_id"] as? String)
            #expect(events.first?.data["query_id"] as? String == queryID)
            let stored = try await client.json(.get, "/api/v1/query/\(queryID)", token: token).body
            #expect(stored["answer"] as? String == streamedAnswer && stored["status"] as? String == "completed")
        }
    }

    @Test("with an LLM: numbered sources in the prompt, only used markers become citations, usage stored")
    func llmAnswer() async throws {
        let recorder = ScriptedChatModel.Recorder()
        let scripted = ScriptedChatModel(providerName: "scripted", defaultModel: "tiny-1", recorder: recorder) { _ in
            "Photovoltaic cells are made of silicon [1]. Batteries matter too [9]."
        }
        try await withTestApp(chatModels: ["scripted": scripted]) { client in
            let (token, model) = try await client.readyModel(extra: ["llm": ["provider": "scripted", "system_prompt": "Answer like a pirate."]])
            let result = try await client.ask(model, "What are photovoltaic cells made of?", token: token)
            #expect(result.status == .ok)
            #expect(result.body["extractive"] as? Bool == false && result.body["provider"] as? String == "scripted")
            #expect(result.body["llm_model"] as? String == "tiny-1")
            let citations = try #require(result.body["citations"] as? [[String: Any]])
            #expect(citations.map { $0["n"] as? Int } == [1])
            #expect((result.body["usage"] as? [String: Any])?["completion_tokens"] as? Int == 11)
            let request = try #require(recorder.all.last)
            #expect(request.messages.first?.content == "Answer like a pirate.")
            #expect(request.messages.last?.content.contains("[1] energy.txt") == true)
            #expect(request.messages.last?.content.hasSuffix("Question: What are photovoltaic cells made of?") == true)
            #expect(request.options.temperature == 0.2)

            let unknown = try await client.json(.post, "/api/v1/models", ["name": "X", "llm": ["provider": "nope"]], token: token)
            #expect(unknown.status == .unprocessableContent && (unknown.body["detail"] as? String)?.contains("scripted") == true)
        }
    }

    @Test("a failing provider answers 502/504 naming it, and the query is stored as failed")
    func providerFailures() async throws {
        let down = ScriptedChatModel(providerName: "flaky") { _ in throw ProviderError(.unreachable, provider: "flaky", message: "cannot reach 10.0.0.1:80") }
        let slow = ScriptedChatModel(providerName: "slow") { _ in throw ProviderError(.timeout, provider: "slow", message: "no token within 60 s") }
        try await withTestApp(chatModels: ["flaky": down, "slow": slow]) { client in
            let (token, model) = try await client.readyModel(extra: ["llm": ["provider": "flaky"]])
            let failed = try await client.ask(model, "silicon?", token: token)
            #expect(failed.status == .badGateway && failed.body["code"] as? String == "provider_unreachable")
            #expect((failed.body["detail"] as? String)?.contains("flaky") == true)
            let history = try await client.json(.get, "/api/v1/queries", token: token).body["items"] as? [[String: Any]]
            #expect(history?.first?["status"] as? String == "failed")
            let id = try #require(history?.first?["id"] as? String)
            #expect((try await client.json(.get, "/api/v1/query/\(id)", token: token).body["error"] as? String)?.contains("flaky") == true)

            let patched = try await client.json(.patch, "/api/v1/models/\(model)", ["llm": ["provider": "slow"]], token: token)
            #expect(patched.status == .ok)
            #expect(try await client.ask(model, "silicon?", token: token).status == .gatewayTimeout)
        }
    }

    @Test("a configured provider that is down: 502 naming it; /llm/models shows it unreachable")
    func configuredProviderDown() async throws {
        try await withTestApp(["llm.providers": "local", "llm.local.kind": "ollama", "llm.local.base_url": "http://127.0.0.1:9",
                               "llm.local.model": "llama3.2", "llm.local.max_retries": "0", "llm.local.connect_timeout": "1",
                               "llm.local.api_key": "sk-never-shown"]) { client in
            let (token, model) = try await client.readyModel(extra: ["llm": ["provider": "local"]])
            let failed = try await client.ask(model, "silicon?", token: token)
            #expect(failed.status == .badGateway && (failed.body["detail"] as? String)?.contains("local") == true)
            let providers = try await client.json(.get, "/api/v1/llm/models", token: token)
            let item = try #require((providers.body["items"] as? [[String: Any]])?.first)
            #expect(item["name"] as? String == "local" && item["reachable"] as? Bool == false && item["kind"] as? String == "ollama")
            #expect(providers.body["default_provider"] as? String == "extractive")
            #expect(!String(describing: providers.body).contains("sk-never-shown"))
        }
    }

    @Test("sessions: history in order, follow-ups rewritten by the LLM, delete")
    func sessions() async throws {
        let recorder = ScriptedChatModel.Recorder()
        let scripted = ScriptedChatModel(providerName: "scripted", recorder: recorder) { request in
            request.messages.first?.content.hasPrefix("Rewrite") == true ? "What are lithium iron phosphate cells?" : "They are safe [1]."
        }
        try await withTestApp(chatModels: ["scripted": scripted]) { client in
            let (token, model) = try await client.readyModel(extra: ["llm": ["provider": "scripted"]])
            let created = try await client.json(.post, "/api/v1/sessions", ["model_id": model, "title": "Batteries"], token: token)
            #expect(created.status == .created)
            let session = try #require(created.body["id"] as? String)
            #expect(try await client.ask(model, "Tell me about lithium iron phosphate cells", token: token, extra: ["session_id": session]).status == .ok)
            let followUp = try await client.ask(model, "Are they safe?", token: token, extra: ["session_id": session])
            #expect(followUp.status == .ok && followUp.body["retrieval_query"] as? String == "What are lithium iron phosphate cells?")
            // The generation saw the earlier turn.
            let last = try #require(recorder.all.last)
            #expect(last.messages.map(\.role) == [.system, .user, .assistant, .user])

            let messages = try await client.json(.get, "/api/v1/sessions/\(session)/messages", token: token).body
            let items = try #require(messages["items"] as? [[String: Any]])
            #expect(items.map { $0["role"] as? String } == ["user", "assistant", "user", "assistant"])
            #expect(items[2]["content"] as? String == "Are they safe?")
            #expect(try await client.json(.get, "/api/v1/queries?session_id=\(session)", token: token).body["total"] as? Int == 2)
            let listed = try await client.json(.get, "/api/v1/sessions?model_id=\(model)", token: token).body
            #expect(listed["total"] as? Int == 1)
            #expect(try await client.json(.patch, "/api/v1/sessions/\(session)", ["title": "  "], token: token).status == .unprocessableContent)
            #expect(try await client.json(.patch, "/api/v1/sessions/\(session)", ["title": "Cells"], token: token).body["title"] as? String == "Cells")

            // Someone else's session is not found; a session of another model is refused.
            try await client.signup("stranger@example.com")
            let stranger = try await client.login("stranger@example.com").access
            #expect(try await client.json(.get, "/api/v1/sessions/\(session)/messages", token: stranger).status == .notFound)
            let otherModel = try await client.createModel("Other", token: token)
            #expect(try await client.ask(otherModel, "x", token: token, extra: ["session_id": session]).status == .unprocessableContent)

            #expect(try await client.json(.delete, "/api/v1/sessions/\(session)", token: token).status == .noContent)
            #expect(try await client.json(.get, "/api/v1/sessions/\(session)", token: token).status == .notFound)
            #expect(try await client.json(.get, "/api/v1/queries", token: token).body["total"] as? Int == 2)
        }
    }

    @Test("without an LLM a short follow-up is joined to the previous question for retrieval")
    func extractiveFollowUp() async throws {
        try await withTestApp { client in
            let (token, model) = try await client.readyModel()
            let session = try #require(try await client.json(.post, "/api/v1/sessions", ["model_id": model], token: token).body["id"] as? String)
            _ = try await client.ask(model, "What do wind turbines turn?", token: token, extra: ["session_id": session])
            let followUp = try await client.ask(model, "offshore?", token: token, extra: ["session_id": session])
            #expect(followUp.body["retrieval_query"] as? String == "What do wind turbines turn? offshore?")
        }
    }

    @Test("generate: JSON and SSE, validation, no provider")
    func generate() async throws {
        let scripted = ScriptedChatModel(providerName: "scripted", defaultModel: "tiny-1") { request in "You said: \(request.messages.last?.content ?? "")" }
        let modelless = ScriptedChatModel(providerName: "modelless", defaultModel: nil) { _ in "never" }
        try await withTestApp(chatModels: ["scripted": scripted, "modelless": modelless]) { client in
            try await client.signup("gen@example.com")
            let token = try await client.login("gen@example.com").access
            let result = try await client.json(.post, "/api/v1/generate", ["provider": "scripted", "prompt": "hello", "temperature": 0.5], token: token)
            #expect(result.status == .ok && result.body["text"] as? String == "You said: hello" && result.body["model"] as? String == "tiny-1")
            #expect(try await client.json(.post, "/api/v1/generate", ["provider": "scripted", "prompt": "x", "temperature": 3], token: token).status == .unprocessableContent)
            #expect(try await client.json(.post, "/api/v1/generate", ["provider": "scripted", "prompt": "x", "top_p": 0], token: token).status == .unprocessableContent)
            #expect(try await client.json(.post, "/api/v1/generate", ["provider": "scripted"], token: token).status == .unprocessableContent)
            #expect(try await client.json(.post, "/api/v1/generate", ["provider": "none", "prompt": "x"], token: token).status == .unprocessableContent)
            let noDefault = try await client.json(.post, "/api/v1/generate", ["prompt": "x"], token: token)
            #expect(noDefault.status == .unprocessableContent && noDefault.body["code"] as? String == "no_provider")
            // No model named and none by default: a 422 before any stream starts, streamed or not.
            for stream in [false, true] {
                let missing = try await client.json(.post, "/api/v1/generate", ["provider": "modelless", "prompt": "x", "stream": stream], token: token)
                #expect(missing.status == .unprocessableContent && missing.body["field"] as? String == "model")
            }
            let body = try JSONSerialization.data(withJSONObject: ["provider": "scripted", "prompt": "a b", "stream": true])
            let text = try await client.execute(uri: "/api/v1/generate", method: .post,
                                                headers: [.contentType: "application/json", .authorization: "Bearer \(token)"],
                                                body: ByteBuffer(data: body)) { String(buffer: $0.body) }
            let events = sseEvents(text)
            #expect(events.filter { $0.event == "delta" }.compactMap { $0.data["text"] as? String }.joined() == "You said: a b")
            #expect(events.last?.event == "done")
        }
    }

    @Test("query cache: a repeated question hits; a document delete invalidates at once")
    func cache() async throws {
        try await withTestApp { client in
            let (token, model) = try await client.readyModel()
            let first = try await client.ask(model, "lithium iron phosphate", token: token, extra: ["mode": "keyword"])
            let again = try await client.ask(model, "Lithium   iron phosphate", token: token, extra: ["mode": "keyword"])
            #expect((first.body["sources"] as? [Any])?.count == (again.body["sources"] as? [Any])?.count)
            let metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(metrics.contains("rag_query_cache_hits_total 1"))
            #expect(metrics.contains("rag_query_duration_seconds_bucket{phase=\"retrieval\""))
            #expect(metrics.contains("rag_queries_total{status=\"completed\"} 2"))

            let document = try #require((first.body["sources"] as? [[String: Any]])?.first?["document_id"] as? String)
            #expect(try await client.json(.delete, "/api/v1/documents/\(document)", token: token).status == .noContent)
            let after = try await client.ask(model, "lithium iron phosphate", token: token, extra: ["mode": "keyword"])
            #expect((after.body["sources"] as? [[String: Any]])?.contains { $0["document_id"] as? String == document } == false)
        }
    }
}

/// A chat model that thinks for a while before answering, to see heartbeats.
struct SlowChatModel: ChatModel {
    let providerName = "slow"
    let defaultModel: String? = "slow-1"
    let delay: Duration

    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                try? await Task.sleep(for: delay)
                continuation.yield(.delta("Late but here [1]."))
                continuation.yield(.finished(reason: "stop"))
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

@Suite("SSE heartbeats")
struct HeartbeatTests {
    @Test("a quiet stream sends comment heartbeats while the LLM thinks")
    func heartbeats() async throws {
        try await withTestApp(["answer.heartbeat": "1"], chatModels: ["slow": SlowChatModel(delay: .milliseconds(2300))]) { client in
            let (token, model) = try await client.readyModel(extra: ["llm": ["provider": "slow"]])
            let body = try JSONSerialization.data(withJSONObject: ["model_id": model, "query": "silicon?", "stream": true])
            let text = try await client.execute(uri: "/api/v1/query", method: .post,
                                                headers: [.contentType: "application/json", .authorization: "Bearer \(token)"],
                                                body: ByteBuffer(data: body)) { String(buffer: $0.body) }
            #expect(text.components(separatedBy: ": heartbeat\n\n").count - 1 >= 2)
            #expect(sseEvents(text).last?.event == "done")
        }
    }
}

@Suite("LLM settings of a RAG model")
struct LLMSettingsPatchTests {
    @Test("an explicit null clears the provider (back to extractive); an absent field keeps it")
    func clear() async throws {
        let scripted = ScriptedChatModel(providerName: "scripted") { _ in "Silicon [1]." }
        try await withTestApp(chatModels: ["scripted": scripted]) { client in
            let (token, model) = try await client.readyModel(extra: ["llm": ["provider": "scripted", "model": "m1", "system_prompt": "Be brief."]])
            let kept = try await client.json(.patch, "/api/v1/models/\(model)", ["llm": ["temperature": 0.7]], token: token).body["llm"] as? [String: Any]
            #expect(kept?["provider"] as? String == "scripted" && kept?["model"] as? String == "m1" && kept?["temperature"] as? Double == 0.7)
            let cleared = try await client.json(.patch, "/api/v1/models/\(model)",
                                                ["llm": ["provider": NSNull(), "model": NSNull(), "system_prompt": NSNull()]], token: token).body["llm"] as? [String: Any]
            #expect(cleared?["provider"] is NSNull && cleared?["model"] is NSNull && cleared?["system_prompt"] is NSNull)
            let asked = try await client.ask(model, "What are photovoltaic cells made of?", token: token)
            #expect(asked.body["extractive"] as? Bool == true, "\(asked)")
        }
    }
}
