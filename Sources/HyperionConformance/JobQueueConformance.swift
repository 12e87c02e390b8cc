import Foundation
import HyperionCore

/// Opens job queues for ``JobQueueConformance``. Every call of `open` gives a new queue instance over the same
/// storage (a restart, or another instance); storage starts empty for each check. Jobs name knowledge bases and
/// owners that `prepare` makes exist first where the storage needs them (rows that foreign keys point at).
public struct JobQueueHarness: Sendable {
    let open: @Sendable () async throws -> any JobQueue
    let prepare: @Sendable (_ knowledgeBase: UUID, _ owner: UUID) async throws -> Void

    /// A harness over a function that opens the queue anew over one storage.
    public init(open: @escaping @Sendable () async throws -> any JobQueue,
                prepare: @escaping @Sendable (_ knowledgeBase: UUID, _ owner: UUID) async throws -> Void = { _, _ in }) {
        self.open = open
        self.prepare = prepare
    }

    /// Jobs for a new knowledge base owned by new users, created `createdAt` seconds apart in order.
    func jobs(owners: Int, each: Int) async throws -> (knowledgeBase: UUID, owners: [UUID], jobs: [[JobRecord]]) {
        let kb = UUID()
        let users = (0..<owners).map { _ in UUID() }
        for user in users { try await prepare(kb, user) }
        var jobs: [[JobRecord]] = []
        var clock = Date(timeIntervalSince1970: 1_700_000_000)
        for user in users {
            jobs.append((0..<each).map { _ in
                clock += 1
                return JobRecord(kind: .ingest, modelID: kb, ownerID: user, documentIDs: [UUID()], progressTotal: 1, createdAt: clock)
            })
        }
        return (kb, users, jobs)
    }
}

/// What every ``JobQueue`` must do: each job claimed once, in fair order (least recently served user first, then the
/// oldest job), a per-user limit per worker, cancels that stick, hand-backs that do not count an attempt, leases
/// that expire, durability across a restart, and concurrent workers.
public enum JobQueueConformance {
    /// Every check of the suite.
    public static let checks: [ConformanceCheck<JobQueueHarness>] = [
        .init("a claimed job is running, counted and claimed once") { harness in
            let queue = try await harness.open()
            let (kb, _, jobs) = try await harness.jobs(owners: 1, each: 1)
            var job = jobs[0][0]
            job.traceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
            try await queue.enqueue(job)
            let found = try await queue.find(job.id)
            try expectEqual(found?.status, .queued, "status when queued")
            try expectEqual(found?.traceParent, job.traceParent, "the queuing request's traceparent")
            try expectEqual(found?.documentIDs, job.documentIDs, "documents")
            try expectEqual(found?.kind, .ingest, "kind")
            let claimed = try await queue.claim(worker: "w1", perUser: .max)
            try expectEqual(claimed?.id, job.id, "claimed job")
            try expectEqual(claimed?.status, .running, "claimed status")
            try expectEqual(claimed?.attempts, 1, "attempts")
            try expectEqual(claimed?.traceParent, job.traceParent, "the claimed job's traceparent")
            try expect(claimed?.startedAt != nil, "a claimed job has a start time")
            try expect(try await queue.claim(worker: "w2", perUser: .max) == nil, "a second claim got a job")
            try expectEqual(try await queue.active(knowledgeBase: kb).map(\.id), [job.id], "active jobs")
            try expectEqual(try await queue.status(job.id), .running, "status of the claimed job")
            try expectEqual(try await queue.progress(job.id, done: 1, total: 1), .running, "status from progress")
            try await queue.finish(job.id, status: .succeeded, error: nil)
            let finished = try await queue.find(job.id)
            try expectEqual(finished?.status, .succeeded, "status when finished")
            try expectEqual(finished?.progressDone, 1, "progress kept")
            try expect(finished?.finishedAt != nil, "a finished job has an end time")
            try expectEqual(try await queue.active(knowledgeBase: kb).count, 0, "active jobs after the end")
            try expect(try await queue.find(UUID()) == nil, "an unknown job was found")
            try expect(try await queue.status(UUID()) == nil, "an unknown job has a status")
            try expect(try await queue.heartbeat(UUID()) == nil, "an unknown job's heartbeat answered a status")
        },
        .init("the summary counts waiting and running jobs and dates the longest-waiting one") { harness in
            let queue = try await harness.open()
            try expectEqual(try await queue.summary(), JobQueueSummary(queued: 0, running: 0, oldestQueuedAt: nil), "an empty queue")
            let (_, _, jobs) = try await harness.jobs(owners: 1, each: 3)
            for job in jobs[0] { try await queue.enqueue(job) }
            let first = try await queue.claim(worker: "w1", perUser: .max)
            try expectEqual(first?.id, jobs[0][0].id, "the oldest job claimed first")
            let summary = try await queue.summary()
            try expectEqual(summary.queued, 2, "queued")
            try expectEqual(summary.running, 1, "running")
            try expect(abs((summary.oldestQueuedAt ?? .distantPast).timeIntervalSince(jobs[0][1].createdAt)) < 0.01,
                       "oldest queued \(String(describing: summary.oldestQueuedAt)), expected \(jobs[0][1].createdAt)")
            try await queue.finish(jobs[0][0].id, status: .succeeded, error: nil)
            _ = try await queue.cancel(jobs[0][1].id)
            let after = try await queue.summary()
            try expectEqual(after.queued, 1, "queued after a cancel")
            try expectEqual(after.running, 0, "running after the end")
            try expect(abs((after.oldestQueuedAt ?? .distantPast).timeIntervalSince(jobs[0][2].createdAt)) < 0.01, "oldest after a cancel")
        },
        .init("claims go to the least recently served user, then the oldest job") { harness in
            let queue = try await harness.open()
            let (_, _, jobs) = try await harness.jobs(owners: 3, each: 2)
            // Queued oldest first: a1 a2 b1 b2 c1 c2.
            for job in jobs.joined() { try await queue.enqueue(job) }
            var order: [UUID] = []
            while let job = try await queue.claim(worker: "w", perUser: .max) {
                order.append(job.id)
                try await queue.finish(job.id, status: .succeeded, error: nil)
                try await Task.sleep(for: .milliseconds(5))  // distinct start times
            }
            let (a, b, c) = (jobs[0], jobs[1], jobs[2])
            try expectEqual(order, [a[0].id, b[0].id, c[0].id, a[1].id, b[1].id, c[1].id], "claim order")
        },
        .init("a user at the per-worker limit waits while others are served; other workers may take the user's next job") { harness in
            let queue = try await harness.open()
            let (_, _, jobs) = try await harness.jobs(owners: 2, each: 2)
            for job in jobs.joined() { try await queue.enqueue(job) }
            let (a, b) = (jobs[0], jobs[1])
            try expectEqual(try await queue.claim(worker: "w", perUser: 1)?.id, a[0].id, "first claim")
            try await Task.sleep(for: .milliseconds(5))
            try expectEqual(try await queue.claim(worker: "w", perUser: 1)?.id, b[0].id, "second claim: the other user")
            try expect(try await queue.claim(worker: "w", perUser: 1) == nil, "a third claim on the same worker got a job")
            try expectEqual(try await queue.claim(worker: "other", perUser: 1)?.id, a[1].id, "another worker takes the next job")
            try await queue.finish(b[0].id, status: .succeeded, error: nil)
            try expectEqual(try await queue.claim(worker: "w", perUser: 1)?.id, b[1].id, "after b's job ended")
        },
        .init("a cancel sticks and a worker sees it") { harness in
            let queue = try await harness.open()
            let (kb, _, jobs) = try await harness.jobs(owners: 1, each: 3)
            for job in jobs[0] { try await queue.enqueue(job) }
            let running = try await queue.claim(worker: "w", perUser: .max)
            try expectEqual(running?.id, jobs[0][0].id, "claimed")
            try expectEqual(try await queue.cancel(jobs[0][0].id)?.status, .canceled, "cancel of a running job")
            try expectEqual(try await queue.status(jobs[0][0].id), .canceled, "the worker's status check sees the cancel")
            try expectEqual(try await queue.heartbeat(jobs[0][0].id), .canceled, "the worker's heartbeat sees the cancel")
            try expectEqual(try await queue.progress(jobs[0][0].id, done: 1, total: 3), .canceled, "progress sees the cancel")
            try await queue.finish(jobs[0][0].id, status: .succeeded, error: nil)
            try expectEqual(try await queue.find(jobs[0][0].id)?.status, .canceled, "finish after a cancel")
            try expectEqual(try await queue.cancel(jobs[0][1].id)?.status, .canceled, "cancel of a queued job")
            try expectEqual(try await queue.claim(worker: "w", perUser: .max)?.id, jobs[0][2].id, "a canceled queued job is skipped")
            try await queue.finish(jobs[0][2].id, status: .failed, error: "broken")
            let failed = try await queue.cancel(jobs[0][2].id)
            try expectEqual(failed?.status, .failed, "cancel of a finished job changes nothing")
            try expectEqual(failed?.error, "broken", "its error")
            try expect(try await queue.cancel(UUID()) == nil, "cancel of an unknown job")
            try expectEqual(try await queue.active(knowledgeBase: kb).count, 0, "active jobs")
        },
        .init("a job handed back is queued again without counting the attempt") { harness in
            let queue = try await harness.open()
            let (_, _, jobs) = try await harness.jobs(owners: 1, each: 1)
            try await queue.enqueue(jobs[0][0])
            _ = try await queue.claim(worker: "w", perUser: .max)
            try await queue.requeue(jobs[0][0].id)
            try expectEqual(try await queue.find(jobs[0][0].id)?.status, .queued, "status after the hand-back")
            let again = try await queue.claim(worker: "w2", perUser: .max)
            try expectEqual(again?.id, jobs[0][0].id, "claimed again")
            try expectEqual(again?.attempts, 1, "attempts after a hand-back")
        },
        .init("a job whose lease ran out goes back to the queue; a live one stays") { harness in
            let queue = try await harness.open()
            let (_, _, jobs) = try await harness.jobs(owners: 2, each: 1)
            for job in jobs.joined() { try await queue.enqueue(job) }
            let first = try await queue.claim(worker: "dies", perUser: .max)
            let second = try await queue.claim(worker: "lives", perUser: .max)
            try expect(first != nil && second != nil, "two claims")
            // Generous margins: a loaded machine may take a while between the heartbeat and the check.
            try await Task.sleep(for: .milliseconds(3500))
            _ = try await queue.heartbeat(second!.id)
            try expectEqual(try await queue.requeueOrphans(lease: .seconds(3), atStart: false), 1, "jobs requeued")
            try expectEqual(try await queue.find(first!.id)?.status, .queued, "the job without a heartbeat")
            try expectEqual(try await queue.find(second!.id)?.status, .running, "the job with a heartbeat")
            let retried = try await queue.claim(worker: "next", perUser: .max)
            try expectEqual(retried?.id, first!.id, "the orphan is claimed again")
            try expectEqual(retried?.attempts, 2, "a lost lease counts as an attempt")
            try expectEqual(try await queue.requeueOrphans(lease: .seconds(3600), atStart: false), 0, "nothing is stale with a long lease")
        },
        .init("jobs survive a restart") { harness in
            let queue = try await harness.open()
            let (kb, _, jobs) = try await harness.jobs(owners: 1, each: 2)
            for job in jobs[0] { try await queue.enqueue(job) }
            _ = try await queue.claim(worker: "w", perUser: .max)
            _ = try await queue.progress(jobs[0][0].id, done: 1, total: 4)
            let reopened = try await harness.open()
            let running = try await reopened.find(jobs[0][0].id)
            try expectEqual(running?.status, .running, "the running job")
            try expectEqual(running?.progressDone, 1, "its progress")
            try expectEqual(running?.progressTotal, 4, "its total")
            try expectEqual(try await reopened.find(jobs[0][1].id)?.status, .queued, "the queued job")
            try expectEqual(Set(try await reopened.active(knowledgeBase: kb).map(\.id)), Set(jobs[0].map(\.id)), "active jobs")
            try expectEqual(try await reopened.claim(worker: "w2", perUser: .max)?.id, jobs[0][1].id, "claimed after the restart")
        },
        .init("concurrent workers claim every job exactly once") { harness in
            let queue = try await harness.open()
            let (_, _, jobs) = try await harness.jobs(owners: 4, each: 10)
            for job in jobs.joined() { try await queue.enqueue(job) }
            let claimed = try await withThrowingTaskGroup(of: [UUID].self) { group in
                for worker in 0..<6 {
                    group.addTask {
                        let queue = try await harness.open()
                        var mine: [UUID] = []
                        while let job = try await queue.claim(worker: "w\(worker)", perUser: .max) {
                            mine.append(job.id)
                            try await queue.finish(job.id, status: .succeeded, error: nil)
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            try expectEqual(claimed.count, 40, "claims")
            try expectEqual(Set(claimed), Set(jobs.joined().map(\.id)), "jobs claimed")
        },
    ]
}
