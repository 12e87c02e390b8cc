import CKernels
import Foundation
import HyperionCore
import HyperionExtract
import HyperionStorage
import Logging
import ServiceLifecycle

/// Runs queued jobs from the store: extract, chunk, embed, index. Jobs survive restarts: a job whose worker
/// died (no heartbeat) is queued again, and re-running a document replaces its chunks instead of adding more.
struct IngestionWorker: Service {
    let service: KnowledgeService
    let concurrency: Int
    /// Running jobs whose heartbeat is older than this are taken to be orphaned.
    let staleAfter: Duration
    let logger: Logger
    /// A job started more often than this (its worker kept dying) is given up as failed.
    var maxAttempts = 3
    /// Jobs of one user running at once.
    var perUser = Int.max
    /// Chunks one document may make; 0 = unlimited.
    var maxChunksPerDocument = 0
    let workerID = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"

    var store: Store { service.store }

    func run() async throws {
        // On SQLite only this process can have been running jobs, so every running job is orphaned.
        let cutoff = store.dialect == .sqlite ? Date.distantFuture : Date().addingTimeInterval(-Double(staleAfter.components.seconds))
        let requeued = try await store.jobs.requeueStale(olderThan: cutoff)
        if requeued > 0 { logger.notice("requeued interrupted jobs", metadata: ["count": "\(requeued)"]) }
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                for lane in 0..<max(1, concurrency) { group.addTask { await loop(lane: lane) } }
            }
        } onGracefulShutdown: {
            service.jobSignal.notify()  // idle lanes see the shutdown now, not at their next poll
        }
    }

    private func loop(lane: Int) async {
        var lastStaleCheck = ContinuousClock.now
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let seen = service.jobSignal.generation
            do {
                if store.dialect == .postgres, ContinuousClock.now - lastStaleCheck > staleAfter {
                    lastStaleCheck = ContinuousClock.now
                    try await store.jobs.requeueStale(olderThan: Date().addingTimeInterval(-Double(staleAfter.components.seconds)))
                }
                if let job = try await store.jobs.claim(worker: workerID, perUser: perUser) {
                    await process(job)
                    // A big document's text, chunks and vectors are freed by now, but glibc keeps freed heap in its
                    // arenas: without this a server that once ingested 100,000 chunks stayed ~1 GB resident.
                    hyp_release_free_heap()
                    continue
                }
            } catch {
                logger.error("job queue unavailable", metadata: ["error": "\(error)"])
            }
            await service.jobSignal.wait(since: seen, timeout: .seconds(1))
        }
    }

    /// Why a job stopped before its end.
    enum Stop: Error {
        /// Its owner or an admin canceled it.
        case canceled
        /// The server is shutting down: the job goes back to the queue for the next start.
        case shutdown
    }

    /// Throws ``Stop`` when the job was canceled or the server is stopping: called between the steps of every
    /// document, so neither a cancel nor SIGTERM waits for a long document to finish.
    func checkpoint(_ job: JobRecord) async throws {
        if Task.isCancelled || Task.isShuttingDownGracefully { throw Stop.shutdown }
        if try await store.jobs.status(id: job.id) == .canceled { throw Stop.canceled }
    }

    /// Runs one job to its end; failures are recorded on the job and its documents, never thrown. Whatever way
    /// it ends, none of its documents is left queued or processing, except at shutdown, when the job and its
    /// current document are queued again for the next start.
    func process(_ job: JobRecord) async {
        var logger = logger
        logger[metadataKey: "job_id"] = "\(job.id.lowercasedString)"
        logger[metadataKey: "model_id"] = "\(job.modelID.lowercasedString)"
        do {
            guard job.attempts <= maxAttempts else {
                let reason = "processing was interrupted \(job.attempts - 1) times (the server stopped while working on it); giving up"
                try await store.documents.failUnfinished(ids: job.documentIDs, error: reason)
                try await store.jobs.finish(id: job.id, status: .failed, error: reason)
                if job.kind == .train { try await store.models.setStatus(id: job.modelID, .needsTraining) }
                logger.warning("job given up", metadata: ["attempts": "\(job.attempts)"])
                return
            }
            guard let model = try await store.models.find(id: job.modelID) else {
                try await store.jobs.finish(id: job.id, status: .failed, error: "the RAG model was deleted")
                return
            }
            // Training writes the next generation; ingestion the live one (read again per document, so a
            // generation switch during a long upload is followed).
            let target: Int? = job.kind == .train ? model.generation + 1 : nil
            var documents = job.documentIDs
            var done = 0
            var failed = 0
            do {
                while true {
                    for documentID in documents {
                        try await checkpoint(job)
                        _ = try await store.jobs.progress(id: job.id, done: done, total: max(job.documentIDs.count, done + 1))
                        guard let current = try await store.models.find(id: model.id) else {
                            try await store.jobs.finish(id: job.id, status: .failed, error: "the RAG model was deleted")
                            return
                        }
                        if try await !ingest(documentID: documentID, job: job, model: current, generation: target ?? current.generation, logger: logger) {
                            failed += 1
                        }
                        done += 1
                    }
                    // Documents that became ready elsewhere while training ran must not be lost at the switch.
                    guard let target else { break }
                    documents = try await store.documents.missing(modelID: model.id, generation: target)
                    if documents.isEmpty { break }
                }
            } catch Stop.canceled {
                if job.kind == .train {
                    try await store.models.setStatus(id: model.id, .needsTraining)
                    await service.registry.drop(model: model.id, generation: model.generation + 1)
                } else {
                    try await store.documents.failUnfinished(ids: job.documentIDs, error: "ingestion was canceled; upload the file again to retry")
                    try await service.registry.save(model: model.id, generation: model.generation)
                }
                logger.info("job canceled")
                return
            } catch Stop.shutdown {
                if job.kind == .ingest {
                    try await service.registry.save(model: model.id, generation: model.generation)
                    try await store.documents.requeueProcessing(ids: job.documentIDs)
                }
                try await store.jobs.requeue(id: job.id)
                logger.notice("job handed back to the queue at shutdown", metadata: ["documents_done": "\(done)"])
                return
            }
            _ = try await store.jobs.progress(id: job.id, done: done, total: done)
            if let target {
                try await service.registry.save(model: model.id, generation: target)
                try await store.documents.switchGeneration(modelID: model.id, to: target)
                await service.registry.drop(model: model.id, generation: model.generation)
            } else {
                try await service.registry.save(model: model.id, generation: (try await store.models.find(id: model.id))?.generation ?? model.generation)
            }
            let error = failed > 0 ? "\(failed) of \(done) documents failed; see each document's error" : nil
            try await store.jobs.finish(id: job.id, status: failed == done && done > 0 ? .failed : .succeeded, error: error)
            logger.info("job finished", metadata: ["kind": "\(job.kind.rawValue)", "documents": "\(done)", "failed": "\(failed)"])
        } catch {
            logger.error("job failed", metadata: ["error": "\(error)"])
            if job.kind == .train { try? await store.models.setStatus(id: job.modelID, .needsTraining) }
            try? await store.documents.failUnfinished(ids: job.documentIDs, error: "internal error while processing the job; upload the file again to retry")
            try? await store.jobs.finish(id: job.id, status: .failed, error: "internal error while processing the job")
        }
    }

    /// Ingests one document; returns false when the document failed (its error is recorded on it). A failure of
    /// this document alone (a file the extractor refuses, text the database refuses) never fails the others.
    /// Throws ``Stop`` from its checkpoints, and what the store throws when it cannot record anything.
    func ingest(documentID: UUID, job: JobRecord, model: RAGModel, generation: Int, logger: Logger) async throws -> Bool {
        guard let document = try await store.documents.find(id: documentID) else { return true }  // deleted meanwhile
        // An ingest job that ran before (it was handed back at a shutdown, or its worker died) keeps what it finished.
        if job.kind == .ingest, document.status == .ready { return true }
        try await store.documents.setStatus(id: document.id, .processing)
        do {
            return try await index(document, job: job, model: model, generation: generation)
        } catch let stop as Stop {
            throw stop
        } catch {
            let reason: String = switch error {
            case ExtractionError.noText: "no extractable text"
            case let error as ExtractionError: "\(error)"
            case let error as HyperionError where error.kind == .validation: error.message
            case is CocoaError: "original file is missing"
            default: "internal error while processing this document"
            }
            logger.warning("document failed", metadata: ["document_id": "\(document.id.lowercasedString)", "error": "\(error)"])
            try await store.documents.setStatus(id: document.id, .failed, error: reason)
            return false
        }
    }

    /// Extracts, chunks, embeds and indexes one document, with a checkpoint between the steps.
    private func index(_ document: DocumentRecord, job: JobRecord, model: RAGModel, generation: Int) async throws -> Bool {
        let extracted = try TextExtractor.extract(try service.originalFile(document), format: document.format)
        guard extracted.hasText else { throw ExtractionError.noText }
        try await checkpoint(job)
        let drafts = Chunker(settings: model.chunking, counter: service.embedder).chunks(of: extracted)
        if maxChunksPerDocument > 0, drafts.count > maxChunksPerDocument {
            throw HyperionError.invalid("document", "it makes \(drafts.count) chunks, more than the \(maxChunksPerDocument) allowed per document (jobs.max_chunks_per_document); split it")
        }
        var vectors: [[Float]] = []
        for start in stride(from: 0, to: drafts.count, by: 64) {
            try await checkpoint(job)
            vectors += try await service.embedder.embed(drafts[start..<min(start + 64, drafts.count)].map(\.text), purpose: .document)
        }
        try await checkpoint(job)
        let chunks = zip(drafts, vectors).map { draft, vector in
            ChunkRecord(documentID: document.id, modelID: model.id, generation: generation, ordinal: draft.ordinal, text: draft.text,
                        page: draft.page, headingPath: draft.headingPath, startOffset: draft.startOffset, endOffset: draft.endOffset,
                        tokenCount: draft.tokenCount, embedding: vector)
        }
        let title = extracted.title.flatMap { $0.isEmpty ? nil : String($0.prefix(300)) }
        guard try await store.documents.replaceChunks(documentID: document.id, generation: generation, chunks: chunks,
                                                     title: title, pageCount: extracted.pages.isEmpty ? nil : extracted.pages.count)
        else { return true }  // deleted while we worked: nothing to index
        var indexed = document
        if let title { indexed.title = title }
        try await service.registry.replace(document: indexed, chunks: chunks, model: model.id, generation: generation)
        // A delete that raced the indexing above: take the chunks out again.
        if try await store.documents.find(id: document.id) == nil {
            await service.registry.remove(documentID: document.id, model: model.id)
        }
        return true
    }
}
