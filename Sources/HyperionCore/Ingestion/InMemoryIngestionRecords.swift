import Foundation

/// The in-memory twin of the ingestion pipeline's records: knowledge bases, documents, chunks and files in
/// dictionaries, with the store's rules (a deleted document takes nothing, a switch keeps one generation's chunks).
public actor InMemoryIngestionRecords: IngestionRecords {
    /// Knowledge bases by id.
    public private(set) var knowledgeBases: [UUID: KnowledgeBase] = [:]
    /// Documents by id.
    public private(set) var documents: [UUID: DocumentRecord] = [:]
    /// Every chunk, any generation.
    public private(set) var chunks: [ChunkRecord] = []
    private var files: [String: Data] = [:]

    /// Creates empty records.
    public init() {}

    /// Adds or replaces a knowledge base.
    public func put(_ knowledgeBase: KnowledgeBase) { knowledgeBases[knowledgeBase.id] = knowledgeBase }

    /// Adds a document with its file.
    public func put(_ document: DocumentRecord, file: Data) {
        documents[document.id] = document
        files[document.sha256] = file
    }

    /// Deletes a document and its chunks (what a user's delete does).
    public func delete(document id: UUID) {
        documents[id] = nil
        chunks.removeAll { $0.documentID == id }
    }

    public func knowledgeBase(_ id: UUID) async throws -> KnowledgeBase? { knowledgeBases[id] }

    public func setStatus(ofKnowledgeBase id: UUID, _ status: KnowledgeBaseStatus) async throws { knowledgeBases[id]?.status = status }

    public func document(_ id: UUID) async throws -> DocumentRecord? { documents[id] }

    public func setStatus(ofDocument id: UUID, _ status: DocumentStatus, error: String?) async throws {
        documents[id]?.status = status
        documents[id]?.error = error
    }

    public func failUnfinished(documents ids: [UUID], error: String) async throws {
        for id in ids where [.queued, .processing].contains(documents[id]?.status) {
            documents[id]?.status = .failed
            documents[id]?.error = error
        }
    }

    public func requeueProcessing(documents ids: [UUID]) async throws {
        for id in ids where documents[id]?.status == .processing { documents[id]?.status = .queued }
    }

    public func replaceChunks(ofDocument id: UUID, generation: Int, with new: [ChunkRecord], title: String?, pageCount: Int?) async throws -> Bool {
        guard documents[id] != nil else { return false }
        chunks.removeAll { $0.documentID == id && $0.generation == generation }
        chunks += new
        documents[id]?.status = .ready
        documents[id]?.error = nil
        documents[id]?.chunkCount = new.count
        if let title { documents[id]?.title = title }
        if let pageCount { documents[id]?.pageCount = pageCount }
        return true
    }

    public func documentsMissing(from generation: IndexGeneration) async throws -> [UUID] {
        documents.values.filter { document in
            document.modelID == generation.knowledgeBase && document.status == .ready
                && !chunks.contains { $0.documentID == document.id && $0.generation == generation.number }
        }.map(\.id)
    }

    public func switchGeneration(to generation: IndexGeneration) async throws {
        knowledgeBases[generation.knowledgeBase]?.generation = generation.number
        knowledgeBases[generation.knowledgeBase]?.status = .ready
        chunks.removeAll { $0.modelID == generation.knowledgeBase && $0.generation != generation.number }
    }

    public func originalFile(of document: DocumentRecord) async throws -> Data {
        guard let data = files[document.sha256] else { throw CocoaError(.fileNoSuchFile) }
        return data
    }
}
