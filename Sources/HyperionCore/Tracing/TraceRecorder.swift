import Tracing

/// Where the spans of the current task go: a tracer, and whether spans may hold what users wrote (questions, answers,
/// prompts, retrieved passages).
///
/// It travels in the task's service context, set where work starts (the HTTP tracing middleware, the ingestion
/// worker), so the domain code below finds it without being handed it, and code that knows nothing of tracing passes
/// it on untouched. With none set, every ``Spans`` helper runs its body alone, at the cost of one task-local read.
public struct TraceRecorder: Sendable {
    /// Makes the spans.
    public let tracer: any Tracer
    /// Whether message contents and passages go into spans (`tracing.record_content`).
    public let recordsContent: Bool

    /// Creates a recorder.
    public init(tracer: any Tracer, recordsContent: Bool) {
        self.tracer = tracer
        self.recordsContent = recordsContent
    }

    /// `context` with this recorder in it.
    public func bound(to context: ServiceContext = .current ?? .topLevel) -> ServiceContext {
        var context = context
        context.traceRecorder = self
        return context
    }
}

extension ServiceContext {
    /// The recorder the current work traces with, if any.
    public var traceRecorder: TraceRecorder? {
        get { self[TraceRecorderKey.self] }
        set { self[TraceRecorderKey.self] = newValue }
    }
}

private enum TraceRecorderKey: ServiceContextKey {
    typealias Value = TraceRecorder
    static var nameOverride: String? { "hyperion-trace-recorder" }
}
