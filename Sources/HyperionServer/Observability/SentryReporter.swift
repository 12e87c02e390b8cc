import AsyncHTTPClient
import Foundation
import Hummingbird
import HyperionCore
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle
import Synchronization

/// Reports errors to Sentry over its envelope protocol, in the background: every 500 a request ends with and every
/// failed job, with release, environment, request id, user id (the e-mail only with `sentry.send_email`) and the log
/// lines of the request or job before it as breadcrumbs.
///
/// A request never waits on it: ``capture(_:)`` queues and returns. At most `sentry.max_events_per_minute` are sent;
/// past that, while the queue (100) is full, or while Sentry asks to wait (429 with `Retry-After`), events are dropped
/// and counted in `hyperion_sentry_events_total{outcome}`. At shutdown what is queued gets 3 seconds to go out.
final class SentryReporter: Service, Sendable {
    let dsn: SentrySettings.DSN
    let settings: SentrySettings
    let logs: LogRing?
    let logger: Logger
    let serverName: String
    private let queue: AsyncStream<SentryEvent>
    private let continuation: AsyncStream<SentryEvent>.Continuation
    private struct Budget {
        var windowStart = ContinuousClock.now
        var used = 0
        var pausedUntil: ContinuousClock.Instant?
        var stoppingAt: ContinuousClock.Instant?
    }
    private let budget = Mutex(Budget())
    private let outcomes: [String: Counter]

    init(dsn: SentrySettings.DSN, settings: SentrySettings, logs: LogRing?, registry: PrometheusCollectorRegistry, logger: Logger) {
        self.dsn = dsn
        self.settings = settings
        self.logs = logs
        self.logger = logger
        serverName = ProcessInfo.processInfo.hostName
        (queue, continuation) = AsyncStream.makeStream(of: SentryEvent.self, bufferingPolicy: .bufferingOldest(100))
        let name = MetricNameDescriptor.named("hyperion_sentry_events_total", help: "Error reports, by outcome (sent, dropped, failed)")
        outcomes = Dictionary(uniqueKeysWithValues: ["sent", "dropped", "failed"].map { ($0, registry.makeCounter(descriptor: name, labels: [("outcome", $0)])) })
    }

    /// Queues `event` (adding the breadcrumbs of its request) and returns at once.
    func capture(_ event: SentryEvent) {
        var event = event
        if event.breadcrumbs.isEmpty, let logs, let request = event.tags["request_id"] {
            event.breadcrumbs = logs.lines(LogFilter(requestID: request), skip: 0, limit: 30).items.reversed().map(Self.breadcrumb)
        }
        guard admit() else { return outcomes["dropped"]!.increment() }
        if case .dropped = continuation.yield(event) { outcomes["dropped"]!.increment() }
    }

    /// Log lines of job `id` (newest 30, oldest first), as breadcrumbs.
    func breadcrumbs(ofJob id: String) -> [SentryEvent.Breadcrumb] {
        guard let logs else { return [] }
        return logs.lines(LogFilter(metadata: ["job_id": id]), skip: 0, limit: 30).items.reversed().map(Self.breadcrumb)
    }

    static func breadcrumb(_ line: LogRecord) -> SentryEvent.Breadcrumb {
        let level = switch line.level {
        case .trace, .debug: "debug"
        case .info, .notice: "info"
        case .warning: "warning"
        case .error: "error"
        case .critical: "fatal"
        }
        return .init(timestamp: line.timestamp, category: line.logger, message: line.message, level: level, data: line.metadata)
    }

    /// Within this minute's budget, and Sentry has not asked to wait?
    private func admit() -> Bool {
        budget.withLock { budget in
            let now = ContinuousClock.now
            if let until = budget.pausedUntil, now < until { return false }
            if now - budget.windowStart >= .seconds(60) { budget = Budget(windowStart: now, used: 0, pausedUntil: nil, stoppingAt: budget.stoppingAt) }
            guard budget.used < settings.maxEventsPerMinute else { return false }
            budget.used += 1
            return true
        }
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            for await event in queue {
                if let stopping = budget.withLock({ $0.stoppingAt }), ContinuousClock.now - stopping > .seconds(3) { break }
                await send(event)
            }
        } onGracefulShutdown: {
            self.budget.withLock { $0.stoppingAt = .now }
            self.continuation.finish()
        }
    }

    func send(_ event: SentryEvent) async {
        var request = HTTPClientRequest(url: dsn.envelopeURL.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-sentry-envelope")
        request.headers.add(name: "User-Agent", value: "hyperion.sentry/\(hyperionVersion)")
        request.headers.add(name: "X-Sentry-Auth", value: "Sentry sentry_version=7, sentry_client=hyperion.sentry/\(hyperionVersion), sentry_key=\(dsn.publicKey)")
        request.body = .bytes(ByteBuffer(data: event.envelope(dsn: dsn.text, release: settings.release, environment: settings.environment, serverName: serverName)))
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
            _ = try? await response.body.collect(upTo: 64 * 1024)
            switch response.status.code {
            case 200..<300:
                outcomes["sent"]!.increment()
            case 429:
                // Sentry's own rate limit: wait as long as it says (Retry-After seconds, else a minute).
                let wait = response.headers.first(name: "Retry-After").flatMap(Double.init) ?? 60
                budget.withLock { $0.pausedUntil = .now + .milliseconds(Int64(wait * 1000)) }
                outcomes["dropped"]!.increment()
                logger.warning("Sentry asked to wait; error reports paused", metadata: ["seconds": "\(Int(wait))"])
            default:
                outcomes["failed"]!.increment()
                logger.warning("Sentry refused an error report", metadata: ["status": "\(response.status.code)"])
            }
        } catch {
            outcomes["failed"]!.increment()
            logger.warning("an error report could not be sent to Sentry", metadata: ["error": "\(error)"])
        }
    }
}

/// Reports failed jobs, with the job's log lines before the failure as breadcrumbs.
struct SentryJobObserver: IngestionObserver {
    let reporter: SentryReporter

    func job(_ job: JobRecord, finished status: JobStatus, error: String?, took duration: Duration) {
        guard status == .failed else { return }
        var event = SentryEvent(type: "JobFailed", value: error ?? "the job failed", mechanism: "job")
        event.handled = true
        event.tags = ["job_kind": job.kind.rawValue, "job_id": job.id.lowercasedString]
        event.userID = job.ownerID.lowercasedString
        event.extra = ["model_id": job.modelID.lowercasedString, "documents": "\(job.documentIDs.count)", "attempts": "\(job.attempts)",
                       "seconds": String(format: "%.1f", duration.seconds)]
        event.breadcrumbs = reporter.breadcrumbs(ofJob: job.id.lowercasedString)
        (event.traceID, event.spanID) = SentryEvent.currentTrace()
        reporter.capture(event)
    }
}

extension SentryReporter {
    /// Reports the error a request ended with as a 500.
    func report(_ error: any Error, request: Request, context: AppRequestContext) {
        var event = SentryEvent(type: String(describing: Swift.type(of: error)), value: String(String(reflecting: error).prefix(2000)), mechanism: "http")
        event.tags = ["request_id": context.requestID, "route": context.route, "method": request.method.rawValue]
        // The caller as authentication found it (inner middleware cannot change this context; the trace is shared).
        if let user = (RequestTrace.current?.identity ?? context.identity)?.user {
            event.userID = user.id.lowercasedString
            if settings.sendEmail { event.userEmail = user.email }
        }
        event.method = request.method.rawValue
        event.url = request.uri.path
        (event.traceID, event.spanID) = SentryEvent.currentTrace()
        if event.traceID == nil { event.traceID = RequestTrace.current?.traceID }
        capture(event)
    }
}
