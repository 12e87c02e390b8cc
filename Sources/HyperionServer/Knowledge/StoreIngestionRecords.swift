import Foundation
import HyperionCore
import HyperionStorage

/// The ingestion pipeline's records in the store, and original files in the content-addressed folder.
struct StoreIngestionRecords: IngestionRecords {
    let store: Store
    let blobs: BlobStore

    func knowledgeBase(_ id: UUID) async throws -> KnowledgeBase? { try await store.knowledgeBases.find(id: id) }

    func setStatus(ofKnowledgeBase id: UUID, _ status: KnowledgeBaseStatus) async throws { try await store.knowledgeBases.setStatus(id: id, status) }

    func document(_ id: UUID) async throws -> DocumentRecord? { try await store.documents.find(id: id) }

    func setStatus(ofDocument id: UUID, _ status: DocumentStatus, error: String?) async throws {
        try await store.documents.setStatus(id: id, status, error: error)
    }

    func failUnfinished(documents ids: [UUID], error: String) async throws { try await store.documents.failUnfinished(ids: ids, error: error) }

    func requeueProcessing(documents ids: [UUID]) async throws { try await store.documents.requeueProcessing(ids: ids) }

    func replaceChunks(ofDocument id: UUID, generation: Int, with chunks: [ChunkRecord], title: String?, pageCount: Int?) async throws -> Bool {
        try await store.documents.replaceChunks(documentID: id, generation: generation, chunks: chunks, title: title, pageCount: pageCount)
    }

    func documentsMissing(from generation: IndexGeneration) async throws -> [UUID] {
        try await store.documents.missing(modelID: generation.knowledgeBase, generation: generation.number)
    }

    func switchGeneration(to generation: IndexGeneration) async throws {
        try await store.documents.switchGeneration(modelID: generation.knowledgeBase, to: generation.number)
    }

    func originalFile(of document: DocumentRecord) async throws -> Data { try blobs.get(document.sha256) }
}
