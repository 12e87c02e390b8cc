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
                if let job = try await store.jobs.claim(worker: workerID) {
                    await process(job)
                    continue
                }
            } catch {
                logger.error("job queue unavailable", metadata: ["error": "\(error)"])
            }
            await service.jobSignal.wait(since: seen, timeout: .seconds(1))
        }
    }

    /// Runs one job to its end; failures are recorded on the job and its documents, never thrown.
    func process(_ job: JobRecord) async {
        var logger = logger
        logger[metadataKey: "job_id"] = "\(job.id.lowercasedString)"
        logger[metadataKey: "model_id"] = "\(job.modelID.lowercasedString)"
        do {
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
            while true {
                for documentID in documents {
                    // A cancel (seen through the heartbeat) stops before the next document.
                    guard try await store.jobs.progress(id: job.id, done: done, total: max(job.documentIDs.count, done + 1)) == .running else {
                        if job.kind == .train {
                            try await store.models.setStatus(id: model.id, .needsTraining)
                            await service.registry.drop(model: model.id, generation: model.generation + 1)
                        } else {
                            try await service.registry.save(model: model.id, generation: model.generation)
                        }
                        logger.info("job canceled")
                        return
                    }
                    guard let current = try await store.models.find(id: model.id) else {
                        try await store.jobs.finish(id: job.id, status: .failed, error: "the RAG model was deleted")
                        return
                    }
                    if try await !ingest(documentID: documentID, model: current, generation: target ?? current.generation, logger: logger) { failed += 1 }
                    done += 1
                }
                // Documents that became ready elsewhere while training ran must not be lost at the switch.
                guard let target else { break }
                documents = try await store.documents.missing(modelID: model.id, generation: target)
                if documents.isEmpty { break }
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
            try? await store.jobs.finish(id: job.id, status: .failed, error: "internal error while processing the job")
        }
    }

    /// Ingests one document; returns false when the document failed (its error is recorded on it).
    func ingest(documentID: UUID, model: RAGModel, generation: Int, logger: Logger) async throws -> Bool {
        guard let document = try await store.documents.find(id: documentID) else { return true }  // deleted meanwhile
        try await store.documents.setStatus(id: document.id, .processing)
        let extracted: ExtractedText
        do {
            extracted = try TextExtractor.extract(try service.originalFile(document), format: document.format)
        } catch let error as ExtractionError {
            try await store.documents.setStatus(id: document.id, .failed, error: error == .noText ? "no extractable text" : "\(error)")
            return false
        } catch {
            try await store.documents.setStatus(id: document.id, .failed, error: "original file is missing")
            return false
        }
        guard extracted.hasText else {
            try await store.documents.setStatus(id: document.id, .failed, error: "no extractable text")
            return false
        }
        let drafts = Chunker(settings: model.chunking, counter: service.embedder).chunks(of: extracted)
        var vectors: [[Float]] = []
        for start in stride(from: 0, to: drafts.count, by: 64) {
            vectors += try await service.embedder.embed(drafts[start..<min(start + 64, drafts.count)].map(\.text), purpose: .document)
        }
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
