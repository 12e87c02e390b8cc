import Foundation

/// Runs embedding work on one dedicated thread, in slices, with a priority lane for queries.
///
/// A large document batch is cut into slices of `sliceSize` texts; between two slices the worker
/// first serves any waiting query job, so a query waits for at most one slice, never for a whole
/// ingestion batch. The worker is a plain thread (not the Swift concurrency pool, which blocking
/// numeric work would starve); it waits up to `idleTimeout` for more work before it exits, so a stream of
/// queries does not pay for a new thread each.
final class EmbeddingScheduler: @unchecked Sendable {
    // All mutable state below is guarded by `lock`, except a job's `results`, touched only by the single worker.
    private let lock = NSCondition()
    private static let idleTimeout: TimeInterval = 2
    private var queryLane: [Job] = []
    private var documentLane: [Job] = []
    private var workerRunning = false
    private let sliceSize: Int
    private let work: @Sendable ([String]) -> [[Float]]
    private let idle: @Sendable () -> Void

    /// `idle` runs on the worker thread when it stops for lack of work (to free scratch memory).
    init(sliceSize: Int, work: @escaping @Sendable ([String]) -> [[Float]], idle: @escaping @Sendable () -> Void = {}) {
        self.sliceSize = Swift.max(1, sliceSize)
        self.work = work
        self.idle = idle
    }

    private final class Job: @unchecked Sendable {
        let texts: [String]
        var next = 0
        var results: [[Float]] = []
        var cancelled = false
        var continuation: CheckedContinuation<[[Float]], any Error>?

        init(texts: [String]) {
            self.texts = texts
            results.reserveCapacity(texts.count)
        }
    }

    /// Embeds `texts` in order; `.query` jobs overtake `.document` jobs at the next slice boundary.
    func submit(_ texts: [String], priority: Bool) async throws -> [[Float]] {
        if texts.isEmpty { return [] }
        let job = Job(texts: texts)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[[Float]], any Error>) in
                lock.lock()
                job.continuation = continuation
                if priority { queryLane.append(job) } else { documentLane.append(job) }
                let startWorker = !workerRunning
                workerRunning = true
                lock.signal()
                lock.unlock()
                if startWorker {
                    let thread = Thread { [self] in runWorker() }
                    thread.name = "hyperion-embedding"
                    thread.start()
                }
            }
        } onCancel: {
            lock.lock()
            job.cancelled = true
            lock.unlock()
        }
    }

    private func runWorker() {
        while true {
            lock.lock()
            if queryLane.isEmpty && documentLane.isEmpty {
                let deadline = Date(timeIntervalSinceNow: Self.idleTimeout)
                while queryLane.isEmpty && documentLane.isEmpty && lock.wait(until: deadline) {}
            }
            let lane = queryLane.isEmpty ? 1 : 0
            guard let job = lane == 0 ? queryLane.first : documentLane.first else {
                // Trimmed under the lock so a new worker cannot start until it is done.
                idle()
                workerRunning = false
                lock.unlock()
                return
            }
            if job.cancelled {
                removeFirst(lane: lane)
                lock.unlock()
                job.continuation?.resume(throwing: CancellationError())
                continue
            }
            let start = job.next
            let end = Swift.min(start + sliceSize, job.texts.count)
            job.next = end
            let finished = end == job.texts.count
            if finished { removeFirst(lane: lane) }
            lock.unlock()

            job.results.append(contentsOf: work(Array(job.texts[start..<end])))
            if finished { job.continuation?.resume(returning: job.results) }
        }
    }

    private func removeFirst(lane: Int) {
        if lane == 0 { queryLane.removeFirst() } else { documentLane.removeFirst() }
    }
}
