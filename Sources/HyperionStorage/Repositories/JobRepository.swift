import Foundation
import HyperionCore
import SQLKit

/// The durable job queue. Workers claim queued jobs one at a time; on PostgreSQL the claim uses
/// `FOR UPDATE SKIP LOCKED`, so several server processes share one queue and each job runs once.
public struct JobRepository: Sendable {
    let store: Store

    struct Row: Codable {
        var id: UUID
        var kind: String
        var model_id: UUID
        var owner_id: UUID
        var document_ids: String
        var status: String
        var progress_done: Int
        var progress_total: Int
        var error: String?
        var attempts: Int
        var created_at: Date
        var started_at: Date?
        var finished_at: Date?
        var heartbeat_at: Date?
        var claimed_by: String?

        init(_ j: JobRecord) {
            id = j.id; kind = j.kind.rawValue; model_id = j.modelID; owner_id = j.ownerID
            document_ids = JSONText.encode(j.documentIDs); status = j.status.rawValue; progress_done = j.progressDone
            progress_total = j.progressTotal; error = j.error; attempts = j.attempts; created_at = j.createdAt
            started_at = j.startedAt; finished_at = j.finishedAt
        }

        var record: JobRecord {
            JobRecord(id: id, kind: JobKind(rawValue: kind) ?? .ingest, modelID: model_id, ownerID: owner_id,
                      documentIDs: JSONText.decode(document_ids) ?? [], status: JobStatus(rawValue: status) ?? .failed,
                      progressDone: progress_done, progressTotal: progress_total, error: error, attempts: attempts,
                      createdAt: created_at, startedAt: started_at, finishedAt: finished_at)
        }
    }

    /// Queues a job.
    public func enqueue(_ job: JobRecord) async throws {
        try await store.database.insert(into: "jobs").model(Row(job)).run()
    }

    public func find(id: UUID) async throws -> JobRecord? {
        try await store.database.select().columns("*").from("jobs").where("id", .equal, id).first(decoding: Row.self)?.record
    }

    /// Takes a queued job for `worker`, marking it running; nil when none may start. Fair between users: a user
    /// with `perUser` jobs running on this worker gets no other here until one ends (so one user's big upload
    /// leaves this process's other lanes to everyone else, while other instances may still take that user's next
    /// job), and among the rest the user served least recently anywhere goes first, then the oldest job.
    public func claim(worker: String, perUser: Int = .max, at date: Date = Date()) async throws -> JobRecord? {
        let lock = store.dialect == .postgres ? " FOR UPDATE OF q SKIP LOCKED" : ""
        let query: SQLQueryString = """
            UPDATE jobs SET status = 'running', attempts = attempts + 1, started_at = \(bind: date), heartbeat_at = \(bind: date),
                claimed_by = \(bind: worker)
            WHERE id = (SELECT q.id FROM jobs q WHERE q.status = 'queued'
                AND (SELECT COUNT(*) FROM jobs r WHERE r.owner_id = q.owner_id AND r.status = 'running'
                     AND r.claimed_by = \(bind: worker)) < \(bind: perUser)
                ORDER BY (SELECT MAX(s.started_at) FROM jobs s WHERE s.owner_id = q.owner_id) NULLS FIRST, q.created_at, q.id
                LIMIT 1\(unsafeRaw: lock))
            RETURNING *
            """
        return try await store.database.raw(query).first(decoding: Row.self)?.record
    }

    /// Records progress and proves the worker is alive. Returns the job's status, so a worker sees a cancel.
    public func progress(id: UUID, done: Int, total: Int, at date: Date = Date()) async throws -> JobStatus? {
        try await store.database.update("jobs").set("progress_done", to: done).set("progress_total", to: total)
            .set("heartbeat_at", to: date).where("id", .equal, id).run()
        return try await find(id: id)?.status
    }

    /// Ends a running job (a canceled job stays canceled).
    public func finish(id: UUID, status: JobStatus, error: String? = nil, at date: Date = Date()) async throws {
        try await store.database.update("jobs").set("status", to: status.rawValue).set("error", to: error)
            .set("finished_at", to: date).where("id", .equal, id).where("status", .equal, JobStatus.running.rawValue).run()
    }

    /// Cancels a queued or running job; returns the job afterwards (nil when unknown).
    public func cancel(id: UUID, at date: Date = Date()) async throws -> JobRecord? {
        try await store.database.update("jobs").set("status", to: JobStatus.canceled.rawValue).set("finished_at", to: date)
            .where("id", .equal, id).where("status", .in, [JobStatus.queued.rawValue, JobStatus.running.rawValue]).run()
        return try await find(id: id)
    }

    /// Puts a running job back in the queue without counting the attempt (a worker that stops for a shutdown
    /// hands its job to the next start).
    public func requeue(id: UUID) async throws {
        try await store.database.update("jobs").set("status", to: JobStatus.queued.rawValue)
            .set(SQLIdentifier("attempts"), to: SQLRaw("CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END"))
            .where("id", .equal, id).where("status", .equal, JobStatus.running.rawValue).run()
    }

    /// Current status of a job (nil when unknown).
    public func status(id: UUID) async throws -> JobStatus? {
        try await store.database.select().column("status").from("jobs").where("id", .equal, id).first()
            .flatMap { try $0.decode(column: "status", as: String.self) }.flatMap(JobStatus.init(rawValue:))
    }

    /// Puts running jobs whose worker stopped beating back in the queue (after a crash or kill -9).
    /// Returns how many were requeued.
    @discardableResult
    public func requeueStale(olderThan cutoff: Date) async throws -> Int {
        try await store.database.update("jobs").set("status", to: JobStatus.queued.rawValue)
            .where("status", .equal, JobStatus.running.rawValue)
            .where { $0.where("heartbeat_at", .lessThan, cutoff).orWhere("heartbeat_at", .is, SQLLiteral.null) }
            .returning("id").all().count
    }

    /// Jobs of a model that have not ended.
    public func active(modelID: UUID) async throws -> [JobRecord] {
        try await store.database.select().columns("*").from("jobs").where("model_id", .equal, modelID)
            .where("status", .in, [JobStatus.queued.rawValue, JobStatus.running.rawValue]).all(decoding: Row.self).map(\.record)
    }
}
