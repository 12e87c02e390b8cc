import HTTPTypes
import Hummingbird
import HyperionCore
import OTel
import Tracing

/// Opens the server span of a request (`tracing.otlp_endpoint` set): a child of the caller's W3C `traceparent` when
/// it sends one (kept when the caller kept it), else a new trace kept at `tracing.sample_ratio`; named by method and
/// route template, ended when the handler returns, or for a streamed body when its last byte is written (a streamed
/// answer's LLM call falls inside it). A request that is not kept passes through untouched: at a ratio of 0.1 nine
/// requests in ten cost nothing.
/// Everything the request does below runs in the span's service context, which also carries the ``TraceRecorder``,
/// so the pipeline's spans are its children. Its trace id goes into the request's log lines and error envelope.
struct RequestSpanMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let recorder: TraceRecorder

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // A valid caller trace (RequestIDMiddleware parsed it) is followed as the caller decided; anything else starts
        // a trace at the ratio, so a malformed traceparent cannot force one.
        let trace = RequestTrace.current
        guard trace?.traceID != nil || recorder.samplesNewTrace() else { return try await next(request, context) }
        var parent = recorder.bound(to: .topLevel)
        recorder.tracer.extract(request.headers, into: &parent, using: HTTPFieldsExtractor())
        let span = recorder.tracer.startSpan("\(request.method.rawValue) \(context.route)", context: parent, ofKind: .server)
        trace?.traceID = span.context.otelTraceID
        do {
            var response = try await ServiceContext.$current.withValue(span.context) { try await next(request, context) }
            let status = Int(response.status.code)
            if span.isRecording {
                span.updateAttributes { attributes in
                    attributes["http.request.method"] = request.method.rawValue
                    attributes["http.route"] = context.route
                    attributes["url.path"] = String(request.uri.path.prefix(500))
                    attributes["user_agent.original"] = request.headers[.userAgent].map { String($0.prefix(300)) }
                    attributes["hyperion.request_id"] = context.requestID
                    attributes["http.response.status_code"] = status
                    attributes["enduser.id"] = trace?.identity?.user.id.lowercasedString
                }
            }
            if status >= 500 { span.setStatus(SpanStatus(code: .error)) }
            // A body of known length (JSON, a file) ends the span here: wrapping it would cost Hummingbird's one-write
            // path for head, body and end (three writes instead, which doubled a small request's cost). A stream
            // (SSE, a streamed answer) ends it after its last byte, so the LLM call falls inside.
            guard response.body.contentLength == nil else {
                span.end()
                return response
            }
            let body = response.body
            response.body = ResponseBody { writer in
                defer { span.end() }
                try await body.write(writer)
            }
            return response
        } catch {
            span.updateAttributes { attributes in
                attributes["http.request.method"] = request.method.rawValue
                attributes["http.route"] = context.route
            }
            span.recordError(error)
            span.setStatus(SpanStatus(code: .error))
            span.end()
            throw error
        }
    }
}

/// Reads propagation headers from a request.
struct HTTPFieldsExtractor: Extractor {
    func extract(key: String, from carrier: HTTPFields) -> String? {
        HTTPField.Name(key).flatMap { carrier[$0] }
    }
}
