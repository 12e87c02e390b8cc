import Foundation

/// Where a document is in the ingestion pipeline.
public enum DocumentStatus: String, Sendable, Codable, CaseIterable {
    case queued, processing, ready, failed
}

/// The kinds of file Hyperion reads, detected from the content.
public enum DocumentFormat: String, Sendable, Codable, CaseIterable {
    case pdf, docx, html, markdown, text

    /// The media type served back for the original file.
    public var mediaType: String {
        switch self {
        case .pdf: "application/pdf"
        case .docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        case .html: "text/html; charset=utf-8"
        case .markdown: "text/markdown; charset=utf-8"
        case .text: "text/plain; charset=utf-8"
        }
    }
}

/// An uploaded file in a RAG model.
public struct DocumentRecord: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var modelID: UUID
    /// Title from the file's metadata or first heading, else the file name.
    public var title: String
    public var filename: String
    public var format: DocumentFormat
    /// SHA-256 of the original bytes (hex); the original is stored under this name.
    public var sha256: String
    public var sizeBytes: Int
    public var status: DocumentStatus
    /// Why processing failed, when it did.
    public var error: String?
    public var tags: [String]
    /// Free-form metadata given at upload (a JSON object, as text).
    public var metadataJSON: String?
    public var pageCount: Int?
    public var chunkCount: Int
    public var createdAt: Date
    public var updatedAt: Date

    /// Creates a document value.
    public init(id: UUID = UUID(), modelID: UUID, title: String, filename: String, format: DocumentFormat, sha256: String,
                sizeBytes: Int, status: DocumentStatus = .queued, error: String? = nil, tags: [String] = [],
                metadataJSON: String? = nil, pageCount: Int? = nil, chunkCount: Int = 0,
                createdAt: Date = Date(), updatedAt: Date = Date()) {
        self.id = id
        self.modelID = modelID
        self.title = title
        self.filename = filename
        self.format = format
        self.sha256 = sha256
        self.sizeBytes = sizeBytes
        self.status = status
        self.error = error
        self.tags = tags
        self.metadataJSON = metadataJSON
        self.pageCount = pageCount
        self.chunkCount = chunkCount
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A piece of a document's text, as indexed.
public struct ChunkRecord: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var documentID: UUID
    public var modelID: UUID
    /// The index generation the chunk belongs to.
    public var generation: Int
    /// Position in the document, from 0.
    public var ordinal: Int
    public var text: String
    /// 1-based page where the chunk starts, for paged formats.
    public var page: Int?
    /// Headings above the chunk, outermost first.
    public var headingPath: [String]
    /// Character offsets of the chunk in the document's extracted text.
    public var startOffset: Int
    public var endOffset: Int
    public var tokenCount: Int
    /// The embedding, kept so an index can be rebuilt without re-embedding.
    public var embedding: [Float]

    /// Creates a chunk value.
    public init(id: UUID = UUID(), documentID: UUID, modelID: UUID, generation: Int, ordinal: Int, text: String, page: Int?,
                headingPath: [String], startOffset: Int, endOffset: Int, tokenCount: Int, embedding: [Float]) {
        self.id = id
        self.documentID = documentID
        self.modelID = modelID
        self.generation = generation
        self.ordinal = ordinal
        self.text = text
        self.page = page
        self.headingPath = headingPath
        self.startOffset = startOffset
        self.endOffset = endOffset
        self.tokenCount = tokenCount
        self.embedding = embedding
    }
}
