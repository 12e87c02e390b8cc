import Foundation
import Synchronization

/// The durable queue of background jobs (ingestion, training).
///
/// A worker claims a job, which leases it: the worker renews the lease with ``heartbeat(_:)`` (or ``progress(_:done:total:)``)
/// while the job runs, and a job whose lease ran out (its worker died) goes back to the queue through
/// ``requeueOrphans(lease:atStart:)``. The embedded default is the `jobs` table of the store (SQLite, or PostgreSQL
/// with `FOR UPDATE SKIP LOCKED` so several instances share it); `JobQueueConformance` (HyperionConformance) is what
/// proves an implementation right.
public protocol JobQueue: Sendable {
    /// Queues a job.
    func enqueue(_ job: JobRecord) async throws
    /// The job, or nil when unknown.
    func find(_ id: UUID) async throws -> JobRecord?
    /// Takes a queued job for `worker`, marking it running and counting the attempt; nil when none may start.
    /// Fair between users: a user with `perUser` jobs running on this worker gets no other here until one ends, and
    /// among the rest the user served least recently goes first, then the oldest job.
    func claim(worker: String, perUser: Int) async throws -> JobRecord?
    /// The job's status (nil when unknown), so a worker sees a cancel; reads only.
    func status(_ id: UUID) async throws -> JobStatus?
    /// Renews the lease and returns the job's status.
    func heartbeat(_ id: UUID) async throws -> JobStatus?
    /// Records progress (renewing the lease) and returns the job's status.
    func progress(_ id: UUID, done: Int, total: Int) async throws -> JobStatus?
    /// Ends a running job; a job canceled meanwhile stays canceled.
    func finish(_ id: UUID, status: JobStatus, error: String?) async throws
    /// Cancels a queued or running job; returns the job afterwards (nil when unknown). A finished job is unchanged.
    func cancel(_ id: UUID) async throws -> JobRecord?
    /// Hands a running job back to the queue without counting the attempt (a worker stopping for a shutdown).
    func requeue(_ id: UUID) async throws
    /// Puts running jobs whose lease ran out (no heartbeat for `lease`) back in the queue; returns how many. At start
    /// (`atStart`), a queue that no other process shares knows every running job is orphaned and requeues them all.
    @discardableResult
    func requeueOrphans(lease: Duration, atStart: Bool) async throws -> Int
    /// Jobs of a knowledge base that have not ended, oldest first.
    func active(knowledgeBase: UUID) async throws -> [JobRecord]
    /// How many jobs wait and run, over every knowledge base, and when the longest-waiting one was queued.
    func summary() async throws -> JobQueueSummary
}

/// The queue's depth at one moment: what `/metrics` and `/api/v1/stats` show.
public struct JobQueueSummary: Sendable, Equatable {
    /// Jobs waiting for a worker.
    public var queued: Int
    /// Jobs a worker holds.
    public var running: Int
    /// When the longest-waiting queued job was queued; nil when none waits.
    public var oldestQueuedAt: Date?

    /// Creates a summary.
    public init(queued: Int, running: Int, oldestQueuedAt: Date?) {
        self.queued = queued
        self.running = running
        self.oldestQueuedAt = oldestQueuedAt
    }
}

/// The in-memory twin of the job queue, for tests: one process's queue, lost when it ends. Queues made over one
/// ``Shelf`` share their jobs, which stands in for a restart.
public final class InMemoryJobQueue: JobQueue {
    /// Where the jobs live.
    public final class Shelf: Sendable {
        fileprivate let state = Mutex<State>(State())

        /// Creates an empty shelf.
        public init() {}
    }

    fileprivate struct State {
        var jobs: [UUID: JobRecord] = [:]
        var heartbeats: [UUID: Date] = [:]
        var claimedBy: [UUID: String] = [:]
    }

    private let shelf: Shelf

    /// Creates a queue over `shelf` (a new one by default).
    public init(shelf: Shelf = Shelf()) {
        self.shelf = shelf
    }

    public func enqueue(_ job: JobRecord) async throws {
        shelf.state.withLock { $0.jobs[job.id] = job }
    }

    public func find(_ id: UUID) async throws -> JobRecord? {
        shelf.state.withLock { $0.jobs[id] }
    }

    public func claim(worker: String, perUser: Int) async throws -> JobRecord? {
        let now = Date()
        return shelf.state.withLock { state in
            let running = state.jobs.values.filter { $0.status == .running }
            let candidates = state.jobs.values.filter { job in
                job.status == .queued && running.count { $0.ownerID == job.ownerID && state.claimedBy[$0.id] == worker } < perUser
            }
            func lastServed(_ owner: UUID) -> Date? { state.jobs.values.filter { $0.ownerID == owner }.compactMap(\.startedAt).max() }
            let next = candidates.min { a, b in
                let (x, y) = (lastServed(a.ownerID), lastServed(b.ownerID))
                if x != y { return x == nil || (y != nil && x! < y!) }
                return a.createdAt != b.createdAt ? a.createdAt < b.createdAt : a.id.uuidString < b.id.uuidString
            }
            guard var job = next else { return nil }
            job.status = .running
            job.attempts += 1
            job.startedAt = now
            state.jobs[job.id] = job
            state.heartbeats[job.id] = now
            state.claimedBy[job.id] = worker
            return job
        }
    }

    public func status(_ id: UUID) async throws -> JobStatus? {
        shelf.state.withLock { $0.jobs[id]?.status }
    }

    public func heartbeat(_ id: UUID) async throws -> JobStatus? {
        shelf.state.withLock { state in
            guard let job = state.jobs[id] else { return nil }
            state.heartbeats[id] = Date()
            return job.status
        }
    }

    public func progress(_ id: UUID, done: Int, total: Int) async throws -> JobStatus? {
        shelf.state.withLock { state in
            guard state.jobs[id] != nil else { return nil }
            state.jobs[id]!.progressDone = done
            state.jobs[id]!.progressTotal = total
            state.heartbeats[id] = Date()
            return state.jobs[id]!.status
        }
    }

    public func finish(_ id: UUID, status: JobStatus, error: String?) async throws {
        shelf.state.withLock { state in
            guard state.jobs[id]?.status == .running else { return }
            state.jobs[id]!.status = status
            state.jobs[id]!.error = error
            state.jobs[id]!.finishedAt = Date()
        }
    }

    public func cancel(_ id: UUID) async throws -> JobRecord? {
        shelf.state.withLock { state in
            if let job = state.jobs[id], !job.status.isFinal {
                state.jobs[id]!.status = .canceled
                state.jobs[id]!.finishedAt = Date()
            }
            return state.jobs[id]
        }
    }

    public func requeue(_ id: UUID) async throws {
        shelf.state.withLock { state in
            guard state.jobs[id]?.status == .running else { return }
            state.jobs[id]!.status = .queued
            state.jobs[id]!.attempts = max(0, state.jobs[id]!.attempts - 1)
        }
    }

    public func requeueOrphans(lease: Duration, atStart: Bool) async throws -> Int {
        let cutoff = atStart ? Date.distantFuture : Date().addingTimeInterval(-lease.seconds)
        return shelf.state.withLock { state in
            var count = 0
            for (id, job) in state.jobs where job.status == .running && state.heartbeats[id, default: .distantPast] < cutoff {
                state.jobs[id]!.status = .queued
                count += 1
            }
            return count
        }
    }

    public func summary() async throws -> JobQueueSummary {
        shelf.state.withLock { state in
            let queued = state.jobs.values.filter { $0.status == .queued }
            return JobQueueSummary(queued: queued.count, running: state.jobs.values.filter { $0.status == .running }.count,
                                   oldestQueuedAt: queued.map(\.createdAt).min())
        }
    }

    public func active(knowledgeBase: UUID) async throws -> [JobRecord] {
        shelf.state.withLock { state in
            state.jobs.values.filter { $0.modelID == knowledgeBase && !$0.status.isFinal }.sorted { $0.createdAt < $1.createdAt }
        }
    }
}
