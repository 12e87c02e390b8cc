import Foundation
import HyperionCore

/// Makes query caches for ``QueryCacheConformance``: `make(capacity, ttl)` gives an empty cache holding at least
/// `capacity` entries that expire after `ttl`.
public struct QueryCacheHarness: Sendable {
    let make: @Sendable (_ capacity: Int, _ ttl: Duration) async throws -> any QueryCache

    /// A harness over a factory of empty caches.
    public init(make: @escaping @Sendable (_ capacity: Int, _ ttl: Duration) async throws -> any QueryCache) {
        self.make = make
    }
}

/// What every ``QueryCache`` must do: give back what was stored under an equal key, never under a different one
/// (another generation, index state, question, k, mode or filter), keep every field of the results, and forget
/// entries after their time to live.
public enum QueryCacheConformance {
    /// Every check of the suite.
    public static let checks: [ConformanceCheck<QueryCacheHarness>] = [
        .init("a stored result comes back whole under an equal key") { harness in
            let cache = try await harness.make(100, .seconds(60))
            let first = key()
            try expect(await cache.hits(for: first) == nil, "an empty cache answered")
            let stored = hits(3)
            await cache.store(stored, for: first)
            let found = await cache.hits(for: key(query: "  What   is RAG?  "))
            try expectEqual(found?.map(\.item), stored.map(\.item), "items (ranks and scores) under a key differing only in case and spaces")
            try expectEqual(found?.map(\.chunk), stored.map(\.chunk), "chunks")
            try expectEqual(found?.map(\.documentTitle), stored.map(\.documentTitle), "titles")
        },
        .init("a different key never gets another key's result") { harness in
            let cache = try await harness.make(100, .seconds(60))
            await cache.store(hits(2), for: key())
            let generation = IndexGeneration(knowledgeBase: knowledgeBase, number: 1)
            let others = [
                RetrievalCacheKey(generation: IndexGeneration(knowledgeBase: knowledgeBase, number: 2), indexChanges: 5, query: "what is rag?", k: 5, mode: .hybrid, filter: .none),
                RetrievalCacheKey(generation: IndexGeneration(knowledgeBase: UUID(), number: 1), indexChanges: 5, query: "what is rag?", k: 5, mode: .hybrid, filter: .none),
                RetrievalCacheKey(generation: generation, indexChanges: 6, query: "what is rag?", k: 5, mode: .hybrid, filter: .none),
                RetrievalCacheKey(generation: generation, indexChanges: 5, query: "what is a rag?", k: 5, mode: .hybrid, filter: .none),
                RetrievalCacheKey(generation: generation, indexChanges: 5, query: "what is rag?", k: 6, mode: .hybrid, filter: .none),
                RetrievalCacheKey(generation: generation, indexChanges: 5, query: "what is rag?", k: 5, mode: .vector, filter: .none),
                RetrievalCacheKey(generation: generation, indexChanges: 5, query: "what is rag?", k: 5, mode: .hybrid, filter: SearchFilter(documentIDs: ["d"])),
                RetrievalCacheKey(generation: generation, indexChanges: 5, query: "what is rag?", k: 5, mode: .hybrid, filter: SearchFilter(anyTags: ["t"])),
            ]
            for other in others { try expect(await cache.hits(for: other) == nil, "key \(other) got another key's result") }
            try expect(await cache.hits(for: key()) != nil, "the stored key lost its result")
        },
        .init("a newer result replaces the stored one; an empty result is a result") { harness in
            let cache = try await harness.make(100, .seconds(60))
            await cache.store(hits(2), for: key())
            await cache.store(hits(4), for: key())
            try expectEqual(await cache.hits(for: key())?.count, 4, "results after a second store")
            await cache.store([], for: key(query: "nothing matches"))
            try expectEqual(await cache.hits(for: key(query: "nothing matches"))?.count, 0, "an empty result")
        },
        .init("entries expire after their time to live") { harness in
            let cache = try await harness.make(100, .seconds(1))
            await cache.store(hits(1), for: key())
            try expect(await cache.hits(for: key()) != nil, "a fresh entry")
            try await Task.sleep(for: .milliseconds(2200))
            try expect(await cache.hits(for: key()) == nil, "an entry older than its time to live")
        },
    ]

    static let knowledgeBase = UUID(uuidString: "00000000-0000-4000-8000-000000000001")!

    static func key(query: String = "What is RAG?") -> RetrievalCacheKey {
        RetrievalCacheKey(generation: IndexGeneration(knowledgeBase: knowledgeBase, number: 1), indexChanges: 5, query: query, k: 5,
                          mode: .hybrid, filter: .none)
    }

    static func hits(_ count: Int) -> [ScoredChunk] {
        let document = UUID()
        return (0..<count).map { i in
            let chunk = ChunkRecord(documentID: document, modelID: knowledgeBase, generation: 1, ordinal: i, text: "chunk \(i) — ünïcode ✓",
                                    page: i == 0 ? nil : i, headingPath: ["Intro", "Part \(i)"], startOffset: i * 10, endOffset: i * 10 + 9,
                                    tokenCount: 4, embedding: [0.5, -0.25, Float(i)])
            return ScoredChunk(item: RetrievedItem(id: chunk.id.uuidString, documentID: document.uuidString, score: 1 / Double(i + 1),
                                                   vector: ModeRank(rank: i + 1, score: 0.9), keyword: i == 0 ? nil : ModeRank(rank: i, score: 3.5)),
                               chunk: chunk, documentTitle: "Title \(i)")
        }
    }
}
