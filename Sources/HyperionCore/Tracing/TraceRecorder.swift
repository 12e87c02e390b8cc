import Synchronization
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
    /// The share of new traces kept (`tracing.sample_ratio`).
    public let sampleRatio: Double
    private let draws = SamplingDraws()

    /// Creates a recorder keeping `sampleRatio` of the traces it starts.
    public init(tracer: any Tracer, recordsContent: Bool, sampleRatio: Double = 1) {
        self.tracer = tracer
        self.recordsContent = recordsContent
        self.sampleRatio = sampleRatio
    }

    /// Whether a trace that starts here (no caller's trace to follow) is kept. Decided before anything is made: a
    /// dropped request or job then costs nothing (no span, no ids, no context); the tracer's own sampler only
    /// follows parents.
    public func samplesNewTrace() -> Bool {
        if sampleRatio >= 1 { return true }
        if sampleRatio <= 0 { return false }
        return draws.next() < sampleRatio
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

/// Uniform draws in 0..<1 from any thread: SplitMix64 over a shared counter (one atomic add, no system call).
final class SamplingDraws: Sendable {
    private let counter = Atomic<UInt64>(UInt64.random(in: 0...UInt64.max))

    func next() -> Double {
        var mixer = SplitMix64(state: counter.wrappingAdd(0x9E37_79B9_7F4A_7C15, ordering: .relaxed).newValue)
        return mixer.unit()
    }
}
