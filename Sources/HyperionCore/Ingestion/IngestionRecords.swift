import Foundation

/// What the ingestion pipeline reads and writes besides the indexes and the queue: knowledge bases, documents,
/// chunks and original files, through intent methods (no queries in the pipeline). The embedded default is the
/// store plus the content-addressed file folder.
public protocol IngestionRecords: Sendable {
    /// A knowledge base, or nil when it was deleted.
    func knowledgeBase(_ id: UUID) async throws -> KnowledgeBase?
    /// Sets a knowledge base's status (training, needs training).
    func setStatus(ofKnowledgeBase id: UUID, _ status: KnowledgeBaseStatus) async throws
    /// A document, or nil when it was deleted.
    func document(_ id: UUID) async throws -> DocumentRecord?
    /// Sets a document's status, with the reason when it failed.
    func setStatus(ofDocument id: UUID, _ status: DocumentStatus, error: String?) async throws
    /// Marks every one of `ids` still queued or processing as failed with `error`.
    func failUnfinished(documents ids: [UUID], error: String) async throws
    /// Puts every one of `ids` that is processing back to queued (the job goes back to the queue).
    func requeueProcessing(documents ids: [UUID]) async throws
    /// Replaces a document's chunks of one generation and marks it ready, in one transaction; false when the
    /// document was deleted meanwhile (nothing written).
    func replaceChunks(ofDocument id: UUID, generation: Int, with chunks: [ChunkRecord], title: String?, pageCount: Int?) async throws -> Bool
    /// Ready documents of the knowledge base that have no chunks in `generation` yet.
    func documentsMissing(from generation: IndexGeneration) async throws -> [UUID]
    /// Points the knowledge base at `generation` and deletes the chunks of every other one, in one transaction.
    func switchGeneration(to generation: IndexGeneration) async throws
    /// The bytes of a document's original file.
    func originalFile(of document: DocumentRecord) async throws -> Data
}
