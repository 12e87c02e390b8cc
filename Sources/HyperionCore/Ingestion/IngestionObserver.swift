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
    /// One job ended with `status` after `duration`.
    func job(_ kind: JobKind, finished status: JobStatus, took duration: Duration)
}

extension IngestionObserver {
    public func phase(_ phase: IngestionPhase, took duration: Duration) {}
    public func embedded(texts: Int, tokens: Int, took duration: Duration) {}
    public func document(ingested: Bool, chunks: Int) {}
    public func job(_ kind: JobKind, finished status: JobStatus, took duration: Duration) {}
}

/// Observes nothing: the default.
public struct NoIngestionObserver: IngestionObserver {
    /// Creates it.
    public init() {}
}
