import Foundation
import Hummingbird
import HummingbirdTesting
import HyperionCore
import HyperionServer
import Logging
import Prometheus
import Testing

/// Answers through the LLM queue inside the application: the in-memory twin stands in for RabbitMQ (which
/// scripts/queue_checks.py runs for real), and a ``ChatJobWorker`` answers with the scripted model.
@Suite struct LLMQueueAPITests {
    @Test("a query is answered by a worker through the queue, its usage stored; /metrics shows the queue")
    func answeredThroughTheQueue() async throws {
        let recorder = ScriptedChatModel.Recorder()
        let scripted = ScriptedChatModel(providerName: "scripted", defaultModel: "tiny-1", recorder: recorder) { _ in
            "Photovoltaic cells are made of silicon [1]."
        }
        let queue = InMemoryChatJobQueue()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let source = queue.worker()
        // The worker knows the provider by the name the server gives it; the server's own copy is never called.
        let worker = ChatJobWorker(source: source, models: { $0 == "scripted" ? scripted : nil }, concurrency: 2, logger: logger)
        let running = Task { await worker.run() }
        let unused = ScriptedChatModel(providerName: "scripted", defaultModel: "tiny-1") { _ in
            Issue.record("the server called the provider itself")
            return ""
        }
        let registry = PrometheusCollectorRegistry()
        let app = try await buildApplication(reader: testReader(), logSink: LogSink(), registry: registry, passwordHasher: PasswordHasher(cost: 4),
                                             embedder: HashingEmbedder(), chatModels: ["scripted": unused], llmQueue: queue)
        try await app.test(.router) { client in
            let (token, model) = try await client.readyModel(extra: ["llm": ["provider": "scripted"]])
            let result = try await client.ask(model, "What are photovoltaic cells made of?", token: token)
            #expect(result.status == .ok && (result.body["answer"] as? String)?.contains("silicon") == true)
            #expect((result.body["citations"] as? [[String: Any]])?.map { $0["n"] as? Int } == [1])
            #expect((result.body["usage"] as? [String: Any])?["completion_tokens"] as? Int == 7, "seven words, as the scripted model counted")
            #expect(recorder.all.count == 1, "the worker's model answered once")
            let metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(metrics.contains("hyperion_llm_queue_depth 0") && metrics.contains("hyperion_llm_queue_consumers 1"), "\(metrics.suffix(2000))")
        }
        await source.close()
        await running.value
    }
}
