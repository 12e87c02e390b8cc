import Foundation
import HyperionCore
import NIOConcurrencyHelpers
import Prometheus

/// Prometheus metrics of ingestion: `hyperion_ingest_phase_duration_seconds{phase}`,
/// `hyperion_ingest_documents_total{outcome}`, `hyperion_ingest_chunks_total`,
/// `hyperion_embedding_batch_duration_seconds`, `hyperion_embedding_texts_total`, `hyperion_embedding_tokens_total`,
/// `hyperion_jobs_finished_total{kind,status}` and `hyperion_job_duration_seconds{kind}`; and the queue's depth at
/// each scrape, `hyperion_jobs{status}` and `hyperion_job_queue_oldest_age_seconds`. No label carries an id.
final class IngestionMetrics: IngestionObserver {
    static let buckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
        .seconds(300),
    ]

    private let phases: [IngestionPhase: DurationHistogram]
    private let documents: [Bool: Counter]
    private let chunks: Counter
    private let batch: DurationHistogram
    private let texts: Counter
    private let tokens: Counter
    private let finished: [String: Counter]
    private let jobDuration: [JobKind: DurationHistogram]
    private let queued: Gauge
    private let running: Gauge
    private let oldestAge: Gauge
    /// Documents ingested here, with when: the ingestion rate of `/api/v1/stats`.
    let recent = RecentEvents(window: .seconds(3600))

    init(registry: PrometheusCollectorRegistry) {
        let phase = MetricNameDescriptor.named("hyperion_ingest_phase_duration_seconds", help: "Time one document spent in each ingestion phase")
        phases = Dictionary(uniqueKeysWithValues: IngestionPhase.allCases.map {
            ($0, registry.makeDurationHistogram(descriptor: phase, labels: [("phase", $0.rawValue)], buckets: Self.buckets))
        })
        let outcome = MetricNameDescriptor.named("hyperion_ingest_documents_total", help: "Documents processed, by outcome")
        documents = [true: registry.makeCounter(descriptor: outcome, labels: [("outcome", "ingested")]),
                     false: registry.makeCounter(descriptor: outcome, labels: [("outcome", "failed")])]
        chunks = registry.makeCounter(descriptor: .named("hyperion_ingest_chunks_total", help: "Chunks made from ingested documents"))
        batch = registry.makeDurationHistogram(descriptor: .named("hyperion_embedding_batch_duration_seconds", help: "Time of one embedding call"),
                                               buckets: Self.buckets)
        texts = registry.makeCounter(descriptor: .named("hyperion_embedding_texts_total", help: "Texts embedded for documents"))
        tokens = registry.makeCounter(descriptor: .named("hyperion_embedding_tokens_total", help: "Tokens embedded for documents"))
        let jobs = MetricNameDescriptor.named("hyperion_jobs_finished_total", help: "Jobs ended, by kind and status")
        var finished: [String: Counter] = [:]
        for kind in JobKind.allCases {
            for status in JobStatus.allCases where status.isFinal {
                finished["\(kind.rawValue)/\(status.rawValue)"] = registry.makeCounter(descriptor: jobs, labels: [("kind", kind.rawValue), ("status", status.rawValue)])
            }
        }
        self.finished = finished
        let duration = MetricNameDescriptor.named("hyperion_job_duration_seconds", help: "Time from a job's claim to its end, by kind")
        jobDuration = Dictionary(uniqueKeysWithValues: JobKind.allCases.map {
            ($0, registry.makeDurationHistogram(descriptor: duration, labels: [("kind", $0.rawValue)], buckets: Self.buckets))
        })
        let depth = MetricNameDescriptor.named("hyperion_jobs", help: "Jobs waiting and running now, over every instance")
        queued = registry.makeGauge(descriptor: depth, labels: [("status", "queued")])
        running = registry.makeGauge(descriptor: depth, labels: [("status", "running")])
        oldestAge = registry.makeGauge(descriptor: .named("hyperion_job_queue_oldest_age_seconds",
                                                          help: "How long the longest-waiting queued job has waited (0 when none waits)"))
    }

    func phase(_ phase: IngestionPhase, took duration: Duration) { phases[phase]?.record(duration) }

    func embedded(texts: Int, tokens: Int, took duration: Duration) {
        batch.record(duration)
        self.texts.increment(by: Int64(texts))
        self.tokens.increment(by: Int64(tokens))
    }

    func document(ingested: Bool, chunks: Int) {
        documents[ingested]?.increment()
        if ingested {
            self.chunks.increment(by: Int64(chunks))
            recent.add()
        }
    }

    func job(_ job: JobRecord, finished status: JobStatus, error: String?, took duration: Duration) {
        finished["\(job.kind.rawValue)/\(status.rawValue)"]?.increment()
        jobDuration[job.kind]?.record(duration)
    }

    /// Sets the queue gauges from `summary` (read at each scrape).
    func queue(_ summary: JobQueueSummary, now: Date = Date()) {
        queued.set(Double(summary.queued))
        running.set(Double(summary.running))
        oldestAge.set(summary.oldestQueuedAt.map { max(0, now.timeIntervalSince($0)) } ?? 0)
    }
}

/// Timestamps of events within a trailing window, for rates ("documents ingested in the last hour"). Kept in the
/// order they happen, so expired ones are a prefix: dropping them and counting a span cost a search, not a pass over
/// an hour of events.
final class RecentEvents: Sendable {
    private struct Times {
        var all: [ContinuousClock.Instant] = []
        /// Where the events still inside the window start.
        var start = 0

        /// The first kept index at or after `instant`.
        func first(atOrAfter instant: ContinuousClock.Instant) -> Int {
            var low = start, high = all.count
            while low < high {
                let middle = (low + high) / 2
                if all[middle] < instant { low = middle + 1 } else { high = middle }
            }
            return low
        }
    }

    private let window: Duration
    private let times = NIOLockedValueBox(Times())

    init(window: Duration) {
        self.window = window
    }

    /// Counts one event now.
    func add() {
        let now = ContinuousClock.now
        times.withLockedValue { times in
            times.all.append(now)
            times.start = times.first(atOrAfter: now - window)
            // The expired prefix is cut once it is half the array: each event is moved at most once more.
            if times.start > 1024, times.start * 2 > times.all.count {
                times.all.removeFirst(times.start)
                times.start = 0
            }
        }
    }

    /// Events within the last `span` (at most the window).
    func count(within span: Duration) -> Int {
        let now = ContinuousClock.now
        return times.withLockedValue { $0.all.count - $0.first(atOrAfter: now - span) }
    }
}
