import Foundation
import HyperionCore

extension KnowledgeService {
    /// The best chunks of a model for a question, with their documents' titles; validated, filtered, cached.
    func search(modelID: UUID, query: String, topK: Int?, mode: RetrievalMode?, filter: SearchFilter,
                metadata: [String: JSONValue] = [:], caller: User) async throws -> [ScoredChunk] {
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
        let key = RetrievalCacheKey(generation: generation, indexChanges: catalog.changeCount, query: question.text, k: k, mode: resolvedMode, filter: filter)
        // A cached result is served only while every chunk in it still exists: a document deleted through another
        // instance (whose change this process's counter never saw) is never cited from here afterwards.
        if let hits = await cache.hits(for: key), try await store.documents.existingChunkIDs(hits.map(\.chunk.id)).count == hits.count {
            metrics?.cacheHits.increment()
            return hits
        }
        metrics?.cacheMisses.increment()
        let items: [RetrievedItem]
        do {
            let retriever = try await catalog.retriever(for: generation, embedder: embedder, settings: RetrieverSettings(candidates: max(50, k * 4)))
            // Ask for a few more than k: results whose chunk vanished (deleted meanwhile) are dropped below.
            items = try await retriever.retrieve(question.text, k: k + 10, mode: resolvedMode, filter: filter)
        } catch let error as IndexEngineError where error.reason == .needsTraining {
            try await store.knowledgeBases.setStatus(id: model.id, .needsTraining)
            throw error
        }
        let chunks = Dictionary(uniqueKeysWithValues: try await store.documents.chunks(ids: items.compactMap { UUID(uuidString: $0.id) }).map { ($0.id, $0) })
        let documents = Dictionary(uniqueKeysWithValues: try await store.documents.find(ids: Array(Set(chunks.values.map(\.documentID)))).map { ($0.id, $0) })
        var hits: [ScoredChunk] = []
        for item in items {
            guard let id = UUID(uuidString: item.id), let chunk = chunks[id], let document = documents[chunk.documentID] else { continue }
            hits.append(ScoredChunk(item: item, chunk: chunk, documentTitle: document.title))
            if hits.count == k { break }
        }
        // Only when nothing changed meanwhile: a result computed across a change must not outlive it.
        if catalog.changeCount == key.indexChanges { await cache.store(hits, for: key) }
        return hits
    }
}
