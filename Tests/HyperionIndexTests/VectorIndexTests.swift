import Foundation
import HyperionCore
import Testing
@testable import HyperionIndex

/// Seeded random unit vectors, some clustered, so tests are reproducible.
func randomVectors(_ count: Int, dimension: Int, seed: UInt64 = 7) -> [[Float]] {
    var rng = SplitMix64(state: seed)
    let centres = (0..<16).map { _ in (0..<dimension).map { _ in Float(rng.unit() * 2 - 1) } }
    return (0..<count).map { i in
        let centre = centres[i % centres.count]
        return centre.map { $0 + Float(rng.unit() * 2 - 1) * 0.6 }
    }
}

func entries(_ vectors: [[Float]], documents: Int = 10) -> [VectorEntry] {
    vectors.enumerated().map { i, v in
        VectorEntry(id: "c\(i)", vector: v, metadata: EntryMetadata(documentID: "d\(i % documents)", tags: i % 3 == 0 ? ["three"] : ["other"]))
    }
}

/// Brute force in Double, the reference for every search.
func bruteForce(_ vectors: [[Float]], _ query: [Float], k: Int, metric: VectorMetric, where admit: (Int) -> Bool = { _ in true }) -> [String] {
    func norm(_ v: [Float]) -> [Double] {
        let d = v.map(Double.init)
        guard metric == .cosine else { return d }
        let n = d.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return d.map { $0 / n }
    }
    let q = norm(query)
    let scored = vectors.enumerated().filter { admit($0.offset) }.map { i, v -> (Int, Double) in
        let x = norm(v)
        switch metric {
        case .cosine, .dot: return (i, zip(x, q).reduce(0) { $0 + $1.0 * $1.1 })
        case .l2: return (i, -zip(x, q).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) })
        }
    }
    return scored.sorted { $0.1 > $1.1 }.prefix(k).map { "c\($0.0)" }
}

@Suite struct VectorIndexTests {
    @Test(arguments: VectorMetric.allCases)
    func exactSearchMatchesBruteForce(metric: VectorMetric) throws {
        let vectors = randomVectors(500, dimension: 24)
        let index = LocalVectorIndex(dimension: 24, settings: .init(metric: metric, exactThreshold: 10_000))
        try index.addSync(entries(vectors))
        #expect(!index.usesGraph)
        for query in randomVectors(20, dimension: 24, seed: 99) {
            let hits = try index.searchSync(query, k: 10)
            #expect(hits.map(\.id) == bruteForce(vectors, query, k: 10, metric: metric))
            #expect(zip(hits, hits.dropFirst()).allSatisfy { $0.score >= $1.score })
        }
    }

    @Test func hnswRecallAtTenIsAtLeast95Percent() throws {
        let dimension = 32
        let vectors = randomVectors(5_000, dimension: dimension)
        // Uniform noise in 32 dimensions is hard for any graph index; efSearch 128 reaches ~0.98 here.
        let index = LocalVectorIndex(dimension: dimension, settings: .init(efSearch: 128, exactThreshold: 1_000))
        try index.addSync(entries(vectors))
        #expect(index.usesGraph)
        var found = 0, total = 0
        for query in randomVectors(100, dimension: dimension, seed: 1234) {
            let truth = Set(bruteForce(vectors, query, k: 10, metric: .cosine))
            found += try index.searchSync(query, k: 10).filter { truth.contains($0.id) }.count
            total += 10
        }
        let recall = Double(found) / Double(total)
        #expect(recall >= 0.95, "recall@10 \(recall)")
    }

    @Test func graphGrowsIncrementallyAcrossTheThreshold() throws {
        let vectors = randomVectors(1_200, dimension: 16)
        let index = LocalVectorIndex(dimension: 16, settings: .init(exactThreshold: 500))
        for start in stride(from: 0, to: vectors.count, by: 100) {
            try index.addSync(Array(entries(vectors)[start..<start + 100]))
            #expect(index.usesGraph == (start + 100 >= 500))
        }
        // Every vector finds itself first once inserted incrementally.
        for i in stride(from: 0, to: vectors.count, by: 37) {
            #expect(try index.searchSync(vectors[i], k: 1).first?.id == "c\(i)")
        }
    }

    @Test(arguments: [false, true])
    func deletedIdsNeverComeBackUnderInterleavedWrites(graph: Bool) throws {
        let dimension = 12
        let pool = randomVectors(3_000, dimension: dimension, seed: 5)
        let index = LocalVectorIndex(dimension: dimension, settings: .init(exactThreshold: graph ? 200 : 100_000))
        var rng = SplitMix64(state: 11)
        var live = Set<String>()
        var deleted = Set<String>()
        var next = 0
        for _ in 0..<300 {
            switch rng.next() % 3 {
            case 0:
                let batch = (next..<min(next + 10, pool.count)).map { VectorEntry(id: "c\($0)", vector: pool[$0], metadata: .init(documentID: "d\($0 % 7)")) }
                try index.addSync(batch)
                for e in batch { live.insert(e.id); deleted.remove(e.id) }
                next += 10
            case 1:
                let victims = live.sorted().filter { _ in rng.next() % 4 == 0 }
                index.removeSync(ids: victims)
                for v in victims { live.remove(v); deleted.insert(v) }
            default:
                let query = pool[Int(rng.next() % UInt64(pool.count))]
                let hits = try index.searchSync(query, k: 20)
                #expect(hits.allSatisfy { !deleted.contains($0.id) && live.contains($0.id) })
                #expect(hits.count == min(20, live.count))
            }
        }
        #expect(index.liveCount == live.count)
        index.compact()
        #expect(index.slotCount == live.count)
        let hits = try index.searchSync(pool[0], k: live.count + 5)
        #expect(Set(hits.map(\.id)) == live)
    }

    @Test(arguments: [false, true])
    func filteredSearchStillReturnsKWhenKExist(graph: Bool) throws {
        let vectors = randomVectors(2_000, dimension: 16)
        let index = LocalVectorIndex(dimension: 16, settings: .init(exactThreshold: graph ? 100 : 100_000))
        try index.addSync(entries(vectors, documents: 100))
        let query = randomVectors(1, dimension: 16, seed: 3)[0]
        // One document: 20 chunks of 2,000.
        let oneDocument = try index.searchSync(query, k: 10, filter: SearchFilter(documentIDs: ["d42"]))
        #expect(oneDocument.map(\.id) == bruteForce(vectors, query, k: 10, metric: .cosine) { $0 % 100 == 42 })
        // A tag on a third of the chunks.
        let tagged = try index.searchSync(query, k: 10, filter: SearchFilter(anyTags: ["three"]))
        #expect(tagged.count == 10)
        #expect(tagged.allSatisfy { Int($0.id.dropFirst())! % 3 == 0 })
        // Both at once, and unknown values.
        let both = try index.searchSync(query, k: 50, filter: SearchFilter(documentIDs: ["d3", "d6"], anyTags: ["three"]))
        #expect(both.count == 14)  // chunks i ≡ 3 or 6 (mod 100) and i ≡ 0 (mod 3), i < 2000
        #expect(try index.searchSync(query, k: 5, filter: SearchFilter(documentIDs: ["nope"])).isEmpty)
    }

    @Test func replacingAnIdKeepsOneEntry() throws {
        let index = LocalVectorIndex(dimension: 3)
        try index.addSync([VectorEntry(id: "a", vector: [1, 0, 0], metadata: .init(documentID: "d"))])
        try index.addSync([VectorEntry(id: "a", vector: [0, 1, 0], metadata: .init(documentID: "d"))])
        #expect(index.liveCount == 1)
        let hits = try index.searchSync([0, 1, 0], k: 5)
        #expect(hits.map(\.id) == ["a"])
        #expect(abs(hits[0].score - 1) < 1e-6)
        index.removeSync(documentIDs: ["d"])
        #expect(try index.searchSync([0, 1, 0], k: 5).isEmpty)
    }

    @Test func badVectorsAreRefusedAndNothingIsWritten() throws {
        let index = LocalVectorIndex(dimension: 3)
        let good = VectorEntry(id: "ok", vector: [1, 2, 3], metadata: .init(documentID: "d"))
        #expect(throws: HyperionError.self) {
            try index.addSync([good, VectorEntry(id: "short", vector: [1, 2], metadata: .init(documentID: "d"))])
        }
        do {
            try index.addSync([good, VectorEntry(id: "nan", vector: [1, .nan, 3], metadata: .init(documentID: "d"))])
            Issue.record("NaN accepted")
        } catch let error as HyperionError {
            #expect(error.code == "invalid_vector")
        }
        do {
            _ = try index.searchSync([1, 2], k: 1)
            Issue.record("short query accepted")
        } catch let error as HyperionError {
            #expect(error.code == "dimension_mismatch")
            #expect(error.message.contains("2 dimensions") && error.message.contains("has 3"))
        }
        #expect(throws: HyperionError.self) { try index.searchSync([.infinity, 0, 0], k: 1) }
        #expect(index.liveCount == 0)
        #expect(try index.searchSync([], k: 3).isEmpty)
    }
}
