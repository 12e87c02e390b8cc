import Foundation
import Hummingbird
import HyperionCore

/// RAG models, uploads, documents, jobs and search under `/api/v1`.
struct KnowledgeController {
    let auth: AuthService
    /// Per-caller request budgets of authenticated routes (none unless configured).
    var budgets = RequestBudgets.none
    let knowledge: KnowledgeService
    let body: JSONBody
    let uploadLimit: Int

    func addRoutes(to router: Router<AppRequestContext>) {
        let api = router.group("/api/v1").add(middleware: AuthenticationMiddleware(auth: auth)).add(limit: budgets.requests)

        // MARK: models
        api.post("/models") { request, context in
            let caller = try context.caller.user
            let input = try await body.decode(CreateModelRequest.self, from: request)
            var model = KnowledgeBase(ownerID: caller.id, name: input.name, description: input.description,
                                 visibility: try SettingsInput.visibility(input.visibility) ?? .private,
                                 embeddingModel: input.embedding ?? knowledge.embedder.modelID)
            try SettingsInput.apply(chunking: input.chunking, retrieval: input.retrieval, llm: input.llm, to: &model)
            return EditedResponse(status: .created, response: ModelResponse(try await knowledge.createModel(model, caller: caller), documentCount: 0, chunkCount: 0))
        }
        api.get("/models") { request, context in
            let caller = try context.caller.user
            let page = try await knowledge.listModels(caller: caller, page: try request.pageRequest)
            return ListResponse(page.map { ModelResponse($0) })
        }
        api.get("/models/:id") { _, context in
            let model = try await knowledge.visibleModel(try context.uuidParameter("id"), caller: try context.caller.user)
            let counts = try await knowledge.counts(of: model)
            return ModelResponse(model, documentCount: counts.documents, chunkCount: counts.chunks)
        }
        api.patch("/models/:id") { request, context in
            let input = try await body.decode(UpdateModelRequest.self, from: request)
            let model = try await knowledge.updateModel(try context.uuidParameter("id"), caller: try context.caller.user) { model in
                if let name = input.name { model.name = name }
                if input.description != nil { model.description = input.description }
                if let visibility = try SettingsInput.visibility(input.visibility) { model.visibility = visibility }
                if let embedding = input.embedding { model.embeddingModel = embedding }
                try SettingsInput.apply(chunking: input.chunking, retrieval: input.retrieval, llm: input.llm, to: &model)
            }
            return ModelResponse(model)
        }
        api.delete("/models/:id") { _, context in
            try await knowledge.deleteModel(try context.uuidParameter("id"), caller: try context.caller.user)
            return Response(status: .noContent)
        }

        api.post("/models/:id/train") { _, context in
            let job = try await knowledge.train(try context.uuidParameter("id"), caller: try context.caller.user)
            return EditedResponse(status: .accepted, response: JobResponse(job))
        }

        // MARK: uploads and documents
        api.post("/upload") { request, context in
            let form = try await MultipartForm.read(request, requestLimit: uploadLimit, fileLimit: knowledge.maxFileSize)
            guard let raw = form.field("model_id") else { throw HyperionError.invalid("model_id", "is required") }
            guard let modelID = UUID(uuidString: raw.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw HyperionError.invalid("model_id", "must be a UUID")
            }
            return try await upload(form, modelID: modelID, context: context)
        }
        api.post("/models/:id/documents") { request, context in
            let modelID = try context.uuidParameter("id")
            let form = try await MultipartForm.read(request, requestLimit: uploadLimit, fileLimit: knowledge.maxFileSize)
            return try await upload(form, modelID: modelID, context: context)
        }
        api.get("/models/:id/documents") { request, context in
            let model = try await knowledge.visibleModel(try context.uuidParameter("id"), caller: try context.caller.user)
            var status: DocumentStatus?
            if let raw = request.uri.queryParameters["status"] {
                guard let value = DocumentStatus(rawValue: String(raw)) else {
                    throw HyperionError.invalid("status", "must be one of \(DocumentStatus.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                status = value
            }
            let page = try await knowledge.listDocuments(of: model, status: status, page: try request.pageRequest)
            return ListResponse(page.map(DocumentResponse.init))
        }
        api.get("/documents/:id") { _, context in
            DocumentResponse(try await knowledge.visibleDocument(try context.uuidParameter("id"), caller: try context.caller.user).0)
        }
        api.delete("/documents/:id") { _, context in
            try await knowledge.deleteDocument(try context.uuidParameter("id"), caller: try context.caller.user)
            return Response(status: .noContent)
        }
        api.get("/documents/:id/content") { _, context in
            let (document, _) = try await knowledge.visibleDocument(try context.uuidParameter("id"), caller: try context.caller.user)
            let data = try knowledge.originalFile(document)
            let safeName = document.filename.unicodeScalars.filter { $0.isASCII && $0 != "\"" && $0 != "\\" && $0.value >= 0x20 }
            return Response(
                status: .ok,
                headers: [.contentType: document.format.mediaType, .contentDisposition: "attachment; filename=\"\(String(String.UnicodeScalarView(safeName)))\""],
                body: .init(byteBuffer: ByteBuffer(data: data))
            )
        }
        api.get("/documents/:id/chunks") { request, context in
            let (document, model) = try await knowledge.visibleDocument(try context.uuidParameter("id"), caller: try context.caller.user)
            let page = try await knowledge.chunks(of: document, in: model, page: try request.pageRequest)
            return ListResponse(page.map(ChunkResponse.init))
        }

        // MARK: jobs
        api.get("/jobs/:id") { _, context in
            JobResponse(try await knowledge.visibleJob(try context.uuidParameter("id"), caller: try context.caller.user))
        }
        api.post("/jobs/:id/cancel") { _, context in
            JobResponse(try await knowledge.cancelJob(try context.uuidParameter("id"), caller: try context.caller.user))
        }

        // MARK: search
        api.post("/models/:id/search") { request, context in
            let input = try await body.decode(SearchRequest.self, from: request)
            let mode = try SettingsInput.mode(input.mode, field: "mode")
            let filter = try input.filters?.searchFilter() ?? SearchFilter()
            let hits = try await knowledge.search(modelID: try context.uuidParameter("id"), query: input.query, topK: input.top_k,
                                                  mode: mode, filter: filter, metadata: input.filters?.metadata ?? [:], caller: try context.caller.user)
            return SearchResponse(query: input.query, mode: (mode ?? .hybrid).rawValue, results: hits.map { hit in
                SearchResponse.Hit(
                    chunk_id: hit.chunk.id.lowercasedString, document_id: hit.chunk.documentID.lowercasedString,
                    document_title: hit.documentTitle, text: hit.chunk.text, page: hit.chunk.page, heading_path: hit.chunk.headingPath,
                    score: hit.item.score, vector: hit.item.vector.map { .init(rank: $0.rank, score: $0.score) },
                    keyword: hit.item.keyword.map { .init(rank: $0.rank, score: $0.score) }
                )
            })
        }
    }

    /// Handles both upload routes once the form is read.
    private func upload(_ form: MultipartForm, modelID: UUID, context: AppRequestContext) async throws -> EditedResponse<UploadResponse> {
        let parts = form.files(named: "file")
        guard !parts.isEmpty else { throw HyperionError.invalid("file", "at least one file part is required") }
        var metadataJSON: String?
        if let raw = form.field("metadata"), !raw.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            guard case .object? = try? JSONDecoder().decode(JSONValue.self, from: Data(raw.utf8)) else {
                throw HyperionError.invalid("metadata", "must be a JSON object")
            }
            guard raw.utf8.count <= 16_384 else { throw HyperionError.invalid("metadata", "must be at most 16 KB") }
            metadataJSON = raw
        }
        let tags = form.fields("tags").flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard tags.count <= 50, tags.allSatisfy({ $0.count <= 100 }) else { throw HyperionError.invalid("tags", "at most 50 tags of at most 100 characters") }
        let files = parts.map { KnowledgeService.UploadFile(filename: $0.filename ?? "upload", data: $0.data, tooLarge: $0.tooLarge) }
        let (job, results) = try await knowledge.upload(modelID: modelID, files: files, tags: Array(Set(tags)).sorted(),
                                                        metadataJSON: metadataJSON, caller: try context.caller.user)
        // Nothing accepted: answer with the first refusal's status, naming the file.
        if results.allSatisfy({ $0.outcome == .rejected }), let error = results.first?.error { throw error }
        let response = UploadResponse(job_id: job?.id.lowercasedString, documents: results.map { result in
            UploadResponse.File(
                filename: result.filename, status: result.outcome.rawValue, document_id: result.document?.id.lowercasedString,
                error: result.error.map { UploadResponse.FileError(status: $0.kind.status.code, code: $0.code, detail: $0.message) }
            )
        })
        return EditedResponse(status: .accepted, response: response)
    }
}
