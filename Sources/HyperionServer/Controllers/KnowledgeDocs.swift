import HyperionCore

/// OpenAPI operations and schemas of RAG models, uploads, documents, jobs and search.
enum KnowledgeDocs {
    typealias D = OpenAPIDocument
    typealias A = AuthDocs

    static let nullableInt: JSONValue = ["type": ["integer", "null"]]
    static let nullableTimestamp: JSONValue = ["type": ["string", "null"], "format": "date-time"]
    static let mode: JSONValue = ["type": "string", "enum": ["vector", "keyword", "hybrid"]]
    static let chunking: JSONValue = A.object([], [
        ("size_tokens", ["type": "integer", "minimum": 16, "description": "At most the embedding model's window"]),
        ("overlap_tokens", ["type": "integer", "minimum": 0, "description": "At most half of size_tokens"]),
    ])
    /// A question's schema, from ``Question``'s limits.
    static let question: JSONValue = ["type": "string", "minLength": 1, "maxLength": .int(Question.maxCharacters)]
    /// A result count's schema, from ``Question``'s limits.
    static let topK: JSONValue = ["type": "integer", "minimum": .int(Question.topKRange.lowerBound),
                                  "maximum": .int(Question.topKRange.upperBound)]
    static let retrieval: JSONValue = A.object([], [("mode", mode), ("top_k", topK)])
    static let llm: JSONValue = A.object([], [
        ("provider", ["type": ["string", "null"], "minLength": 1, "maxLength": 100]), ("model", ["type": ["string", "null"], "minLength": 1, "maxLength": 200]),
        ("temperature", ["type": "number", "minimum": 0, "maximum": 2]), ("system_prompt", ["type": ["string", "null"], "maxLength": 8000]),
    ])
    static let rank: JSONValue = ["type": ["object", "null"], "required": ["rank", "score"], "properties": ["rank": ["type": "integer"], "score": ["type": "number"]]]

    static let schemas: [(String, JSONValue)] = [
        ("CreateModelRequest", A.object(["name"], [
            ("name", ["type": "string", "minLength": 1, "maxLength": 100]), ("description", ["type": ["string", "null"], "maxLength": 2000]),
            ("visibility", ["type": "string", "enum": ["private", "shared"]]), ("embedding", A.string),
            ("chunking", chunking), ("retrieval", retrieval), ("llm", llm),
        ])),
        ("UpdateModelRequest", A.object([], [
            ("name", ["type": "string", "minLength": 1, "maxLength": 100]), ("description", ["type": ["string", "null"], "maxLength": 2000]),
            ("visibility", ["type": "string", "enum": ["private", "shared"]]), ("embedding", A.string),
            ("chunking", chunking), ("retrieval", retrieval), ("llm", llm),
        ])),
        ("KnowledgeBase", A.object(["id", "owner_id", "name", "visibility", "embedding", "chunking", "retrieval", "llm", "status", "generation", "created_at", "updated_at"], [
            ("id", A.uuid), ("owner_id", A.uuid), ("name", A.string), ("description", A.nullableString),
            ("visibility", ["type": "string", "enum": ["private", "shared"]]), ("embedding", A.string),
            ("chunking", A.object(["size_tokens", "overlap_tokens"], [("size_tokens", ["type": "integer"]), ("overlap_tokens", ["type": "integer"])])),
            ("retrieval", A.object(["mode", "top_k"], [("mode", mode), ("top_k", ["type": "integer"])])),
            ("llm", A.object(["temperature"], [("provider", A.nullableString), ("model", A.nullableString), ("temperature", ["type": "number"]), ("system_prompt", A.nullableString)])),
            ("status", ["type": "string", "enum": ["ready", "needs_training", "training"]]), ("generation", ["type": "integer"]),
            ("document_count", nullableInt), ("chunk_count", nullableInt),
            ("created_at", A.timestamp), ("updated_at", A.timestamp), ("last_trained_at", nullableTimestamp),
        ])),
        ("RAGModelList", A.list("KnowledgeBase")),
        ("Document", A.object(["id", "model_id", "title", "filename", "format", "size_bytes", "sha256", "status", "tags", "chunk_count", "created_at", "updated_at"], [
            ("id", A.uuid), ("model_id", A.uuid), ("title", A.string), ("filename", A.string),
            ("format", ["type": "string", "enum": ["pdf", "docx", "html", "markdown", "text"]]), ("size_bytes", ["type": "integer"]),
            ("sha256", A.string), ("status", ["type": "string", "enum": ["queued", "processing", "ready", "failed"]]), ("error", A.nullableString),
            ("tags", ["type": "array", "items": A.string]), ("metadata", ["type": ["object", "null"]]), ("page_count", nullableInt),
            ("chunk_count", ["type": "integer"]), ("created_at", A.timestamp), ("updated_at", A.timestamp),
        ])),
        ("DocumentList", A.list("Document")),
        ("Chunk", A.object(["id", "document_id", "ordinal", "text", "heading_path", "start_offset", "end_offset", "token_count"], [
            ("id", A.uuid), ("document_id", A.uuid), ("ordinal", ["type": "integer"]), ("text", A.string), ("page", nullableInt),
            ("heading_path", ["type": "array", "items": A.string]), ("start_offset", ["type": "integer"]), ("end_offset", ["type": "integer"]),
            ("token_count", ["type": "integer"]),
        ])),
        ("ChunkList", A.list("Chunk")),
        ("Job", A.object(["id", "kind", "model_id", "status", "progress", "attempts", "document_ids", "created_at"], [
            ("id", A.uuid), ("kind", ["type": "string", "enum": ["ingest", "train"]]), ("model_id", A.uuid),
            ("status", ["type": "string", "enum": ["queued", "running", "succeeded", "failed", "canceled"]]),
            ("progress", A.object(["done", "total"], [("done", ["type": "integer"]), ("total", ["type": "integer"])])),
            ("error", A.nullableString), ("attempts", ["type": "integer"]), ("document_ids", ["type": "array", "items": A.uuid]),
            ("created_at", A.timestamp), ("started_at", nullableTimestamp), ("finished_at", nullableTimestamp),
        ])),
        ("UploadResult", A.object(["job_id", "documents"], [
            ("job_id", ["type": ["string", "null"], "format": "uuid", "description": "null when no new document was queued"]),
            ("documents", ["type": "array", "items": A.object(["filename", "status"], [
                ("filename", A.string),
                ("status", ["type": "string", "enum": ["queued", "duplicate", "rejected"],
                            "description": "duplicate: the model already has this content (the existing document is returned, not ingested again)"]),
                ("document_id", ["type": ["string", "null"], "format": "uuid"]),
                ("error", ["type": ["object", "null"], "properties": ["status": ["type": "integer"], "code": A.string, "detail": A.string]]),
            ])]),
        ])),
        ("SearchRequest", A.object(["query"], [
            ("query", question), ("top_k", topK),
            ("mode", mode),
            ("filters", A.object([], [
                ("tags", ["type": "array", "items": A.string, "description": "Chunks of documents with any of these tags"]),
                ("document_ids", ["type": "array", "items": A.uuid]),
                ("metadata", ["type": "object", "description": "Documents whose upload metadata has each key with exactly this value"]),
            ])),
        ])),
        ("SearchResult", A.object(["query", "mode", "results"], [
            ("query", A.string), ("mode", mode),
            ("results", ["type": "array", "items": A.object(["chunk_id", "document_id", "document_title", "text", "heading_path", "score"], [
                ("chunk_id", A.uuid), ("document_id", A.uuid), ("document_title", A.string), ("text", A.string), ("page", nullableInt),
                ("heading_path", ["type": "array", "items": A.string]), ("score", ["type": "number"]),
                ("vector", rank), ("keyword", rank),
            ])]),
        ])),
    ]

    static let uploadBody: JSONValue = ["required": true, "content": ["multipart/form-data": ["schema": A.object(["file"], [
        ("file", ["type": "array", "items": ["type": "string", "format": "binary"], "description": "One or more files (PDF, DOCX, HTML, Markdown, text)"]),
        ("metadata", ["type": "string", "description": "A JSON object stored with each document"]),
        ("tags", ["type": "string", "description": "Comma-separated tags (the field may repeat)"]),
    ])]]]

    static let uploadWithModelBody: JSONValue = ["required": true, "content": ["multipart/form-data": ["schema": A.object(["file", "model_id"], [
        ("file", ["type": "array", "items": ["type": "string", "format": "binary"]]),
        ("model_id", A.uuid),
        ("metadata", ["type": "string", "description": "A JSON object stored with each document"]),
        ("tags", ["type": "string", "description": "Comma-separated tags (the field may repeat)"]),
    ])]]]

    static let accepted: JSONValue = D.json("Files stored; new ones queued for ingestion", D.ref("UploadResult"))

    static let operations: [APIOperation] = [
        A.op("post", "/api/v1/models", "createModel", "Create a RAG model", tag: "models", access: .user,
             body: A.jsonBody("CreateModelRequest"), success: [("201", D.json("The model", D.ref("KnowledgeBase")))]),
        A.op("get", "/api/v1/models", "listModels", "RAG models the caller may see", tag: "models", access: .user,
             parameters: A.pageParameters, success: [("200", D.json("A page of models", D.ref("RAGModelList")))]),
        A.op("get", "/api/v1/models/{id}", "getModel", "A RAG model with document and chunk counts", tag: "models", access: .user,
             parameters: [A.idParameter], success: [("200", D.json("The model", D.ref("KnowledgeBase")))]),
        A.op("patch", "/api/v1/models/{id}", "updateModel", "Change a RAG model (new embedding or chunking: needs training)", tag: "models",
             access: .user, body: A.jsonBody("UpdateModelRequest"), parameters: [A.idParameter], success: [("200", D.json("The model", D.ref("KnowledgeBase")))]),
        A.op("delete", "/api/v1/models/{id}", "deleteModel", "Delete a RAG model with its documents, chunks, indexes and files", tag: "models",
             access: .user, parameters: [A.idParameter], success: [("204", A.noContent)]),
        A.op("post", "/api/v1/models/{id}/train", "trainModel", "Rebuild the index with the current settings (searches keep answering meanwhile)",
             tag: "models", access: .user, parameters: [A.idParameter], success: [("202", D.json("The train job", D.ref("Job")))]),
        A.op("post", "/api/v1/models/{id}/search", "searchModel", "Ranked chunks for a query", tag: "search", access: .user,
             body: A.jsonBody("SearchRequest"), parameters: [A.idParameter], success: [("200", D.json("Results, best first", D.ref("SearchResult")))]),
        A.op("post", "/api/v1/upload", "upload", "Upload files into a RAG model", tag: "documents", access: .user,
             body: uploadWithModelBody, success: [("202", accepted)]),
        A.op("post", "/api/v1/models/{id}/documents", "uploadToModel", "Upload files into this RAG model", tag: "documents", access: .user,
             body: uploadBody, parameters: [A.idParameter], success: [("202", accepted)]),
        A.op("get", "/api/v1/models/{id}/documents", "listDocuments", "Documents of a RAG model, newest first", tag: "documents", access: .user,
             parameters: [A.idParameter] + A.pageParameters + [["name": "status", "in": "query", "schema": ["type": "string", "enum": ["queued", "processing", "ready", "failed"]]]],
             success: [("200", D.json("A page of documents", D.ref("DocumentList")))]),
        A.op("get", "/api/v1/documents/{id}", "getDocument", "A document", tag: "documents", access: .user,
             parameters: [A.idParameter], success: [("200", D.json("The document", D.ref("Document")))]),
        A.op("delete", "/api/v1/documents/{id}", "deleteDocument", "Delete a document: no search returns it afterwards", tag: "documents",
             access: .user, parameters: [A.idParameter], success: [("204", A.noContent)]),
        A.op("get", "/api/v1/documents/{id}/content", "getDocumentContent", "The original file", tag: "documents", access: .user,
             parameters: [A.idParameter], success: [("200", ["description": "The file as uploaded, served with its media type (application/pdf, text/markdown, …)",
                                 "content": ["*/*": ["schema": ["type": "string", "format": "binary"]]]])]),
        A.op("get", "/api/v1/documents/{id}/chunks", "listChunks", "A document's chunks in order", tag: "documents", access: .user,
             parameters: [A.idParameter] + A.pageParameters, success: [("200", D.json("A page of chunks", D.ref("ChunkList")))]),
        A.op("get", "/api/v1/jobs/{id}", "getJob", "A background job with its progress", tag: "jobs", access: .user,
             parameters: [A.idParameter], success: [("200", D.json("The job", D.ref("Job")))]),
        A.op("post", "/api/v1/jobs/{id}/cancel", "cancelJob", "Cancel a queued or running job", tag: "jobs", access: .user,
             parameters: [A.idParameter], success: [("200", D.json("The job", D.ref("Job")))]),
    ]
}
