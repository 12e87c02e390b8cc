import Foundation
import HyperionCore
import Testing
@testable import HyperionIndex

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("hyperion-index-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Suite struct PersistenceTests {
    @Test(arguments: [false, true])
    func vectorIndexRoundTrips(graph: Bool) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let vectors = randomVectors(1_500, dimension: 16)
        let index = LocalVectorIndex(dimension: 16, settings: .init(exactThreshold: graph ? 500 : 100_000))
        try index.addSync(entries(vectors))
        index.removeSync(ids: ["c1", "c2", "c3"])
        let file = dir.appendingPathComponent("v.hyv")
        try index.save(to: file)
        let loaded = try LocalVectorIndex.load(from: file, settings: .init(exactThreshold: graph ? 500 : 100_000))
        #expect(loaded.liveCount == index.liveCount)
        #expect(loaded.usesGraph == graph)
        for query in randomVectors(10, dimension: 16, seed: 8) {
            #expect(try loaded.searchSync(query, k: 10, filter: SearchFilter(anyTags: ["three"])) == index.searchSync(query, k: 10, filter: SearchFilter(anyTags: ["three"])))
        }
        #expect(!loaded.contains("c2"))
        // Still writable after loading.
        try loaded.addSync([VectorEntry(id: "new", vector: vectors[2], metadata: .init(documentID: "dx"))])
        #expect(try loaded.searchSync(vectors[2], k: 1).first?.id == "new")
    }

    @Test func damagedFilesAreDetectedAndRebuilt() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let vectors = randomVectors(300, dimension: 8)
        let index = LocalVectorIndex(dimension: 8)
        try index.addSync(entries(vectors))
        let file = dir.appendingPathComponent("v.hyv")
        try index.save(to: file)
        let good = try Data(contentsOf: file)

        // A flipped bit, a torn tail, and garbage all fail the checks.
        var flipped = good
        flipped[good.count / 2] ^= 0x10
        for damaged in [flipped, good.prefix(good.count - 100), Data("not an index".utf8), Data()] {
            try damaged.write(to: file)
            #expect(throws: IndexFileError.self) { try LocalVectorIndex.load(from: file) }
        }

        // openOrRebuild falls back to the store's embeddings and rewrites a good file.
        try flipped.write(to: file)
        var rebuilt = false
        let (recovered, problem) = try await LocalVectorIndex.openOrRebuild(at: file, dimension: 8) {
            rebuilt = true
            return entries(vectors)
        }
        #expect(rebuilt)
        if case .corrupt = problem {} else { Issue.record("expected a corrupt-file reason, got \(String(describing: problem))") }
        #expect(recovered.liveCount == 300)
        #expect(try LocalVectorIndex.load(from: file).liveCount == 300)

        // A dimension that disagrees with the embedder is an error, not a silent rebuild.
        await #expect(throws: HyperionError.self) {
            _ = try await LocalVectorIndex.openOrRebuild(at: file, dimension: 9) { [] }
        }
    }

    @Test func keywordIndexRoundTripsAndDetectsDamage() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let index = BM25Index()
        try index.addSync(sampleDocuments())
        index.removeSync(ids: ["k2"])
        let file = dir.appendingPathComponent("k.hyk")
        try index.save(to: file)
        let loaded = try BM25Index.load(from: file)
        for query in ["cats", "dog runs", "the quick fox", "nothing matches zzz"] {
            #expect(loaded.searchSync(query, k: 10) == index.searchSync(query, k: 10))
        }
        var bytes = try Data(contentsOf: file)
        bytes[bytes.count - 20] ^= 0xFF
        try bytes.write(to: file)
        #expect(throws: IndexFileError.self) { try BM25Index.load(from: file) }
        #expect(throws: IndexFileError.self) { try BM25Index.load(from: dir.appendingPathComponent("missing")) }
    }

    @Test func aSavedVectorIndexOf100kVectorsLoadsFast() throws {
        // Not a timing assertion (that belongs to the benchmark): proves load works at this size.
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let index = LocalVectorIndex(dimension: 8, settings: .init(exactThreshold: 1_000_000))
        try index.addSync((0..<100_000).map { VectorEntry(id: "v\($0)", vector: [Float($0 % 97) + 1, 1, 2, 3, 4, 5, 6, Float($0 % 13)], metadata: .init(documentID: "d\($0 / 10)")) })
        let file = dir.appendingPathComponent("big.hyv")
        try index.save(to: file)
        #expect(try LocalVectorIndex.load(from: file).liveCount == 100_000)
    }
}
