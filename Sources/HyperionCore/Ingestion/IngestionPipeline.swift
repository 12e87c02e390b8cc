import Foundation
import Logging

/// Runs one ingestion or training job to its end: for each document extract → chunk → embed → index → store, with a
/// checkpoint between the steps, progress on the job, and the generation switch at the end of a training.
///
/// Written against the seams only (``JobQueue``, ``IndexCatalog``, ``DocumentExtractor``, ``DocumentEmbedder``,
/// ``IngestionRecords``), so it runs the same over the embedded defaults, external engines and in-memory twins.
/// Jobs survive restarts: re-running a document replaces its chunks instead of adding more.
public struct IngestionPipeline: Sendable {
    let jobs: any JobQueue
    let catalog: any IndexCatalog
    let records: any IngestionRecords
    let extractor: any DocumentExtractor
    let embedder: any DocumentEmbedder
    let limits: Limits
    /// True once the host is stopping: the job in hand goes back to the queue.
    let stopping: @Sendable () -> Bool
    /// Told each phase's time and each document's and job's end (metrics).
    let observer: any IngestionObserver
    let logger: Logger

    /// Bounds of one job.
    public struct Limits: Sendable {
        /// A job started more often than this (its worker kept dying) is given up as failed.
        public var maxAttempts: Int
        /// Chunks one document may make; 0 = unlimited.
        public var maxChunksPerDocument: Int
        /// Texts embedded per call (a checkpoint between calls).
        public var embeddingBatch: Int
        /// How long an index write is retried while its engine is unavailable (then the document fails).
        public var engineRetryFor: Duration
        /// The first pause between those retries; it doubles up to 30 s.
        public var engineRetryPause: Duration

        /// Creates limits.
        public init(maxAttempts: Int = 3, maxChunksPerDocument: Int = 0, embeddingBatch: Int = 64, engineRetryFor: Duration = .seconds(300),
                    engineRetryPause: Duration = .seconds(1)) {
            self.maxAttempts = maxAttempts
            self.maxChunksPerDocument = maxChunksPerDocument
            self.embeddingBatch = embeddingBatch
            self.engineRetryFor = engineRetryFor
            self.engineRetryPause = engineRetryPause
        }
    }

    /// Creates a pipeline over the given seams.
    public init(jobs: any JobQueue, catalog: any IndexCatalog, records: any IngestionRecords, extractor: any DocumentExtractor,
                embedder: any DocumentEmbedder, limits: Limits = .init(), stopping: @escaping @Sendable () -> Bool = { false },
                observer: any IngestionObserver = NoIngestionObserver(), logger: Logger = Logger(label: "hyperion.ingestion")) {
        self.observer = observer
        self.jobs = jobs
        self.catalog = catalog
        self.records = records
        self.extractor = extractor
        self.embedder = embedder
        self.limits = limits
        self.stopping = stopping
        self.logger = logger
    }

    /// Why a job stopped before its end.
    enum Stop: Error {
        /// Its owner or an admin canceled it.
        case canceled
        /// The host is stopping: the job goes back to the queue for the next start.
        case shutdown
    }

    /// Throws ``Stop`` when the job was canceled or the host is stopping (the host renews the job's lease): called
    /// between the steps of every document, so neither a cancel nor SIGTERM waits for a long document to finish.
    func checkpoint(_ job: JobRecord) async throws {
        if Task.isCancelled || stopping() { throw Stop.shutdown }
        if try await jobs.status(job.id) == .canceled { throw Stop.canceled }
    }

    /// Runs one job to its end; failures are recorded on the job and its documents, never thrown. Whatever way it
    /// ends, none of its documents is left queued or processing, except when the host stops: then the job and its
    /// current document are queued again for the next start.
    public func run(_ job: JobRecord) async {
        await Spans.run("\(job.kind.rawValue) job", .chain) { span in
            span.update { attributes in
                attributes["hyperion.job.id"] = job.id.lowercasedString
                attributes["hyperion.job.kind"] = job.kind.rawValue
                attributes["hyperion.job.documents"] = job.documentIDs.count
                attributes["hyperion.knowledge_base.id"] = job.modelID.lowercasedString
            }
            // The job is a trace of its own (it may run long after, on another instance); it links to the request
            // that queued it.
            span.link(traceParent: job.traceParent)
            await process(job)
            if span.isRecording, let status = try? await jobs.status(job.id) { span.set("hyperion.job.status", status.rawValue) }
        }
    }

    private func process(_ job: JobRecord) async {
        let started = ContinuousClock.now
        var logger = logger
        logger[metadataKey: "job_id"] = "\(job.id.lowercasedString)"
        logger[metadataKey: "model_id"] = "\(job.modelID.lowercasedString)"
        do {
            guard job.attempts <= limits.maxAttempts else {
                let reason = "processing was interrupted \(job.attempts - 1) times (the server stopped while working on it); giving up"
                try await records.failUnfinished(documents: job.documentIDs, error: reason)
                try await jobs.finish(job.id, status: .failed, error: reason)
                observer.job(job, finished: .failed, error: reason, took: ContinuousClock.now - started)
                if job.kind == .train { try await records.setStatus(ofKnowledgeBase: job.modelID, .needsTraining) }
                logger.warning("job given up", metadata: ["attempts": "\(job.attempts)"])
                return
            }
            guard let knowledgeBase = try await records.knowledgeBase(job.modelID) else {
                try await jobs.finish(job.id, status: .failed, error: "the RAG model was deleted")
                // Its owner deleted the knowledge base: observed as the cancel it amounts to, not as a failure to report.
                observer.job(job, finished: .canceled, error: nil, took: ContinuousClock.now - started)
                return
            }
            // Training writes the next generation; ingestion the live one (read again per document, so a
            // generation switch during a long upload is followed).
            let target: Int? = job.kind == .train ? knowledgeBase.generation + 1 : nil
            var documents = job.documentIDs
            var done = 0
            var failed = 0
            do {
                while true {
                    for documentID in documents {
                        try await checkpoint(job)
                        _ = try await jobs.progress(job.id, done: done, total: max(job.documentIDs.count, done + 1))
                        guard let current = try await records.knowledgeBase(knowledgeBase.id) else {
                            try await jobs.finish(job.id, status: .failed, error: "the RAG model was deleted")
                            observer.job(job, finished: .canceled, error: nil, took: ContinuousClock.now - started)
                            return
                        }
                        let generation = IndexGeneration(knowledgeBase: current.id, number: target ?? current.generation)
                        if try await !ingest(documentID: documentID, job: job, knowledgeBase: current, into: generation, logger: logger) {
                            failed += 1
                        }
                        done += 1
                    }
                    // Documents that became ready elsewhere while training ran must not be lost at the switch.
                    guard let target else { break }
                    documents = try await records.documentsMissing(from: IndexGeneration(knowledgeBase: knowledgeBase.id, number: target))
                    if documents.isEmpty { break }
                }
            } catch Stop.canceled {
                if job.kind == .train {
                    try await records.setStatus(ofKnowledgeBase: knowledgeBase.id, .needsTraining)
                    try await catalog.drop(IndexGeneration(knowledgeBase: knowledgeBase.id, number: knowledgeBase.generation + 1))
                } else {
                    try await records.failUnfinished(documents: job.documentIDs, error: "ingestion was canceled; upload the file again to retry")
                    try await catalog.persist(IndexGeneration(knowledgeBase: knowledgeBase.id, number: knowledgeBase.generation))
                }
                observer.job(job, finished: .canceled, error: nil, took: ContinuousClock.now - started)
                logger.info("job canceled")
                return
            } catch Stop.shutdown {
                if job.kind == .ingest {
                    try await catalog.persist(IndexGeneration(knowledgeBase: knowledgeBase.id, number: knowledgeBase.generation))
                    try await records.requeueProcessing(documents: job.documentIDs)
                }
                try await jobs.requeue(job.id)
                logger.notice("job handed back to the queue at shutdown", metadata: ["documents_done": "\(done)"])
                return
            }
            _ = try await jobs.progress(job.id, done: done, total: done)
            if let target {
                let next = IndexGeneration(knowledgeBase: knowledgeBase.id, number: target)
                try await catalog.persist(next)
                try await records.switchGeneration(to: next)
                try await catalog.drop(IndexGeneration(knowledgeBase: knowledgeBase.id, number: knowledgeBase.generation))
            } else {
                let live = try await records.knowledgeBase(knowledgeBase.id)?.generation ?? knowledgeBase.generation
                try await catalog.persist(IndexGeneration(knowledgeBase: knowledgeBase.id, number: live))
            }
            let error = failed > 0 ? "\(failed) of \(done) documents failed; see each document's error" : nil
            let status: JobStatus = failed == done && done > 0 ? .failed : .succeeded
            try await jobs.finish(job.id, status: status, error: error)
            observer.job(job, finished: status, error: error, took: ContinuousClock.now - started)
            logger.info("job finished", metadata: ["kind": "\(job.kind.rawValue)", "documents": "\(done)", "failed": "\(failed)"])
        } catch {
            logger.error("job failed", metadata: ["error": "\(error)"])
            if job.kind == .train { try? await records.setStatus(ofKnowledgeBase: job.modelID, .needsTraining) }
            try? await records.failUnfinished(documents: job.documentIDs, error: "internal error while processing the job; upload the file again to retry")
            try? await jobs.finish(job.id, status: .failed, error: "internal error while processing the job")
            observer.job(job, finished: .failed, error: "internal error while processing the job: \(error)", took: ContinuousClock.now - started)
        }
    }

    /// Ingests one document; returns false when the document failed (its error is recorded on it). A failure of
    /// this document alone (a file the extractor refuses, text the database refuses) never fails the others.
    /// Throws ``Stop`` from its checkpoints, and what the records throw when they cannot record anything.
    func ingest(documentID: UUID, job: JobRecord, knowledgeBase: KnowledgeBase, into generation: IndexGeneration, logger: Logger) async throws -> Bool {
        guard let document = try await records.document(documentID) else { return true }  // deleted meanwhile
        // An ingest job that ran before (it was handed back at a shutdown, or its worker died) keeps what it finished.
        if job.kind == .ingest, document.status == .ready { return true }
        try await records.setStatus(ofDocument: document.id, .processing, error: nil)
        do {
            let chunks = try await Spans.run("document", .chain) { span in
                span.update { attributes in
                    attributes["hyperion.document.id"] = document.id.lowercasedString
                    attributes["hyperion.document.format"] = document.format.rawValue
                    attributes["hyperion.document.bytes"] = document.sizeBytes
                }
                let chunks = try await index(document, job: job, knowledgeBase: knowledgeBase, into: generation)
                span.set("hyperion.document.chunks", chunks)
                return chunks
            }
            observer.document(ingested: true, chunks: chunks)
            return true
        } catch let stop as Stop {
            throw stop
        } catch {
            if let error = error as? IndexEngineError, error.reason == .needsTraining {
                try await records.setStatus(ofKnowledgeBase: knowledgeBase.id, .needsTraining)
            }
            let reason: String = switch error {
            case let error as HyperionError where error.kind == .validation || error.kind == .unsupportedMediaType: error.message
            case let error as IndexEngineError: error.asHyperionError.message
            case is CocoaError: "original file is missing"
            default: "internal error while processing this document"
            }
            logger.warning("document failed", metadata: ["document_id": "\(document.id.lowercasedString)", "error": "\(error)"])
            try await records.setStatus(ofDocument: document.id, .failed, error: reason)
            observer.document(ingested: false, chunks: 0)
            return false
        }
    }

    /// Extracts, chunks, embeds, stores and indexes one document, with a checkpoint between the steps; returns its
    /// number of chunks.
    private func index(_ document: DocumentRecord, job: JobRecord, knowledgeBase: KnowledgeBase, into generation: IndexGeneration) async throws -> Int {
        var clock = ContinuousClock.now
        /// Reports the phase that just ended and starts timing the next.
        func lap(_ phase: IngestionPhase) {
            let now = ContinuousClock.now
            observer.phase(phase, took: now - clock)
            clock = now
        }
        let extracted = try await Spans.run("extract") { span in
            let extracted = try extractor.extract(try await records.originalFile(of: document), format: document.format)
            span.set("hyperion.pages", extracted.pages.count)
            return extracted
        }
        guard extracted.hasText else { throw HyperionError(.validation, code: "no_text", message: "no extractable text") }
        lap(.extract)
        try await checkpoint(job)
        clock = .now
        let drafts = await Spans.run("chunk") { span in
            let drafts = Chunker(settings: knowledgeBase.chunking, counter: embedder).chunks(of: extracted)
            span.set("hyperion.chunks", drafts.count)
            return drafts
        }
        lap(.chunk)
        if limits.maxChunksPerDocument > 0, drafts.count > limits.maxChunksPerDocument {
            throw HyperionError.invalid("document", "it makes \(drafts.count) chunks, more than the \(limits.maxChunksPerDocument) allowed per document (jobs.max_chunks_per_document); split it")
        }
        var vectors: [[Float]] = []
        var embedding = Duration.zero
        try await Spans.run("embed", .embedding) { span in
            span.set("hyperion.chunks", drafts.count)
            for start in stride(from: 0, to: drafts.count, by: limits.embeddingBatch) {
                try await checkpoint(job)
                let batch = drafts[start..<min(start + limits.embeddingBatch, drafts.count)]
                let tokens = batch.reduce(0) { $0 + $1.tokenCount }
                let began = ContinuousClock.now
                vectors += try await Spans.run("embed batch", .embedding) { span in
                    span.update { attributes in
                        attributes["hyperion.batch.texts"] = batch.count
                        attributes["hyperion.batch.tokens"] = tokens
                    }
                    return try await embedder.embed(batch.map(\.text), purpose: .document)
                }
                let took = ContinuousClock.now - began
                embedding += took
                observer.embedded(texts: batch.count, tokens: tokens, took: took)
            }
        }
        observer.phase(.embed, took: embedding)
        try await checkpoint(job)
        let chunks = zip(drafts, vectors).map { draft, vector in
            ChunkRecord(documentID: document.id, modelID: knowledgeBase.id, generation: generation.number, ordinal: draft.ordinal, text: draft.text,
                        page: draft.page, headingPath: draft.headingPath, startOffset: draft.startOffset, endOffset: draft.endOffset,
                        tokenCount: draft.tokenCount, embedding: vector)
        }
        let title = extracted.title.flatMap { $0.isEmpty ? nil : String($0.prefix(300)) }
        var indexed = document
        if let title { indexed.title = title }
        let entries = IndexEntries(chunks: chunks, documents: [document.id: indexed], dimension: catalog.dimension)
        // Indexed before it is stored: storing marks the document ready, which it must not be before the index
        // engine took it. Until then a search drops the entries (their chunks are not in the store yet).
        clock = .now
        try await Spans.run("index") { _ in
            try await retryingEngine(job) { try await catalog.replace(documentID: document.id.uuidString, with: entries, in: generation) }
        }
        lap(.index)
        let stored = try await Spans.run("store") { _ in
            try await records.replaceChunks(ofDocument: document.id, generation: generation.number, with: chunks,
                                            title: title, pageCount: extracted.pages.isEmpty ? nil : extracted.pages.count)
        }
        lap(.store)
        // Deleted while we worked (before the store or just after): take its entries out again.
        let deleted = try await records.document(document.id) == nil
        if !stored || deleted {
            try await retryingEngine(job) { try await catalog.remove(documentID: document.id.uuidString, knowledgeBase: knowledgeBase.id) }
        }
        return chunks.count
    }

    /// Runs an index write, retrying with doubling pauses (up to 30 s) while its engine is unavailable, for at most
    /// ``Limits/engineRetryFor``; a cancel or a shutdown still stops the job within a second.
    func retryingEngine(_ job: JobRecord, _ write: () async throws -> Void) async throws {
        let deadline = ContinuousClock.now + limits.engineRetryFor
        var pause = limits.engineRetryPause
        while true {
            do { return try await write() } catch let error as IndexEngineError where error.reason == .unavailable {
                guard ContinuousClock.now + pause < deadline else { throw error }
                logger.warning("index engine unavailable; retrying", metadata: ["error": "\(error)", "pause_ms": "\(pause.milliseconds)"])
                let until = ContinuousClock.now + pause
                while ContinuousClock.now < until {
                    try await checkpoint(job)
                    try? await Task.sleep(for: min(.seconds(1), until - ContinuousClock.now))
                }
                pause = min(pause * 2, .seconds(30))
            }
        }
    }
}
