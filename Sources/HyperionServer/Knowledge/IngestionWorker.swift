import CKernels
import Foundation
import HyperionCore
import Logging
import ServiceLifecycle
import Tracing

/// Runs queued jobs through the ``IngestionPipeline`` on `concurrency` lanes. Jobs survive restarts: a job whose
/// worker died (its lease ran out) is queued again, and re-running a document replaces its chunks.
struct IngestionWorker: Service {
    let jobs: any JobQueue
    let pipeline: IngestionPipeline
    let signal: JobSignal
    let concurrency: Int
    /// A running job whose lease was not renewed for this long is taken to be orphaned.
    let lease: Duration
    /// Jobs of one user running at once on this worker.
    let perUser: Int
    /// Traces jobs (each its own trace, kept at the sample ratio), when tracing is on.
    let tracing: TraceRecorder?
    let logger: Logger
    let workerID = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"

    func run() async throws {
        let requeued = try await jobs.requeueOrphans(lease: lease, atStart: true)
        if requeued > 0 { logger.notice("requeued interrupted jobs", metadata: ["count": "\(requeued)"]) }
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<max(1, concurrency) { group.addTask { await loop() } }
            }
        } onGracefulShutdown: {
            signal.notify()  // idle lanes see the shutdown now, not at their next poll
        }
    }

    private func loop() async {
        var lastOrphanCheck = ContinuousClock.now
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let seen = signal.generation
            do {
                if ContinuousClock.now - lastOrphanCheck > lease {
                    lastOrphanCheck = ContinuousClock.now
                    try await jobs.requeueOrphans(lease: lease, atStart: false)
                }
                if let job = try await jobs.claim(worker: workerID, perUser: perUser) {
                    // The lease is renewed while the job runs, also through a step that takes long (a big PDF's
                    // extraction): only a dead worker's job is ever taken for an orphan.
                    let renewal = Task { [jobs, lease] in
                        while !Task.isCancelled {
                            try? await Task.sleep(for: lease / 3)
                            _ = try? await jobs.heartbeat(job.id)
                        }
                    }
                    if let tracing, tracing.samplesNewTrace() {
                        await ServiceContext.$current.withValue(tracing.bound(to: .topLevel)) { await pipeline.run(job) }
                    } else {
                        await pipeline.run(job)
                    }
                    renewal.cancel()
                    // A big document's text, chunks and vectors are freed by now, but glibc keeps freed heap in its
                    // arenas: without this a server that once ingested 100,000 chunks stayed ~1 GB resident.
                    hyp_release_free_heap()
                    continue
                }
            } catch {
                logger.error("job queue unavailable", metadata: ["error": "\(error)"])
            }
            await signal.wait(since: seen, timeout: .seconds(1))
        }
    }
}
