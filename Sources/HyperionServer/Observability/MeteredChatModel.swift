import HyperionCore
import NIOConcurrencyHelpers
import Prometheus

/// Prometheus metrics of LLM calls, counted where every call passes (``MeteredChatModel``): queries, follow-up
/// rewrites, `/api/v1/generate` and `/v1/chat/completions` alike. `llm_requests_total{provider,model,outcome}`,
/// `llm_request_duration_seconds{provider,model}`, `llm_first_token_seconds{provider,model}`,
/// `llm_tokens_total{provider,model,kind}` and `llm_provider_errors_total{provider,kind}`. Providers are named by
/// admins; a provider's model names are capped at ``maxModels`` (later ones count as `other`), so a caller naming
/// models at random cannot grow the series without bound.
final class LLMMetrics: Sendable {
    static let maxModels = 32
    static let buckets: [Duration] = [
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5),
        .seconds(10), .seconds(20), .seconds(30), .seconds(60), .seconds(120),
    ]
    static let help = [
        "llm_requests_total": "LLM calls, by provider, model and outcome (ok, cancelled or the error's kind)",
        "llm_tokens_total": "Tokens reported by LLM providers, by provider, model and kind",
        "llm_provider_errors_total": "LLM provider failures, by provider and kind",
        "llm_first_token_seconds": "Time from an LLM call to its first token",
        "llm_request_duration_seconds": "Time of an LLM call to its last token",
    ]

    private let families: MetricFamilies
    private let models = NIOLockedValueBox<[String: Set<String>]>([:])
    /// Whole-call and first-token times per provider, for `/api/v1/stats`.
    let calls = LatencyBook<String>()
    let firstTokens = LatencyBook<String>()

    init(registry: PrometheusCollectorRegistry) {
        families = MetricFamilies(registry: registry, help: Self.help, buckets: Self.buckets)
    }

    /// `model` as a label: itself while the provider has fewer than ``maxModels`` names, else `other`.
    func label(provider: String, model: String) -> String {
        models.withLockedValue { models in
            if models[provider, default: []].contains(model) { return model }
            guard models[provider, default: []].count < Self.maxModels else { return "other" }
            models[provider, default: []].insert(model)
            return model
        }
    }

    func firstToken(provider: String, model: String, after duration: Duration) {
        families.histogram("llm_first_token_seconds", [("provider", provider), ("model", model)]).record(duration)
        firstTokens.record(provider, duration)
    }

    func tokens(provider: String, model: String, _ usage: TokenUsage) {
        families.counter("llm_tokens_total", [("provider", provider), ("model", model), ("kind", "prompt")]).increment(by: Int64(usage.promptTokens))
        families.counter("llm_tokens_total", [("provider", provider), ("model", model), ("kind", "completion")]).increment(by: Int64(usage.completionTokens))
    }

    func ended(provider: String, model: String, outcome: String, after duration: Duration) {
        families.counter("llm_requests_total", [("provider", provider), ("model", model), ("outcome", outcome)]).increment()
        families.histogram("llm_request_duration_seconds", [("provider", provider), ("model", model)]).record(duration)
        if outcome == "ok" { calls.record(provider, duration) }
    }

    func failed(_ error: ProviderError) {
        families.counter("llm_provider_errors_total", [("provider", error.provider), ("kind", error.kind.rawValue)]).increment()
    }
}

/// A chat model that reports every call to ``LLMMetrics`` and traces it as an OpenInference LLM span (model, parameters,
/// messages, tokens, first token; message contents only with `tracing.record_content`), and otherwise passes everything
/// through unchanged.
struct MeteredChatModel: ChatModel {
    /// The provider's own client (the Ollama pull needs it).
    let base: any ChatModel
    let metrics: LLMMetrics

    var providerName: String { base.providerName }
    var defaultModel: String? { base.defaultModel }
    func availableModels() async throws -> [String] { try await base.availableModels() }

    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatEvent, any Error> {
        let provider = base.providerName
        let named = request.model ?? base.defaultModel ?? "default"
        let model = metrics.label(provider: provider, model: named)
        let span = Spans.start("llm", .llm)
        Self.describe(request, model: named, provider: provider, in: span)
        // The provider's HTTP call starts inside the span, so it is its child and carries its traceparent.
        let upstream = span.bind { base.stream(request) }
        let metrics = self.metrics
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: ChatEvent.self)
        let task = span.bind { Task {
            let started = ContinuousClock.now
            var waiting = true
            var answer = ""
            defer { span.end() }
            do {
                for try await event in upstream {
                    switch event {
                    case .delta(let text):
                        if waiting {
                            waiting = false
                            metrics.firstToken(provider: provider, model: model, after: ContinuousClock.now - started)
                            span.event("first token")
                        }
                        if span.keepsContent { answer += text }
                    case .usage(let usage):
                        metrics.tokens(provider: provider, model: model, usage)
                        span.update { attributes in
                            attributes[OpenInference.promptTokens] = usage.promptTokens
                            attributes[OpenInference.completionTokens] = usage.completionTokens
                            attributes[OpenInference.totalTokens] = usage.totalTokens
                        }
                    case .finished(let reason):
                        span.set("hyperion.llm.finish_reason", reason)
                    }
                    continuation.yield(event)
                }
                try Task.checkCancellation()
                metrics.ended(provider: provider, model: model, outcome: "ok", after: ContinuousClock.now - started)
                if span.keepsContent {
                    span.update { attributes in
                        attributes[OpenInference.outputMessage(0, "role")] = "assistant"
                        attributes[OpenInference.outputMessage(0, "content")] = answer
                        attributes[OpenInference.outputValue] = answer
                    }
                }
                continuation.finish()
            } catch {
                span.fail(error)
                let outcome: String
                if let error = error as? ProviderError {
                    metrics.failed(error)
                    outcome = error.kind.rawValue
                } else {
                    outcome = Task.isCancelled || error is CancellationError ? "cancelled" : "error"
                }
                metrics.ended(provider: provider, model: model, outcome: outcome, after: ContinuousClock.now - started)
                continuation.finish(throwing: error)
            }
        } }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// The request's model, parameters and messages (their roles always, their contents only when recorded).
    static func describe(_ request: ChatRequest, model: String, provider: String, in span: SpanHandle) {
        span.update { attributes in
            attributes[OpenInference.modelName] = model
            attributes[OpenInference.provider] = provider
            var parameters: [String] = []
            if let temperature = request.options.temperature { parameters.append("\"temperature\":\(temperature)") }
            if let topP = request.options.topP { parameters.append("\"top_p\":\(topP)") }
            if let maxTokens = request.options.maxTokens { parameters.append("\"max_tokens\":\(maxTokens)") }
            attributes[OpenInference.invocationParameters] = "{" + parameters.joined(separator: ",") + "}"
            for (index, message) in request.messages.enumerated() {
                attributes[OpenInference.inputMessage(index, "role")] = message.role.rawValue
                if span.recordsContent { attributes[OpenInference.inputMessage(index, "content")] = message.content }
            }
            if span.recordsContent, let question = request.messages.last(where: { $0.role == .user }) {
                attributes[OpenInference.inputValue] = question.content
            }
        }
    }
}

extension ChatModel {
    /// The provider's own client under any metering wrapper.
    var unwrapped: any ChatModel { (self as? MeteredChatModel)?.base ?? self }
}
