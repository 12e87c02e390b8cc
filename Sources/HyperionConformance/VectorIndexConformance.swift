import HyperionCore

/// Makes empty vector indexes of a given dimension for ``VectorIndexConformance``.
public struct VectorIndexHarness: Sendable {
    let make: @Sendable (_ dimension: Int) async throws -> any VectorIndex

    /// A harness over a factory of empty indexes.
    public init(make: @escaping @Sendable (_ dimension: Int) async throws -> any VectorIndex) {
        self.make = make
    }
}

/// What every ``VectorIndex`` must do: exact self-matches, best-first order, replacement by id, deletes by id and by
/// document, filters applied inside the search (a filtered top-k still has k results when k exist), concurrent
/// writers and readers.
public enum VectorIndexConformance {
    static let dimension = 16

    /// Every check of the suite.
    public static let checks: [ConformanceCheck<VectorIndexHarness>] = [
        .init("an empty index counts 0 and finds nothing") { harness in
            let index = try await harness.make(dimension)
            try expectEqual(index.dimension, dimension, "dimension")
            try expectEqual(try await index.count(), 0, "count")
            try expectEqual(try await index.search([Float](repeating: 0.25, count: dimension), k: 5, filter: .none).count, 0, "hits")
        },
        .init("each vector finds itself first, results best first and at most k") { harness in
            let index = try await harness.make(dimension)
            let entries = corpus(300, documents: 30, seed: 1)
            try await index.add(entries)
            try expectEqual(try await index.count(), 300, "count after adding 300")
            for entry in entries.prefix(60) {
                let hits = try await index.search(entry.vector, k: 10, filter: .none)
                try expectEqual(hits.count, 10, "hits for k = 10")
                try expectEqual(hits.first?.id, entry.id, "best hit for its own vector")
                try expectEqual(hits.first?.documentID, entry.metadata.documentID, "document of the best hit")
                try expect(zip(hits, hits.dropFirst()).allSatisfy { $0.score >= $1.score }, "scores must not increase: \(hits.map(\.score))")
                try expectEqual(Set(hits.map(\.id)).count, hits.count, "distinct ids")
            }
            try expectEqual(try await index.search(entries[0].vector, k: 1000, filter: .none).count, 300, "hits when k exceeds the count")
            try expectEqual(try await index.search(entries[0].vector, k: 0, filter: .none).count, 0, "hits for k = 0")
        },
        .init("similar vectors outrank dissimilar ones") { harness in
            let index = try await harness.make(dimension)
            var axis = [Float](repeating: 0, count: dimension)
            axis[0] = 1
            var near = axis
            near[1] = 0.2
            var far = axis
            far[0] = -1
            var orthogonal = [Float](repeating: 0, count: dimension)
            orthogonal[2] = 1
            try await index.add([("far", far), ("near", near), ("orthogonal", orthogonal)].map {
                VectorEntry(id: $0.0, vector: $0.1, metadata: EntryMetadata(documentID: "d"))
            })
            let hits = try await index.search(axis, k: 3, filter: .none)
            try expectEqual(hits.map(\.id), ["near", "orthogonal", "far"], "order by similarity")
        },
        .init("adding an existing id replaces the entry") { harness in
            let index = try await harness.make(dimension)
            var random = SplitMix64(seed: 2)
            let first = random.unitVector(dimension), second = random.unitVector(dimension)
            try await index.add(corpus(50, documents: 5, seed: 3))
            try await index.add([VectorEntry(id: "x", vector: first, metadata: EntryMetadata(documentID: "a"))])
            try await index.add([VectorEntry(id: "x", vector: second, metadata: EntryMetadata(documentID: "b"))])
            try expectEqual(try await index.count(), 51, "count after replacing")
            let hits = try await index.search(second, k: 1, filter: .none)
            try expectEqual(hits.first?.id, "x", "the new vector is found")
            try expectEqual(hits.first?.documentID, "b", "the new metadata is kept")
            try expectEqual(try await index.search(first, k: 60, filter: .none).filter { $0.id == "x" }.count, 1, "the old one is gone")
        },
        .init("removed ids are never returned; unknown ids are ignored") { harness in
            let index = try await harness.make(dimension)
            let entries = corpus(200, documents: 20, seed: 4)
            try await index.add(entries)
            let removed = Set(entries.prefix(100).map(\.id))
            try await index.remove(ids: Array(removed) + ["no-such-id"])
            try expectEqual(try await index.count(), 100, "count after removing 100")
            for entry in entries.prefix(30) {
                let hits = try await index.search(entry.vector, k: 200, filter: .none)
                try expect(hits.allSatisfy { !removed.contains($0.id) }, "a removed id came back")
                try expectEqual(hits.count, 100, "hits among the 100 left")
            }
            try await index.add([entries[0]])
            try expectEqual(try await index.search(entries[0].vector, k: 1, filter: .none).first?.id, entries[0].id, "re-added after removal")
        },
        .init("removing documents removes each of their entries") { harness in
            let index = try await harness.make(dimension)
            let entries = corpus(200, documents: 10, seed: 5)
            try await index.add(entries)
            try await index.remove(documentIDs: ["doc-0", "doc-1", "no-such-document"])
            let left = entries.filter { !["doc-0", "doc-1"].contains($0.metadata.documentID) }
            try expectEqual(try await index.count(), left.count, "count")
            let hits = try await index.search(entries[0].vector, k: 500, filter: .none)
            try expectEqual(Set(hits.map(\.id)), Set(left.map(\.id)), "what remains")
        },
        .init("a document filter keeps k results when k exist, however far they are") { harness in
            let index = try await harness.make(dimension)
            let entries = corpus(400, documents: 40, seed: 6)
            try await index.add(entries)
            let wanted: Set<String> = ["doc-7", "doc-23"]
            let matching = entries.filter { wanted.contains($0.metadata.documentID) }
            for query in entries.suffix(10) {
                let hits = try await index.search(query.vector, k: 5, filter: SearchFilter(documentIDs: wanted))
                try expectEqual(hits.count, 5, "filtered hits")
                try expect(hits.allSatisfy { wanted.contains($0.documentID) }, "a hit outside the filter: \(hits.map(\.documentID))")
            }
            let all = try await index.search(entries[0].vector, k: 100, filter: SearchFilter(documentIDs: wanted))
            try expectEqual(Set(all.map(\.id)), Set(matching.map(\.id)), "every matching entry for a large k")
            try expectEqual(try await index.search(entries[0].vector, k: 5, filter: SearchFilter(documentIDs: [])).count, 0, "an empty document set")
        },
        .init("a tag filter keeps entries carrying any of the tags") { harness in
            let index = try await harness.make(dimension)
            let entries = corpus(120, documents: 12, seed: 7)
            try await index.add(entries)
            for tag in ["even", "odd", "tag-3"] {
                let hits = try await index.search(entries[5].vector, k: 200, filter: SearchFilter(anyTags: [tag]))
                try expectEqual(Set(hits.map(\.id)), Set(entries.filter { $0.metadata.tags.contains(tag) }.map(\.id)), "entries tagged \(tag)")
            }
            let both = try await index.search(entries[5].vector, k: 200, filter: SearchFilter(documentIDs: ["doc-3", "doc-4"], anyTags: ["odd"]))
            try expectEqual(Set(both.map(\.documentID)), ["doc-3"], "documents and tags together")
        },
        .init("a vector of the wrong length is refused and changes nothing") { harness in
            let index = try await harness.make(dimension)
            try await index.add(corpus(5, documents: 1, seed: 8))
            try await expectThrows("adding a vector of length 3") {
                try await index.add([VectorEntry(id: "bad", vector: [1, 0, 0], metadata: EntryMetadata(documentID: "d"))])
            }
            try expectEqual(try await index.count(), 5, "count after a refused add")
        },
        .init("concurrent writers and readers lose nothing") { harness in
            let index = try await harness.make(dimension)
            let entries = corpus(400, documents: 40, seed: 9)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for part in 0..<8 {
                    group.addTask { try await index.add(Array(entries[(part * 50)..<(part * 50 + 50)])) }
                    group.addTask { _ = try await index.search(entries[part].vector, k: 5, filter: .none) }
                }
                try await group.waitForAll()
            }
            try expectEqual(try await index.count(), 400, "count after 8 concurrent writers")
            for entry in entries.striding(by: 17) {
                try expectEqual(try await index.search(entry.vector, k: 1, filter: .none).first?.id, entry.id, "best hit after concurrent adds")
            }
        },
    ]

    /// `count` random unit vectors over `documents` documents; tags "even"/"odd" by document and "tag-<document>".
    static func corpus(_ count: Int, documents: Int, seed: UInt64) -> [VectorEntry] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { i in
            let document = i % documents
            return VectorEntry(id: "chunk-\(i)", vector: random.unitVector(dimension),
                               metadata: EntryMetadata(documentID: "doc-\(document)", tags: [document % 2 == 0 ? "even" : "odd", "tag-\(document)"]))
        }
    }
}

extension Array {
    /// Every `step`-th element, from the first.
    func striding(by step: Int) -> [Element] { stride(from: 0, to: count, by: step).map { self[$0] } }
}
