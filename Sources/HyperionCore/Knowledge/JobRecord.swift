import Foundation

/// What a job does.
public enum JobKind: String, Sendable, Codable, CaseIterable {
    /// Extract, chunk, embed and index uploaded documents.
    case ingest
    /// Rebuild a model's index with its current settings into a new generation.
    case train
}

/// Where a job is.
public enum JobStatus: String, Sendable, Codable, CaseIterable {
    case queued, running, succeeded, failed, canceled

    /// Whether the job has ended.
    public var isFinal: Bool { self == .succeeded || self == .failed || self == .canceled }
}

/// A durable unit of background work, kept in the store so it survives restarts.
public struct JobRecord: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var kind: JobKind
    public var modelID: UUID
    /// Who started it.
    public var ownerID: UUID
    /// The documents an ingest job processes.
    public var documentIDs: [UUID]
    public var status: JobStatus
    public var progressDone: Int
    public var progressTotal: Int
    public var error: String?
    /// How many times a worker has taken the job (a crash mid-job makes it > 1).
    public var attempts: Int
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    /// The W3C `traceparent` of the traced request that queued the job, if it was traced: the job's own trace links
    /// to it.
    public var traceParent: String?

    /// Creates a job value.
    public init(id: UUID = UUID(), kind: JobKind, modelID: UUID, ownerID: UUID, documentIDs: [UUID] = [], status: JobStatus = .queued,
                progressDone: Int = 0, progressTotal: Int = 0, error: String? = nil, attempts: Int = 0,
                createdAt: Date = Date(), startedAt: Date? = nil, finishedAt: Date? = nil, traceParent: String? = nil) {
        self.id = id
        self.kind = kind
        self.modelID = modelID
        self.ownerID = ownerID
        self.documentIDs = documentIDs
        self.status = status
        self.progressDone = progressDone
        self.progressTotal = progressTotal
        self.error = error
        self.attempts = attempts
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.traceParent = traceParent
    }
}
