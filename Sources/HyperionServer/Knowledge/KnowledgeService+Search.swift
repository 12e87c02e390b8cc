import Foundation
import HyperionCore
import HyperionStorage

extension KnowledgeService {
    /// The best chunks of a model for a question, with their documents' titles; validated, filtered, cached.
    func search(modelID: UUID, query: String, topK: Int?, mode: RetrievalMode?, filter: SearchFilter,
                metadata: [String: JSONValue] = [:], caller: User) async throws -> [ScoredChunk] {
        try await Spans.run("retrieve", .retriever) { span in
            let hits = try await cachedSearch(modelID: modelID, query: query, topK: topK, mode: mode, filter: filter, metadata: metadata,
                                              caller: caller, span: span)
            span.update { attributes in
                attributes["hyperion.knowledge_base.id"] = modelID.lowercasedString
                if span.recordsContent { attributes[OpenInference.inputValue] = query }
                for (index, hit) in hits.enumerated() {
                    attributes[OpenInference.document(index, "id")] = hit.chunk.id.lowercasedString
                    attributes[OpenInference.document(index, "score")] = hit.item.score
                    attributes[OpenInference.document(index, "metadata")] =
                        "{\"document_id\":\"\(hit.chunk.documentID.lowercasedString)\",\"page\":\(hit.chunk.page.map(String.init) ?? "null")}"
                    if span.recordsContent { attributes[OpenInference.document(index, "content")] = hit.chunk.text }
                }
            }
            return hits
        }
    }

    private func cachedSearch(modelID: UUID, query: String, topK: Int?, mode: RetrievalMode?, filter: SearchFilter,
                              metadata: [String: JSONValue], caller: User, span: SpanHandle) async throws -> [ScoredChunk] {
        let model = try await visibleModel(modelID, caller: caller)
        try checkEmbedder(model)
        var filter = filter
        if !metadata.isEmpty {
            // Metadata equality becomes a document-id filter, applied inside the index search like the others.
            let matching = try await store.documents.all(modelID: model.id).filter { document in
                guard let json = document.metadataJSON, let value = try? JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)) else { return false }
                return metadata.allSatisfy { key, expected in value[key] == expected }
            }.map(\.id.uuidString)
            filter.documentIDs = filter.documentIDs.map { $0.intersection(matching) } ?? Set(matching)
        }
        let question = try Question(query)
        let k = topK ?? model.retrieval.topK
        try Question.validate(topK: k)
        let resolvedMode = mode ?? model.retrieval.mode
        let generation = IndexGeneration(knowledgeBase: model.id, number: model.generation)
        let changesBefore = catalog.changeCount
        let version = try await cacheVersion.position(of: model.id, store: store, catalog: catalog)
        let key = RetrievalCacheKey(generation: generation, indexChanges: version.key, query: question.text, k: k, mode: resolvedMode, filter: filter)
        // A cached result is served only while every chunk in it still exists: a document deleted through another
        // instance (whose change this process's counter never saw) is never cited from here afterwards.
        span.set("hyperion.retrieval.mode", resolvedMode.rawValue)
        if let hits = await cache.hits(for: key), try await store.documents.existingChunkIDs(hits.map(\.chunk.id)).count == hits.count {
            metrics?.cacheHits.increment()
            span.set("hyperion.cache.hit", true)
            return hits
        }
        metrics?.cacheMisses.increment()
        span.set("hyperion.cache.hit", false)
        let items: [RetrievedItem]
        do {
            let retriever = try await catalog.retriever(for: generation, embedder: embedder, settings: RetrieverSettings(candidates: max(50, k * 4)))
            // Ask for a few more than k: results whose chunk vanished (deleted meanwhile) are dropped below.
            items = try await retriever.retrieve(question.text, k: k + 10, mode: resolvedMode, filter: filter)
        } catch let error as IndexEngineError where error.reason == .needsTraining {
            try await store.knowledgeBases.setStatus(id: model.id, .needsTraining)
            throw error
        }
        let (chunks, documents) = try await Spans.run("fetch chunks") { span in
            let chunks = Dictionary(uniqueKeysWithValues: try await store.documents.chunks(ids: items.compactMap { UUID(uuidString: $0.id) }).map { ($0.id, $0) })
            let documents = Dictionary(uniqueKeysWithValues: try await store.documents.find(ids: Array(Set(chunks.values.map(\.documentID)))).map { ($0.id, $0) })
            span.set("hyperion.chunks", chunks.count)
            return (chunks, documents)
        }
        var hits: [ScoredChunk] = []
        for item in items {
            guard let id = UUID(uuidString: item.id), let chunk = chunks[id], let document = documents[chunk.documentID] else { continue }
            hits.append(ScoredChunk(item: item, chunk: chunk, documentTitle: document.title))
            if hits.count == k { break }
        }
        // Only when nothing changed meanwhile (a result computed across a change must not outlive it), and when this
        // instance's indexes reflect the position the key names.
        if catalog.changeCount == changesBefore, version.indexesCaughtUp { await cache.store(hits, for: key) }
        return hits
    }
}

/// What a query cache key's index state is.
enum CacheVersion: Sendable {
    /// This process's catalog change counter: right for a cache of this process only.
    case processChanges
    /// The knowledge base's position in the store's change log, the same on every instance: right for a cache the
    /// instances share. With in-process indexes, `follower` says how far they have applied the log.
    case changeLog(follower: FollowerPosition?)

    /// The key part, and whether this instance's indexes reflect it (else a result must not be stored under it).
    func position(of knowledgeBase: UUID, store: Store, catalog: any IndexCatalog) async throws -> (key: Int, indexesCaughtUp: Bool) {
        switch self {
        case .processChanges:
            return (catalog.changeCount, true)
        case .changeLog(let follower):
            let position = try await store.indexChanges.latest(knowledgeBase: knowledgeBase)
            return (Int(position), follower.map { $0.applied >= position } ?? true)
        }
    }
}
