import Foundation
import HyperionCore
import HyperionExtract
import HyperionIndex
import HyperionStorage
import Logging
import ServiceLifecycle

/// RAG models, uploads, documents, jobs and search, with the visibility rules: another user's private
/// model and everything under it is "not found" (its existence is not leaked).
public final class KnowledgeService: Sendable {
    let store: Store
    let embedder: any DocumentEmbedder
    /// Every index generation of every model.
    let catalog: any IndexCatalog
    /// Ingestion and training jobs.
    let jobs: any JobQueue
    /// Detects formats at upload; the pipeline extracts.
    let extractor: any DocumentExtractor
    let blobs: BlobStore
    let jobSignal: JobSignal
    let maxFileSize: Int
    /// What one non-admin user may own.
    let quota: IngestionSettings.Quota
    let logger: Logger
    /// Recent retrieval results.
    let cache: any QueryCache
    /// What a cache key's index state is: this process's change counter for a cache of its own, or the knowledge
    /// base's change-log position for one the instances share (with how far this instance's own indexes follow it).
    let cacheVersion: CacheVersion
    let metrics: AnswerMetrics?
    /// The LLM providers (a RAG model may only name one of these), configured or added at run time.
    let providers: ProviderRegistry?
    /// Names of the usable LLM providers.
    var providerNames: Set<String> { providers?.names ?? [] }
    /// Which LLM models a plain user may choose for a RAG model.
    var modelPolicy: ModelPolicy? { providers?.policy }
    /// Serialises writing and removing a blob of the same content.
    let blobLocks = KeyedLocks()

    init(store: Store, embedder: any DocumentEmbedder, catalog: any IndexCatalog, jobs: any JobQueue, extractor: any DocumentExtractor = FileExtractor(),
         blobs: BlobStore, jobSignal: JobSignal, maxFileSize: Int, logger: Logger, cache: any QueryCache = InProcessQueryCache(capacity: 0, ttl: .seconds(1)),
         metrics: AnswerMetrics? = nil, providers: ProviderRegistry? = nil,
         quota: IngestionSettings.Quota = .init(models: 0, documents: 0, bytes: 0), cacheVersion: CacheVersion = .processChanges) {
        self.cache = cache
        self.cacheVersion = cacheVersion
        self.quota = quota
        self.providers = providers
        self.metrics = metrics
        self.store = store
        self.embedder = embedder
        self.catalog = catalog
        self.jobs = jobs
        self.extractor = extractor
        self.blobs = blobs
        self.jobSignal = jobSignal
        self.maxFileSize = maxFileSize
        self.logger = logger
    }

    // MARK: models

    /// A model the caller may see, or 404.
    func visibleModel(_ id: UUID, caller: User) async throws -> KnowledgeBase {
        guard let model = try await store.knowledgeBases.find(id: id), model.isVisible(to: caller.id, role: caller.role) else {
            throw HyperionError.notFound("RAG model")
        }
        return model
    }

    /// A model the caller may change: 404 when invisible, 403 when only shared with them.
    func writableModel(_ id: UUID, caller: User) async throws -> KnowledgeBase {
        let model = try await visibleModel(id, caller: caller)
        guard model.isWritable(by: caller.id, role: caller.role) else {
            throw HyperionError(.forbidden, code: "not_owner", message: "only the owner or an admin may change this RAG model")
        }
        return model
    }

    /// One page of the models the caller may see.
    func listModels(caller: User, page: PageRequest) async throws -> Page<KnowledgeBase> {
        try await store.knowledgeBases.list(visibleTo: caller.id, role: caller.role, page: page)
    }

    /// Every model the caller may see (the OpenAI-compatible model list).
    func allModels(caller: User) async throws -> [KnowledgeBase] {
        try await store.knowledgeBases.all(visibleTo: caller.id, role: caller.role)
    }

    /// How many documents a model has, and chunks in its live generation.
    func counts(of model: KnowledgeBase) async throws -> (documents: Int, chunks: Int) {
        (try await store.documents.count(modelID: model.id), try await store.documents.chunkCount(modelID: model.id, generation: model.generation))
    }

    /// A model indexed by another embedding model than the server's cannot be searched or added to: its
    /// vectors would not be comparable. Fails fast with what to do.
    func checkEmbedder(_ model: KnowledgeBase) throws {
        guard model.embeddingModel == embedder.modelID else {
            throw HyperionError(.conflict, code: "embedding_mismatch", message: """
                this RAG model was indexed with the embedding model '\(model.embeddingModel)', but this server embeds with \
                '\(embedder.modelID)': configure '\(model.embeddingModel)' again, or switch the model to '\(embedder.modelID)' \
                (PATCH embedding) and train it
                """)
        }
    }

    func validateSettings(_ model: KnowledgeBase) throws {
        try KnowledgeBase.validate(name: model.name, description: model.description)
        guard model.embeddingModel == embedder.modelID else {
            throw HyperionError.invalid("embedding", "unknown embedding model '\(model.embeddingModel)'; available: \(embedder.modelID)")
        }
        try model.chunking.validate(maxTokens: embedder.maxTokens)
        try model.retrieval.validate()
        try model.llm.validate()
        if let provider = model.llm.provider, provider != AnswerSettings.extractive, !providerNames.contains(provider) {
            let known = ([AnswerSettings.extractive] + providerNames.sorted()).joined(separator: ", ")
            throw HyperionError.invalid("llm.provider", "'\(provider)' is not a configured provider; configured: \(known)")
        }
    }

    /// Creates a RAG model; a plain `caller` may only name an LLM model the policy allows.
    func createModel(_ model: KnowledgeBase, caller: User) async throws -> KnowledgeBase {
        try validateSettings(model)
        try modelPolicy?.check(model: model.llm.model, provider: model.llm.provider, role: caller.role, field: "llm.model")
        if caller.role != .admin, quota.models > 0, try await store.knowledgeBases.usage(ownerID: caller.id).models >= quota.models {
            throw HyperionError(.tooManyRequests, code: "quota_exceeded", message: "you own \(quota.models) RAG models, the most allowed; delete one first")
        }
        return try await store.knowledgeBases.create(model)
    }

    /// Applies a change; a new embedding model or chunking marks the model as needing training.
    func updateModel(_ id: UUID, caller: User, change: (inout KnowledgeBase) throws -> Void) async throws -> KnowledgeBase {
        let old = try await writableModel(id, caller: caller)
        var model = old
        try change(&model)
        try validateSettings(model)
        // Checked only when the choice changes: an owner may still edit a model an admin pointed elsewhere.
        if model.llm.model != old.llm.model || model.llm.provider != old.llm.provider {
            try modelPolicy?.check(model: model.llm.model, provider: model.llm.provider, role: caller.role, field: "llm.model")
        }
        if model.embeddingModel != old.embeddingModel || model.chunking != old.chunking, old.status == .ready {
            model.status = .needsTraining
        }
        model.updatedAt = Date()
        try await store.knowledgeBases.update(model)
        return model
    }

    func deleteModel(_ id: UUID, caller: User) async throws {
        let model = try await writableModel(id, caller: caller)
        let documents = try await store.documents.all(modelID: model.id)
        _ = try await store.knowledgeBases.delete(id: model.id)
        try await catalog.drop(knowledgeBase: model.id)
        for document in documents { try await removeBlobIfUnused(document.sha256) }
    }

    /// Removes a blob no document refers to any more, under its lock so a concurrent upload of the same bytes
    /// (which writes the blob, then its row) cannot lose its file in between.
    private func removeBlobIfUnused(_ sha256: String) async throws {
        try await blobLocks.withLocks([sha256]) { [store, blobs] in
            if try await store.documents.count(sha256: sha256) == 0 { blobs.remove(sha256) }
        }
    }

    // MARK: uploads

    /// One file of an upload.
    struct UploadFile: Sendable {
        var filename: String
        var data: Data
        /// The body of this part went over the per-file limit (and was not kept whole).
        var tooLarge = false
    }

    /// What happened to one uploaded file.
    struct UploadResult: Sendable {
        enum Outcome: String, Sendable { case queued, duplicate, rejected }
        var filename: String
        var outcome: Outcome
        var document: DocumentRecord?
        /// Why the file was refused (its kind decides the file's status in the response).
        var error: HyperionError?
    }

    /// Stores each file and queues one ingest job for the new ones (and for re-uploads of failed ones). Every file
    /// gets its own result. The request only sniffs each file's format: extraction, which can take long on a large or
    /// hostile file, happens in the job. All or nothing: the rows and the job are one transaction, and the blobs
    /// this request wrote are removed again when that fails.
    func upload(modelID: UUID, files: [UploadFile], tags: [String], metadataJSON: String?, caller: User) async throws -> (job: JobRecord?, results: [UploadResult]) {
        let model = try await writableModel(modelID, caller: caller)
        try checkEmbedder(model)
        var results: [UploadResult] = []
        var accepted: [(result: Int, data: Data, draft: DocumentRecord)] = []
        for file in files {
            let name = file.filename.isEmpty ? "upload" : file.filename
            func reject(_ kind: HyperionError.Kind, _ code: String, _ message: String) {
                results.append(UploadResult(filename: name, outcome: .rejected, error: HyperionError(kind, code: code, message: message)))
            }
            guard !file.tooLarge, file.data.count <= maxFileSize else {
                reject(.payloadTooLarge, "file_too_large", "\(name): larger than the \(maxFileSize)-byte limit per file")
                continue
            }
            guard !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                reject(.validation, "invalid_filename", "the file name must not contain control characters")
                continue
            }
            let format: DocumentFormat
            do {
                format = try extractor.detect(file.data, filename: name)
            } catch let error as HyperionError {
                reject(error.kind, error.code, "\(name): \(error.message)")
                continue
            }
            let draft = DocumentRecord(modelID: model.id, title: String(name.prefix(300)), filename: String(name.prefix(255)), format: format,
                                       sha256: BlobStore.sha256(file.data), sizeBytes: file.data.count, tags: tags, metadataJSON: metadataJSON)
            accepted.append((results.count, file.data, draft))
            results.append(UploadResult(filename: name, outcome: .queued))
        }
        guard !accepted.isEmpty else { return (nil, results) }
        try await checkQuota(owner: model.ownerID, adding: accepted.map(\.draft), caller: caller)
        let drafts = accepted.map(\.draft)
        let contents = accepted.map { ($0.data, $0.draft.sha256) }
        let ownerID = caller.id
        // Read here: the job is made inside the store's transaction, which may run outside this task's context.
        let traceParent = Spans.traceParent()
        let stored = try await blobLocks.withLocks(drafts.map(\.sha256)) { [blobs, store] in
            var written: [String] = []
            do {
                for (data, sha) in contents where try blobs.put(data, sha256: sha) { written.append(sha) }
                return try await store.documents.createWithJob(drafts) { ids in
                    JobRecord(kind: .ingest, modelID: model.id, ownerID: ownerID, documentIDs: ids, progressTotal: ids.count,
                              traceParent: traceParent)
                }
            } catch {
                // Nothing was stored, so nothing refers to the blobs this request created.
                for sha in written { blobs.remove(sha) }
                throw error
            }
        }
        for ((index, _, _), outcome) in zip(accepted, stored.outcomes) {
            switch outcome {
            case .created(let document), .existing(let document, requeued: true):
                results[index].outcome = .queued
                results[index].document = document
            case .existing(let document, requeued: false):
                results[index].outcome = .duplicate
                results[index].document = document
            }
        }
        if stored.job != nil { jobSignal.notify() }
        return (stored.job, results)
    }

    /// Documents and bytes count against the model's owner (an upload by an admin into their model too, unless
    /// the owner is an admin). Checked before anything is stored; two uploads at once may overshoot by one upload.
    private func checkQuota(owner: UUID, adding drafts: [DocumentRecord], caller: User) async throws {
        guard quota.documents > 0 || quota.bytes > 0 else { return }
        let ownerRole = owner == caller.id ? caller.role : try await store.users.find(id: owner)?.role
        guard ownerRole != .admin else { return }
        let usage = try await store.knowledgeBases.usage(ownerID: owner)
        if quota.documents > 0, usage.documents + drafts.count > quota.documents {
            throw HyperionError(.tooManyRequests, code: "quota_exceeded",
                                message: "this upload would make \(usage.documents + drafts.count) documents; the most allowed is \(quota.documents)")
        }
        let adding = drafts.reduce(0) { $0 + $1.sizeBytes }
        if quota.bytes > 0, usage.bytes + adding > quota.bytes {
            throw HyperionError(.payloadTooLarge, code: "quota_exceeded",
                                message: "this upload would store \(usage.bytes + adding) bytes; the most allowed is \(quota.bytes)")
        }
    }

    /// Queues a rebuild of the model's index with its current settings into a new generation; searches keep
    /// using the old one until the new one is complete.
    func train(_ id: UUID, caller: User) async throws -> JobRecord {
        let model = try await writableModel(id, caller: caller)
        if try await jobs.active(knowledgeBase: model.id).contains(where: { $0.kind == .train }) {
            throw HyperionError(.conflict, code: "training_running", message: "this RAG model is already being trained")
        }
        let documents = try await store.documents.all(modelID: model.id).filter { $0.status != .failed }.map(\.id)
        let job = JobRecord(kind: .train, modelID: model.id, ownerID: caller.id, documentIDs: documents, progressTotal: documents.count,
                            traceParent: Spans.traceParent())
        try await store.knowledgeBases.setStatus(id: model.id, .training)
        try await jobs.enqueue(job)
        jobSignal.notify()
        return job
    }

    // MARK: documents

    /// A document the caller may see (through its model), with the model.
    func visibleDocument(_ id: UUID, caller: User) async throws -> (DocumentRecord, KnowledgeBase) {
        guard let document = try await store.documents.find(id: id),
              let model = try await store.knowledgeBases.find(id: document.modelID), model.isVisible(to: caller.id, role: caller.role)
        else { throw HyperionError.notFound("document") }
        return (document, model)
    }

    /// Deletes a document everywhere: once this returns, no search returns its chunks.
    func deleteDocument(_ id: UUID, caller: User) async throws {
        let (document, model) = try await visibleDocument(id, caller: caller)
        guard model.isWritable(by: caller.id, role: caller.role) else {
            throw HyperionError(.forbidden, code: "not_owner", message: "only the owner or an admin may delete documents of this RAG model")
        }
        // Index first: from this moment searches skip it; then the rows and the file.
        try await catalog.remove(documentID: document.id.uuidString, knowledgeBase: model.id)
        _ = try await store.documents.delete(id: document.id)
        try await removeBlobIfUnused(document.sha256)
    }

    /// One page of a model's documents, optionally only those with `status`.
    func listDocuments(of model: KnowledgeBase, status: DocumentStatus?, page: PageRequest) async throws -> Page<DocumentRecord> {
        try await store.documents.list(modelID: model.id, status: status, page: page)
    }

    /// One page of a document's chunks in its model's live generation, in order.
    func chunks(of document: DocumentRecord, in model: KnowledgeBase, page: PageRequest) async throws -> Page<ChunkRecord> {
        try await store.documents.chunks(documentID: document.id, generation: model.generation, page: page)
    }

    func originalFile(_ document: DocumentRecord) throws -> Data {
        do { return try blobs.get(document.sha256) } catch { throw HyperionError.notFound("original file") }
    }

    // MARK: jobs

    func visibleJob(_ id: UUID, caller: User) async throws -> JobRecord {
        guard let job = try await jobs.find(id) else { throw HyperionError.notFound("job") }
        if caller.role == .admin || job.ownerID == caller.id { return job }
        guard let model = try await store.knowledgeBases.find(id: job.modelID), model.isVisible(to: caller.id, role: caller.role) else {
            throw HyperionError.notFound("job")
        }
        return job
    }

    func cancelJob(_ id: UUID, caller: User) async throws -> JobRecord {
        let job = try await visibleJob(id, caller: caller)
        guard caller.role == .admin || job.ownerID == caller.id else {
            throw HyperionError(.forbidden, code: "not_owner", message: "only the job's owner or an admin may cancel it")
        }
        guard !job.status.isFinal else {
            throw HyperionError(.conflict, code: "job_finished", message: "the job has already \(job.status.rawValue)")
        }
        return try await jobs.cancel(id) ?? job
    }
}

extension KnowledgeService {
    /// Builds the service from settings: the blob folder under the data directory, the store's job queue, `catalog`
    /// (see ``IndexEngines``).
    static func make(settings: ServerSettings, store: Store, embedder: any DocumentEmbedder, catalog: any IndexCatalog, logger: Logger,
                     metrics: AnswerMetrics? = nil, providers: ProviderRegistry? = nil,
                     sharedCache: (any QueryCache)? = nil, follower: FollowerPosition? = nil) -> KnowledgeService {
        KnowledgeService(
            store: store, embedder: embedder, catalog: catalog,
            jobs: store.jobs,
            blobs: BlobStore(root: settings.filesDirectory), jobSignal: JobSignal(),
            maxFileSize: settings.ingestion.maxFileSize, logger: logger,
            cache: sharedCache ?? InProcessQueryCache(capacity: settings.answers.cacheSize, ttl: .seconds(settings.answers.cacheTTLSeconds)),
            metrics: metrics, providers: providers, quota: settings.ingestion.quota,
            cacheVersion: sharedCache == nil ? .processChanges : .changeLog(follower: follower)
        )
    }

    /// The worker that runs this service's jobs through the ingestion pipeline.
    func worker(settings: IngestionSettings, engineRetryFor: Int, tracing: TraceRecorder? = nil, observer: any IngestionObserver = NoIngestionObserver(),
                logger: Logger) -> IngestionWorker {
        let pipeline = IngestionPipeline(
            jobs: jobs, catalog: catalog, records: StoreIngestionRecords(store: store, blobs: blobs), extractor: extractor, embedder: embedder,
            limits: .init(maxAttempts: settings.maxAttempts, maxChunksPerDocument: settings.maxChunksPerDocument, engineRetryFor: .seconds(engineRetryFor)),
            stopping: { Task.isShuttingDownGracefully }, observer: observer, logger: logger
        )
        return IngestionWorker(jobs: jobs, pipeline: pipeline, signal: jobSignal, concurrency: settings.workers,
                               lease: .seconds(settings.staleAfterSeconds), perUser: settings.perUser, tracing: tracing, logger: logger)
    }
}
