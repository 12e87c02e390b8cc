import HyperionCore
import Testing
@testable import HyperionIndex

/// A stand-in embedder: one dimension per vocabulary word, so similarity is word overlap.
struct BagOfWordsEmbedder: Embedder {
    let vocabulary = ["solar", "panel", "energy", "wind", "turbine", "battery", "storage", "grid"]
    var modelID: String { "bag-of-words" }
    var dimension: Int { vocabulary.count }

    func embed(_ texts: [String], purpose: EmbeddingPurpose) async throws -> [[Float]] {
        texts.map { text in
            let words = EnglishAnalyzer(stem: false).terms(text)
            return vocabulary.map { word in words.contains(word) ? 1 : 0.001 }
        }
    }
}

@Suite struct RetrieverTests {
    func makeRetriever(fusion: Fusion = .weighted(vectorWeight: 0.5), granularity: Granularity = .chunk) async throws -> Retriever {
        let texts = [
            ("a#0", "a", "solar panel energy"),
            ("a#1", "a", "battery storage"),
            ("b#0", "b", "wind turbine energy grid"),
            ("c#0", "c", "grid storage battery battery"),
        ]
        let embedder = BagOfWordsEmbedder()
        let vectors = LocalVectorIndex(dimension: embedder.dimension)
        let keywords = BM25Index()
        let embedded = try await embedder.embed(texts.map(\.2), purpose: .document)
        try await vectors.add(zip(texts, embedded).map { VectorEntry(id: $0.0, vector: $1, metadata: .init(documentID: $0.1, tags: [$0.1 == "c" ? "lab" : "field"])) })
        try await keywords.add(texts.map { KeywordEntry(id: $0.0, text: $0.2, metadata: .init(documentID: $0.1, tags: [$0.1 == "c" ? "lab" : "field"])) })
        return Retriever(embedder: embedder, vectors: vectors, keywords: keywords,
                         settings: RetrieverSettings(fusion: fusion, candidates: 10, granularity: granularity))
    }

    @Test(arguments: RetrievalMode.allCases)
    func everyModeFindsTheObviousChunk(mode: RetrievalMode) async throws {
        let retriever = try await makeRetriever()
        let results = try await retriever.retrieve("wind turbine", k: 2, mode: mode)
        #expect(results.first?.id == "b#0")
        #expect(results.count <= 2)
        switch mode {
        case .vector: #expect(results.allSatisfy { $0.vector != nil && $0.keyword == nil })
        case .keyword: #expect(results.allSatisfy { $0.keyword != nil && $0.vector == nil })
        case .hybrid: #expect(results[0].vector?.rank == 1 && results[0].keyword?.rank == 1)
        }
    }

    @Test func hybridExplainsEachResultAndHonoursFilters() async throws {
        let retriever = try await makeRetriever(fusion: .reciprocalRank(k: 60))
        let results = try await retriever.retrieve("battery storage", k: 4, mode: .hybrid)
        #expect(Set(results.prefix(2).map(\.id)) == ["a#1", "c#0"])
        for item in results where item.keyword != nil && item.vector != nil {
            let expected = 1 / (60 + Double(item.vector!.rank)) + 1 / (60 + Double(item.keyword!.rank))
            #expect(abs(item.score - expected) < 1e-12)
        }
        let lab = try await retriever.retrieve("battery storage", k: 4, mode: .hybrid, filter: SearchFilter(anyTags: ["lab"]))
        #expect(lab.map(\.id) == ["c#0"])
    }

    @Test func documentGranularityReturnsEachDocumentOnce() async throws {
        let retriever = try await makeRetriever(granularity: .document)
        let results = try await retriever.retrieve("energy battery storage", k: 10, mode: .hybrid)
        #expect(results.map(\.documentID).sorted() == ["a", "b", "c"])
    }

    @Test func blankQueriesReturnNothing() async throws {
        let retriever = try await makeRetriever()
        for mode in RetrievalMode.allCases {
            #expect(try await retriever.retrieve("", k: 5, mode: mode).isEmpty)
            #expect(try await retriever.retrieve(" \n\t", k: 5, mode: mode).isEmpty)
            #expect(try await retriever.retrieve("solar", k: 0, mode: mode).isEmpty)
        }
    }
}
