import HyperionCore
import Logging
import OTel
import ServiceLifecycle
import Tracing

/// The tracer `tracing.*` configures: swift-otel's tracer with a batch span processor and its OTLP/HTTP exporter, and
/// the service that runs them (it sends what is left when the server stops). Spans go to the project named
/// `tracing.service_name` in Phoenix (`openinference.project.name`).
enum TracingBackend {
    /// The recorder and its service; nil when no endpoint is configured.
    static func make(settings: TracingSettings, logger: Logger) throws -> (recorder: TraceRecorder, service: any Service)? {
        guard let endpoint = settings.endpoint else { return nil }
        var configuration = OTel.Configuration.default
        configuration.serviceName = settings.serviceName
        configuration.resourceAttributes = ["openinference.project.name": settings.serviceName, "service.version": hyperionVersion]
        configuration.diagnosticLogger = .custom(logger)
        configuration.propagators = [.traceContext]
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.traces.enabled = true
        // The ratio is applied before a trace starts (TraceRecorder.samplesNewTrace), so a dropped request costs
        // nothing; the tracer follows parents only: a caller's trace is kept when the caller kept it.
        configuration.traces.sampler = .parentBasedAlwaysOn
        configuration.traces.exporter = .otlp
        var base = endpoint.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        configuration.traces.otlpExporter.endpoint = base + "/v1/traces"
        configuration.traces.otlpExporter.protocol = settings.wireProtocol == "http/json" ? .httpJSON : .httpProtobuf
        configuration.traces.otlpExporter.headers = settings.headers
        let backend = try OTel.makeTracingBackend(configuration: configuration)
        return (TraceRecorder(tracer: backend.factory, recordsContent: settings.recordContent, sampleRatio: settings.sampleRatio), backend.service)
    }
}
