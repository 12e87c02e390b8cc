import Tracing

/// Spans around the pipeline's steps, made by the ``TraceRecorder`` of the current service context; with none, the
/// body runs alone and every ``SpanHandle`` call does nothing.
public enum Spans {
    /// Starts a child of the current span; the caller ends it (for work that outlives one call, such as a stream).
    public static func start(_ name: String, kind: SpanKind = .internal, _ openInference: OpenInference.Kind? = nil) -> SpanHandle {
        guard let context = ServiceContext.current, let recorder = context.traceRecorder else { return .none }
        let span = recorder.tracer.startSpan(name, context: context, ofKind: kind)
        let handle = SpanHandle(span: span, recordsContent: recorder.recordsContent)
        if let openInference { handle.set(OpenInference.spanKind, openInference.rawValue) }
        return handle
    }

    /// Runs `body` in a child span of the current one, ended when it returns; a thrown error marks the span failed.
    public static func run<T>(
        _ name: String, kind: SpanKind = .internal, _ openInference: OpenInference.Kind? = nil,
        isolation: isolated (any Actor)? = #isolation, _ body: (SpanHandle) async throws -> T
    ) async rethrows -> T {
        let handle = start(name, kind: kind, openInference)
        guard let span = handle.span else { return try await body(handle) }
        defer { span.end() }
        do {
            return try await ServiceContext.$current.withValue(span.context, operation: { try await body(handle) }, isolation: isolation)
        } catch {
            handle.fail(error)
            throw error
        }
    }

    /// Runs `body` in a span continuing the trace a `traceparent` names (work another process handed over and waits
    /// for, such as a queued generation), ended when it returns. Untraced (no recorder, no `traceParent`, or a caller
    /// that did not keep its trace): the body runs alone.
    public static func continuing<T>(
        _ traceParent: String?, _ name: String, kind: SpanKind = .consumer, _ openInference: OpenInference.Kind? = nil,
        isolation: isolated (any Actor)? = #isolation, _ body: (SpanHandle) async throws -> T
    ) async rethrows -> T {
        guard let traceParent, let current = ServiceContext.current, let recorder = current.traceRecorder else { return try await body(.none) }
        var parent = current
        recorder.tracer.extract([("traceparent", traceParent)], into: &parent, using: HeaderListExtractor())
        return try await ServiceContext.$current.withValue(parent, operation: {
            try await run(name, kind: kind, openInference, body)
        }, isolation: isolation)
    }

    /// The headers that carry the current trace to another service (W3C `traceparent`, `tracestate`); none when the
    /// work is not traced.
    public static func propagationHeaders() -> [(String, String)] {
        guard let context = ServiceContext.current, let recorder = context.traceRecorder else { return [] }
        var headers: [(String, String)] = []
        recorder.tracer.inject(context, into: &headers, using: HeaderListInjector())
        return headers
    }

    /// The current span's W3C `traceparent` when the work is traced, for work queued now that runs later (a job).
    public static func traceParent() -> String? {
        propagationHeaders().first { $0.0 == "traceparent" }?.1
    }
}

/// One span of the current work, or none (untraced); attributes are kept only while the span records (sampled).
public struct SpanHandle: Sendable {
    let span: (any Span)?
    /// Whether `tracing.record_content` lets spans hold what users wrote.
    public let recordsContent: Bool

    /// No span.
    public static let none = SpanHandle(span: nil, recordsContent: false)

    /// Whether what is set here is kept: build costly attributes only when it is.
    public var isRecording: Bool { span?.isRecording ?? false }
    /// Whether content (questions, answers, passages) may be set now.
    public var keepsContent: Bool { recordsContent && isRecording }

    /// Sets one attribute (nothing for nil).
    public func set(_ name: String, _ value: (any SpanAttributeConvertible)?) {
        guard let span, span.isRecording, let value else { return }
        span.attributes[name] = value.toSpanAttribute()
    }

    /// Sets several attributes at once, built only while the span records.
    public func update(_ body: (inout SpanAttributes) -> Void) {
        guard let span, span.isRecording else { return }
        span.updateAttributes(body)
    }

    /// Adds an event (a point in time within the span).
    public func event(_ name: String, _ attributes: SpanAttributes = [:]) {
        guard let span, span.isRecording else { return }
        span.addEvent(SpanEvent(name: name, attributes: attributes))
    }

    /// Marks the span failed with `error`; a cancellation is an event, not a failure.
    public func fail(_ error: any Error) {
        guard let span else { return }
        if error is CancellationError {
            span.addEvent(SpanEvent(name: "cancelled"))
            return
        }
        span.recordError(error)
        span.setStatus(SpanStatus(code: .error, message: String(String(describing: error).prefix(300))))
    }

    /// Links the span to the span a `traceparent` names (the request that queued this work), and names that trace in
    /// `hyperion.request.trace_id` so it can be searched for.
    public func link(traceParent: String?) {
        guard let span, span.isRecording, let traceParent, let recorder = ServiceContext.current?.traceRecorder else { return }
        var linked = ServiceContext.topLevel
        recorder.tracer.extract([("traceparent", traceParent)], into: &linked, using: HeaderListExtractor())
        span.addLink(SpanLink(context: linked, attributes: [:]))
        let fields = traceParent.split(separator: "-")
        if fields.count == 4 { span.attributes["hyperion.request.trace_id"] = String(fields[1]) }
    }

    /// Marks the span failed for `message` (an outcome that was recorded rather than thrown).
    public func fail(message: String) {
        span?.setStatus(SpanStatus(code: .error, message: String(message.prefix(300))))
    }

    /// Ends the span.
    public func end() { span?.end() }

    /// Runs `body` with this span as the current one, so spans and tasks it starts are its children.
    public func bind<T>(_ body: () throws -> T) rethrows -> T {
        guard let span else { return try body() }
        return try ServiceContext.$current.withValue(span.context, operation: body)
    }

    /// Runs `body` with this span as the current one.
    public func bind<T>(isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T) async rethrows -> T {
        guard let span else { return try await body() }
        return try await ServiceContext.$current.withValue(span.context, operation: body, isolation: isolation)
    }
}

/// Reads propagation headers from a list of name/value pairs.
struct HeaderListExtractor: Extractor {
    func extract(key: String, from carrier: [(String, String)]) -> String? { carrier.first { $0.0 == key }?.1 }
}

/// Writes propagation headers into a list of name/value pairs.
struct HeaderListInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [(String, String)]) { carrier.append((key, value)) }
}
