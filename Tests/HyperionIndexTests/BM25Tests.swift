import Foundation
import HyperionCore
import Testing
@testable import HyperionIndex

func sampleDocuments() -> [KeywordEntry] {
    [
        KeywordEntry(id: "k1", text: "Cats, cats and a dog.", metadata: .init(documentID: "d1", tags: ["pets"])),
        KeywordEntry(id: "k2", text: "The dog", metadata: .init(documentID: "d2", tags: ["pets"])),
        KeywordEntry(id: "k3", text: "Fish; birds!", metadata: .init(documentID: "d3", tags: ["wild"])),
    ]
}

@Suite struct BM25Tests {
    let classic = BM25Parameters(k1: 1.2, b: 0.75)

    /// Terms after analysis: k1 = [cat, cat, dog] (3), k2 = [dog] (1), k3 = [fish, bird] (2); avgdl = 2.
    /// Expected values computed by hand from idf = ln(1 + (N − df + 0.5)/(df + 0.5)) and
    /// tf·(k1+1)/(tf + k1·(1 − b + b·dl/avgdl)).
    @Test func scoresMatchHandComputedValues() throws {
        let index = BM25Index(parameters: classic)
        try index.addSync(sampleDocuments())
        let cat = index.searchSync("cat", k: 10)
        #expect(cat.map(\.id) == ["k1"])
        #expect(abs(cat[0].score - 1.1823695) < 1e-5)

        let dog = index.searchSync("dogs", k: 10)
        #expect(dog.map(\.id) == ["k2", "k1"])  // the shorter document wins
        #expect(abs(dog[0].score - 0.5908617) < 1e-5)
        #expect(abs(dog[1].score - 0.3901917) < 1e-5)

        // Deleting k2 changes N, df and avgdl at once: N = 2, avgdl = 2.5.
        index.removeSync(ids: ["k2"])
        let after = index.searchSync("dog", k: 10)
        #expect(after.map(\.id) == ["k1"])
        #expect(abs(after[0].score - 0.6407243) < 1e-5)
    }

    @Test func parametersCanBeOverriddenPerSearch() throws {
        let index = BM25Index(parameters: classic)
        try index.addSync(sampleDocuments())
        // b = 0 ignores length: both documents have tf 1 for "dog" → equal scores, ties by slot.
        let flat = index.searchSync("dog", k: 10, parameters: BM25Parameters(k1: 1.2, b: 0))
        #expect(flat.count == 2 && abs(flat[0].score - flat[1].score) < 1e-6)
    }

    @Test func filtersDeletesAndReplacement() throws {
        let index = BM25Index(parameters: classic)
        try index.addSync(sampleDocuments())
        #expect(index.searchSync("dog", k: 10, filter: SearchFilter(documentIDs: ["d1"])).map(\.id) == ["k1"])
        #expect(index.searchSync("dog fish", k: 10, filter: SearchFilter(anyTags: ["wild"])).map(\.id) == ["k3"])
        // Replacing k3's text: the old words are gone, the new ones found.
        try index.addSync([KeywordEntry(id: "k3", text: "horses", metadata: .init(documentID: "d3"))])
        #expect(index.searchSync("fish", k: 10).isEmpty)
        #expect(index.searchSync("horse", k: 10).map(\.id) == ["k3"])
        #expect(index.liveCount == 3)
        index.removeSync(documentIDs: ["d1", "d2"])
        #expect(index.searchSync("dog cat", k: 10).isEmpty)
        index.compact()
        #expect(index.searchSync("horse", k: 10).map(\.id) == ["k3"])
    }

    @Test func emptyAndStopWordQueriesReturnNothing() throws {
        let index = BM25Index()
        try index.addSync(sampleDocuments())
        #expect(index.searchSync("", k: 10).isEmpty)
        #expect(index.searchSync("   ", k: 10).isEmpty)
        #expect(index.searchSync("the and of", k: 10).isEmpty)
        #expect(index.searchSync("dog", k: 0).isEmpty)
        #expect(BM25Index().searchSync("dog", k: 3).isEmpty)
    }
}

@Suite struct FusionTests {
    func hits(_ ids: [String], scores: [Float]) -> [IndexHit] {
        zip(ids, scores).map { IndexHit(id: $0, documentID: "doc-" + $0.prefix(1), score: $1) }
    }

    @Test func reciprocalRankFusionKeepsPerModeRanks() {
        let vector = hits(["a1", "b1", "c1"], scores: [0.9, 0.8, 0.7])
        let keyword = hits(["c1", "a1", "d1"], scores: [12, 8, 3])
        let fused = Fusion.reciprocalRank(k: 60).fuse(vector: vector, keyword: keyword, granularity: .chunk, limit: 10)
        #expect(fused.map(\.id) == ["a1", "c1", "b1", "d1"])
        #expect(abs(fused[0].score - (1.0 / 61 + 1.0 / 62)) < 1e-12)
        #expect(fused[0].vector == ModeRank(rank: 1, score: 0.9) && fused[0].keyword == ModeRank(rank: 2, score: 8))
        #expect(fused[2].keyword == nil && fused[3].vector == nil)
    }

    @Test func weightedFusionNormalisesEachRanking() {
        let vector = hits(["a1", "b1"], scores: [0.9, 0.5])
        let keyword = hits(["b1", "a1"], scores: [20, 10])
        // a: 0.7·1 + 0.3·0 = 0.7; b: 0.7·0 + 0.3·1 = 0.3.
        let fused = Fusion.weighted(vectorWeight: 0.7).fuse(vector: vector, keyword: keyword, granularity: .chunk, limit: 10)
        #expect(fused.map(\.id) == ["a1", "b1"])
        #expect(abs(fused[0].score - 0.7) < 1e-9 && abs(fused[1].score - 0.3) < 1e-9)
    }

    @Test func documentGranularityKeepsTheBestChunkPerDocument() {
        let vector = [IndexHit(id: "x#0", documentID: "x", score: 0.9), IndexHit(id: "x#1", documentID: "x", score: 0.8),
                      IndexHit(id: "y#0", documentID: "y", score: 0.7)]
        let keyword = [IndexHit(id: "y", documentID: "y", score: 5)]
        let fused = Fusion.reciprocalRank(k: 60).fuse(vector: vector, keyword: keyword, granularity: .document, limit: 10)
        #expect(fused.map(\.documentID) == ["y", "x"])
        #expect(fused[0].vector?.rank == 2 && fused[0].keyword?.rank == 1)
        #expect(Fusion.single(vector, mode: .vector, granularity: .document, limit: 5).map(\.id) == ["x#0", "y#0"])
    }
}

@Suite struct MetricsTests {
    @Test func metricsMatchHandComputedValues() {
        // Relevant: a (grade 2), c (grade 1); b is judged irrelevant.
        let judgements = ["a": 2, "b": 0, "c": 1]
        let m = RetrievalMetrics.score(ranking: ["b", "a", "x", "c"], judgements: judgements)
        let dcg = 2 / log2(3.0) + 1 / log2(5.0)
        let idcg = 2 / log2(2.0) + 1 / log2(3.0)
        #expect(abs(m.ndcgAt10 - dcg / idcg) < 1e-12)
        #expect(m.recallAt10 == 1 && m.recallAt100 == 1)
        #expect(m.mrrAt10 == 0.5)

        let miss = RetrievalMetrics.score(ranking: (0..<10).map { "n\($0)" } + ["a"], judgements: judgements)
        #expect(miss.ndcgAt10 == 0 && miss.recallAt10 == 0 && miss.recallAt100 == 0.5 && miss.mrrAt10 == 0)
        let perfect = RetrievalMetrics.score(ranking: ["a", "c"], judgements: judgements)
        #expect(abs(perfect.ndcgAt10 - 1) < 1e-12)
        let mean = RetrievalMetrics.mean([perfect, miss])
        #expect(abs(mean.ndcgAt10 - 0.5) < 1e-12 && mean.recallAt100 == 0.75)
    }

    @Test func qrelsInBEIRAndTRECLayouts() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let beir = dir.appendingPathComponent("q.tsv"), trec = dir.appendingPathComponent("q.trec")
        try "query-id\tcorpus-id\tscore\n1\tA\t1\n1\tB\t2\n2\tC\t0\n".write(to: beir, atomically: true, encoding: .utf8)
        try "1 0 A 1\n1 0 B 2\n2 0 C 0\n".write(to: trec, atomically: true, encoding: .utf8)
        let expected = ["1": ["A": 1, "B": 2], "2": ["C": 0]]
        #expect(try BEIRDataset.readQrels(beir) == expected)
        #expect(try BEIRDataset.readQrels(trec) == expected)
        try "1 A\n".write(to: trec, atomically: true, encoding: .utf8)
        #expect(throws: EvaluationError.self) { try BEIRDataset.readQrels(trec) }
    }

    @Test func longTextsAreCutIntoWindowsThatFit() {
        let words = (0..<100).map { "w\($0)" }.joined(separator: " ")
        let windows = PassageWindows(budget: 30, overlap: 0.25).split(words) { $0.split(separator: " ").count }
        #expect(windows.count > 3)
        #expect(windows.allSatisfy { $0.split(separator: " ").count <= 30 })
        #expect(windows.first!.hasPrefix("w0 ") && windows.last!.hasSuffix("w99"))
        #expect(PassageWindows(budget: 30).split("short text") { $0.split(separator: " ").count } == ["short text"])
    }
}
