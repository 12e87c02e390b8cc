/// A step of ingesting one document, as the pipeline times it.
public enum IngestionPhase: String, Sendable, CaseIterable {
    case extract, chunk, embed, index, store
}

/// What the ingestion pipeline reports as it works (metrics hang off it); every method may be left out.
public protocol IngestionObserver: Sendable {
    /// One phase of one document took `duration`.
    func phase(_ phase: IngestionPhase, took duration: Duration)
    /// One embedding call: `texts` texts of `tokens` tokens in all.
    func embedded(texts: Int, tokens: Int, took duration: Duration)
    /// One document ended: ingested with `chunks` chunks, or failed.
    func document(ingested: Bool, chunks: Int)
    /// One job ended with `status` (and why, when it failed) after `duration`.
    func job(_ job: JobRecord, finished status: JobStatus, error: String?, took duration: Duration)
}

extension IngestionObserver {
    public func phase(_ phase: IngestionPhase, took duration: Duration) {}
    public func embedded(texts: Int, tokens: Int, took duration: Duration) {}
    public func document(ingested: Bool, chunks: Int) {}
    public func job(_ job: JobRecord, finished status: JobStatus, error: String?, took duration: Duration) {}
}

/// Tells every observer in turn.
public struct IngestionObservers: IngestionObserver {
    let all: [any IngestionObserver]

    /// Observers told in order.
    public init(_ all: [any IngestionObserver]) { self.all = all }

    public func phase(_ phase: IngestionPhase, took duration: Duration) { for o in all { o.phase(phase, took: duration) } }
    public func embedded(texts: Int, tokens: Int, took duration: Duration) { for o in all { o.embedded(texts: texts, tokens: tokens, took: duration) } }
    public func document(ingested: Bool, chunks: Int) { for o in all { o.document(ingested: ingested, chunks: chunks) } }
    public func job(_ job: JobRecord, finished status: JobStatus, error: String?, took duration: Duration) {
        for o in all { o.job(job, finished: status, error: error, took: duration) }
    }
}

/// Observes nothing: the default.
public struct NoIngestionObserver: IngestionObserver {
    /// Creates it.
    public init() {}
}
