import Foundation
import HyperionCore
import SQLKit

/// The durable job queue in the store's `jobs` table. Workers claim queued jobs one at a time; on PostgreSQL the claim
/// uses `FOR UPDATE SKIP LOCKED`, so several server processes share one queue and each job runs once. The dialect
/// stays in here: callers see only ``JobQueue``.
public struct SQLJobQueue: JobQueue {
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
        var trace_parent: String?

        init(_ j: JobRecord) {
            id = j.id; kind = j.kind.rawValue; model_id = j.modelID; owner_id = j.ownerID
            document_ids = JSONText.encode(j.documentIDs); status = j.status.rawValue; progress_done = j.progressDone
            progress_total = j.progressTotal; error = j.error; attempts = j.attempts; created_at = j.createdAt
            started_at = j.startedAt; finished_at = j.finishedAt; trace_parent = j.traceParent
        }

        var record: JobRecord {
            JobRecord(id: id, kind: JobKind(rawValue: kind) ?? .ingest, modelID: model_id, ownerID: owner_id,
                      documentIDs: JSONText.decode(document_ids) ?? [], status: JobStatus(rawValue: status) ?? .failed,
                      progressDone: progress_done, progressTotal: progress_total, error: error, attempts: attempts,
                      createdAt: created_at, startedAt: started_at, finishedAt: finished_at, traceParent: trace_parent)
        }
    }

    public func enqueue(_ job: JobRecord) async throws {
        try await store.database.insert(into: "jobs").model(Row(job)).run()
    }

    public func find(_ id: UUID) async throws -> JobRecord? {
        try await store.database.select().columns("*").from("jobs").where("id", .equal, id).first(decoding: Row.self)?.record
    }

    public func claim(worker: String, perUser: Int) async throws -> JobRecord? {
        try await claim(worker: worker, perUser: perUser, at: Date())
    }

    /// ``claim(worker:perUser:)`` at a given time (tests order claims with it).
    public func claim(worker: String, perUser: Int = .max, at date: Date) async throws -> JobRecord? {
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

    public func heartbeat(_ id: UUID) async throws -> JobStatus? {
        try await statusAfter(store.database.update("jobs").set("heartbeat_at", to: Date()).where("id", .equal, id))
    }

    public func progress(_ id: UUID, done: Int, total: Int) async throws -> JobStatus? {
        try await statusAfter(store.database.update("jobs").set("progress_done", to: done).set("progress_total", to: total)
            .set("heartbeat_at", to: Date()).where("id", .equal, id))
    }

    /// Runs an update of one job and returns its status in the same statement.
    private func statusAfter(_ update: SQLUpdateBuilder) async throws -> JobStatus? {
        try await update.returning("status").first().flatMap { try $0.decode(column: "status", as: String.self) }.flatMap(JobStatus.init(rawValue:))
    }

    public func finish(_ id: UUID, status: JobStatus, error: String?) async throws {
        try await store.database.update("jobs").set("status", to: status.rawValue).set("error", to: error)
            .set("finished_at", to: Date()).where("id", .equal, id).where("status", .equal, JobStatus.running.rawValue).run()
    }

    public func cancel(_ id: UUID) async throws -> JobRecord? {
        try await store.database.update("jobs").set("status", to: JobStatus.canceled.rawValue).set("finished_at", to: Date())
            .where("id", .equal, id).where("status", .in, [JobStatus.queued.rawValue, JobStatus.running.rawValue]).run()
        return try await find(id)
    }

    public func requeue(_ id: UUID) async throws {
        try await store.database.update("jobs").set("status", to: JobStatus.queued.rawValue)
            .set(SQLIdentifier("attempts"), to: SQLRaw("CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END"))
            .where("id", .equal, id).where("status", .equal, JobStatus.running.rawValue).run()
    }

    public func status(_ id: UUID) async throws -> JobStatus? {
        try await store.database.select().column("status").from("jobs").where("id", .equal, id).first()
            .flatMap { try $0.decode(column: "status", as: String.self) }.flatMap(JobStatus.init(rawValue:))
    }

    /// On SQLite only this process uses the queue, so at start every running job is orphaned; on PostgreSQL other
    /// instances may be running theirs, so only expired leases count.
    @discardableResult
    public func requeueOrphans(lease: Duration, atStart: Bool) async throws -> Int {
        let cutoff = atStart && store.dialect == .sqlite ? Date.distantFuture : Date().addingTimeInterval(-lease.seconds)
        return try await store.database.update("jobs").set("status", to: JobStatus.queued.rawValue)
            .where("status", .equal, JobStatus.running.rawValue)
            .where { $0.where("heartbeat_at", .lessThan, cutoff).orWhere("heartbeat_at", .is, SQLLiteral.null) }
            .returning("id").all().count
    }

    public func summary() async throws -> JobQueueSummary {
        struct Count: Decodable { var status: String; var n: Int }
        struct Oldest: Decodable { var created_at: Date }
        let counts = try await store.database.select().column("status").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
            .from("jobs").where("status", .in, [JobStatus.queued.rawValue, JobStatus.running.rawValue]).groupBy("status")
            .all(decoding: Count.self)
        let oldest = try await store.database.select().column("created_at").from("jobs").where("status", .equal, JobStatus.queued.rawValue)
            .orderBy("created_at").limit(1).first(decoding: Oldest.self)
        let by = Dictionary(uniqueKeysWithValues: counts.map { ($0.status, $0.n) })
        return JobQueueSummary(queued: by[JobStatus.queued.rawValue] ?? 0, running: by[JobStatus.running.rawValue] ?? 0,
                               oldestQueuedAt: oldest?.created_at)
    }

    public func active(knowledgeBase: UUID) async throws -> [JobRecord] {
        try await store.database.select().columns("*").from("jobs").where("model_id", .equal, knowledgeBase)
            .where("status", .in, [JobStatus.queued.rawValue, JobStatus.running.rawValue])
            .orderBy("created_at").all(decoding: Row.self).map(\.record)
    }
}
