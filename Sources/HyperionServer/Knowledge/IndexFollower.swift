import Foundation
import HyperionCore
import HyperionIndex
import HyperionStorage
import Logging
import ServiceLifecycle
import Synchronization

/// How far this instance's in-process indexes have applied the change log: a shared query cache stores a result
/// only when it reflects the position it is keyed by.
final class FollowerPosition: Sendable {
    private let value: Atomic<Int64>
    init(_ start: Int64) { value = Atomic(start) }
    var applied: Int64 { value.load(ordering: .acquiring) }
    func advance(to position: Int64) { value.store(position, ordering: .releasing) }
}

/// Keeps this instance's in-process indexes in step with what other instances (or `hyperion ingest`) write to the
/// shared store: it follows the store's index change log and applies each change made elsewhere to the generations
/// this instance has in memory. A document ingested through another instance is searchable here within about one
/// polling interval; deletions need no wait (a search drops hits whose chunk the store no longer has) but are
/// applied too, so the memory is freed.
struct IndexFollower: Service {
    let store: Store
    let catalog: LocalIndexCatalog
    let dimension: Int
    /// The log's end when the application was built, before this process loaded any generation: every change
    /// after it is applied, and every one before it is in the store a generation loads from.
    let start: Int64
    /// Published after each batch.
    var position: FollowerPosition? = nil
    let logger: Logger
    /// How often the log is read.
    var interval: Duration = .milliseconds(200)
    /// How long a hole in the numbering may stay open before it is taken for a rolled-back transaction (a sequence
    /// number is taken at insert time, so a later change can commit before an earlier one).
    var gapPatience: Duration = .seconds(5)
    /// How long changes are kept in the log.
    var retention: TimeInterval = 3600

    func run() async throws {
        try? await cancelWhenGracefulShutdown { try await follow() }
    }

    private func follow() async throws {
        var last = start
        var gapSince: ContinuousClock.Instant?
        var lastPrune = ContinuousClock.now
        var failing = false
        while !Task.isCancelled {
            try await Task.sleep(for: interval)
            do {
                var current = last
                changes: for change in try await store.indexChanges.after(last, limit: 500) {
                    if change.seq != current + 1 {
                        let since = gapSince ?? .now
                        gapSince = since
                        if ContinuousClock.now - since < gapPatience { break changes }
                        logger.notice("index change log: a gap did not fill; reloading in-memory indexes from the store",
                                      metadata: ["after": "\(current)", "next": "\(change.seq)"])
                        await catalog.forgetOpen()
                    }
                    gapSince = nil
                    if change.origin != store.origin { try await apply(change) }
                    current = change.seq
                }
                last = current
                position?.advance(to: current)
                if failing { logger.notice("following the index change log again") }
                failing = false
                if ContinuousClock.now - lastPrune > .seconds(600) {
                    lastPrune = .now
                    try await store.indexChanges.prune(before: Date().addingTimeInterval(-retention))
                }
            } catch is CancellationError {
                return
            } catch {
                if !failing { logger.warning("cannot read the index change log; retrying", metadata: ["error": "\(error)"]) }
                failing = true
            }
        }
    }

    private func apply(_ change: IndexChange) async throws {
        switch change.kind {
        case .remove:
            await catalog.removeFromOpen(documentID: change.documentID.uuidString, knowledgeBase: change.knowledgeBase)
        case .upsert:
            guard let number = change.generation else { return }
            let generation = IndexGeneration(knowledgeBase: change.knowledgeBase, number: number)
            guard await catalog.isOpen(generation) else { return }
            // As the store has it now: a document deleted since yields no chunks, and so leaves the index.
            let chunks = try await store.documents.chunks(documentID: change.documentID, generation: number)
            let documents = try await store.documents.find(ids: [change.documentID])
            let entries = documents.isEmpty ? IndexEntries()
                : IndexEntries(chunks: chunks, documents: Dictionary(uniqueKeysWithValues: documents.map { ($0.id, $0) }), dimension: dimension)
            try await catalog.replace(documentID: change.documentID.uuidString, with: entries, in: generation)
        }
    }
}

/// Runs the follower when there is one (an outside vector store keeps nothing in process to follow).
struct IndexFollowerService: Service {
    let follower: IndexFollower?

    func run() async throws {
        if let follower { try await follower.run() } else { try? await gracefulShutdown() }
    }
}
