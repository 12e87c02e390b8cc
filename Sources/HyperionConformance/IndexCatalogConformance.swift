import Foundation
import HyperionCore

/// Opens index catalogs for ``IndexCatalogConformance``. Every call of `open` gives a new catalog instance over the
/// same storage (a restart of the process); storage starts empty for each check.
public struct IndexCatalogHarness: Sendable {
    let open: @Sendable () async throws -> any IndexCatalog

    /// A harness over a function that opens the catalog anew over one storage.
    public init(open: @escaping @Sendable () async throws -> any IndexCatalog) {
        self.open = open
    }
}

/// What every ``IndexCatalog`` must do: generations and knowledge bases kept apart, a document replaced in one
/// generation only, a delete reaching every generation at once, drops, a change counter that moves with every
/// change, persisted state surviving a restart, and concurrent writers.
public enum IndexCatalogConformance {
    /// Every check of the suite.
    public static let checks: [ConformanceCheck<IndexCatalogHarness>] = [
        .init("a new generation is empty and has the catalog's dimension") { harness in
            let catalog = try await harness.open()
            let indexes = try await catalog.indexes(of: IndexGeneration(knowledgeBase: UUID(), number: 1))
            try expectEqual(indexes.vectors.dimension, catalog.dimension, "dimension")
            try expectEqual(try await indexes.vectors.count(), 0, "vectors")
            try expectEqual(try await indexes.keywords.count(), 0, "keywords")
        },
        .init("generations and knowledge bases are kept apart") { harness in
            let catalog = try await harness.open()
            let kb = UUID(), other = UUID()
            let one = IndexGeneration(knowledgeBase: kb, number: 1), two = IndexGeneration(knowledgeBase: kb, number: 2)
            let elsewhere = IndexGeneration(knowledgeBase: other, number: 1)
            try await catalog.add(document("a", chunks: 3, dimension: catalog.dimension), to: one)
            try await catalog.add(document("b", chunks: 2, dimension: catalog.dimension), to: two)
            try await catalog.add(document("c", chunks: 4, dimension: catalog.dimension), to: elsewhere)
            try expectEqual(try await documents(in: one, of: catalog), ["a": 3], "generation 1")
            try expectEqual(try await documents(in: two, of: catalog), ["b": 2], "generation 2")
            try expectEqual(try await documents(in: elsewhere, of: catalog), ["c": 4], "the other knowledge base")
        },
        .init("replacing a document swaps its chunks in that generation only") { harness in
            let catalog = try await harness.open()
            let kb = UUID()
            let one = IndexGeneration(knowledgeBase: kb, number: 1), two = IndexGeneration(knowledgeBase: kb, number: 2)
            try await catalog.add(document("a", chunks: 5, dimension: catalog.dimension), to: one)
            try await catalog.add(document("a", chunks: 5, dimension: catalog.dimension), to: two)
            try await catalog.add(document("b", chunks: 2, dimension: catalog.dimension), to: one)
            try await catalog.replace(documentID: "a", with: document("a", chunks: 2, dimension: catalog.dimension, version: 2), in: one)
            try expectEqual(try await documents(in: one, of: catalog), ["a": 2, "b": 2], "generation 1 after the replace")
            try expectEqual(try await documents(in: two, of: catalog), ["a": 5], "generation 2 untouched")
            let keywordHits = try await catalog.indexes(of: one).keywords.search("version2", k: 10, filter: .none)
            try expectEqual(keywordHits.count, 2, "keyword hits of the new text")
            try expectEqual(try await catalog.indexes(of: one).keywords.search("version1", k: 10, filter: .none).filter { $0.documentID == "a" }.count,
                            0, "keyword hits of the old text")
            try await catalog.replace(documentID: "b", with: IndexEntries(), in: one)
            try expectEqual(try await documents(in: one, of: catalog), ["a": 2], "after replacing b by nothing")
        },
        .init("removing a document reaches every generation of its knowledge base at once") { harness in
            let catalog = try await harness.open()
            let kb = UUID(), other = UUID()
            let one = IndexGeneration(knowledgeBase: kb, number: 1), two = IndexGeneration(knowledgeBase: kb, number: 2)
            for generation in [one, two, IndexGeneration(knowledgeBase: other, number: 1)] {
                try await catalog.add(document("a", chunks: 3, dimension: catalog.dimension), to: generation)
                try await catalog.add(document("b", chunks: 1, dimension: catalog.dimension), to: generation)
            }
            try await catalog.persist(one)
            try await catalog.remove(documentID: "a", knowledgeBase: kb)
            try expectEqual(try await documents(in: one, of: catalog), ["b": 1], "generation 1")
            try expectEqual(try await documents(in: two, of: catalog), ["b": 1], "generation 2")
            try expectEqual(try await documents(in: IndexGeneration(knowledgeBase: other, number: 1), of: catalog), ["a": 3, "b": 1],
                            "another knowledge base")
            let vector = document("a", chunks: 1, dimension: catalog.dimension).vectors[0].vector
            try expect(try await catalog.indexes(of: one).vectors.search(vector, k: 10, filter: .none).allSatisfy { $0.documentID != "a" },
                       "a removed document came back from the vector index")
        },
        .init("dropping a generation or a knowledge base forgets it and nothing else") { harness in
            let catalog = try await harness.open()
            let kb = UUID(), other = UUID()
            let one = IndexGeneration(knowledgeBase: kb, number: 1), two = IndexGeneration(knowledgeBase: kb, number: 2)
            let elsewhere = IndexGeneration(knowledgeBase: other, number: 7)
            for generation in [one, two, elsewhere] {
                try await catalog.add(document("a", chunks: 2, dimension: catalog.dimension), to: generation)
                try await catalog.persist(generation)
            }
            try await catalog.drop(one)
            try expectEqual(try await documents(in: one, of: catalog), [:], "the dropped generation")
            try expectEqual(try await documents(in: two, of: catalog), ["a": 2], "its sibling")
            try await catalog.drop(knowledgeBase: kb)
            try expectEqual(try await documents(in: two, of: catalog), [:], "a generation of the dropped knowledge base")
            try expectEqual(try await documents(in: elsewhere, of: catalog), ["a": 2], "another knowledge base")
            let reopened = try await harness.open()
            try expectEqual(try await documents(in: two, of: reopened), [:], "the dropped knowledge base after a restart")
            try expectEqual(try await documents(in: elsewhere, of: reopened), ["a": 2], "the kept one after a restart")
        },
        .init("the change counter grows with every change") { harness in
            let catalog = try await harness.open()
            let generation = IndexGeneration(knowledgeBase: UUID(), number: 1)
            var last = catalog.changeCount
            func changed(_ what: String) throws {
                try expect(catalog.changeCount > last, "\(what) did not move the change counter")
                last = catalog.changeCount
            }
            try await catalog.add(document("a", chunks: 1, dimension: catalog.dimension), to: generation)
            try changed("add")
            try await catalog.replace(documentID: "a", with: document("a", chunks: 2, dimension: catalog.dimension), in: generation)
            try changed("replace")
            try await catalog.remove(documentID: "a", knowledgeBase: generation.knowledgeBase)
            try changed("remove")
            try await catalog.drop(generation)
            try changed("drop of a generation")
            try await catalog.drop(knowledgeBase: generation.knowledgeBase)
            try changed("drop of a knowledge base")
        },
        .init("persisted generations survive a restart with the same results") { harness in
            let catalog = try await harness.open()
            let kb = UUID()
            let one = IndexGeneration(knowledgeBase: kb, number: 1), two = IndexGeneration(knowledgeBase: kb, number: 2)
            for (i, name) in ["a", "b", "c", "d"].enumerated() {
                try await catalog.add(document(name, chunks: 3 + i, dimension: catalog.dimension), to: one)
            }
            try await catalog.add(document("z", chunks: 2, dimension: catalog.dimension), to: two)
            try await catalog.persist(one)
            try await catalog.persist(two)
            let query = document("c", chunks: 1, dimension: catalog.dimension).vectors[0].vector
            let before = try await catalog.indexes(of: one).vectors.search(query, k: 5, filter: .none).map(\.id)
            let keywordsBefore = try await catalog.indexes(of: one).keywords.search("chunk0 version1", k: 5, filter: .none).map(\.id)
            let reopened = try await harness.open()
            try expectEqual(try await documents(in: one, of: reopened), ["a": 3, "b": 4, "c": 5, "d": 6], "generation 1 after a restart")
            try expectEqual(try await documents(in: two, of: reopened), ["z": 2], "generation 2 after a restart")
            try expectEqual(try await reopened.indexes(of: one).vectors.search(query, k: 5, filter: .none).map(\.id), before, "vector results")
            try expectEqual(Set(try await reopened.indexes(of: one).keywords.search("chunk0 version1", k: 5, filter: .none).map(\.id)),
                            Set(keywordsBefore), "keyword results")
        },
        .init("concurrent replaces of different documents all land") { harness in
            let catalog = try await harness.open()
            let generation = IndexGeneration(knowledgeBase: UUID(), number: 1)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<12 {
                    group.addTask {
                        try await catalog.replace(documentID: "doc\(i)", with: document("doc\(i)", chunks: 3, dimension: catalog.dimension), in: generation)
                    }
                }
                try await group.waitForAll()
            }
            try expectEqual(try await documents(in: generation, of: catalog), Dictionary(uniqueKeysWithValues: (0..<12).map { ("doc\($0)", 3) }),
                            "documents after 12 concurrent replaces")
        },
    ]

    /// A document's chunks as entries: deterministic vectors from its name, text naming chunk and version.
    static func document(_ name: String, chunks: Int, dimension: Int, version: Int = 1) -> IndexEntries {
        var random = SplitMix64(seed: UInt64(name.utf8.reduce(5381) { ($0 << 5) &+ $0 &+ Int($1) }.magnitude))
        var entries = IndexEntries()
        for i in 0..<chunks {
            let id = "\(name)-\(i)-v\(version)"
            let metadata = EntryMetadata(documentID: name, tags: ["t\(i % 2)"])
            entries.vectors.append(VectorEntry(id: id, vector: random.unitVector(dimension), metadata: metadata))
            entries.keywords.append(KeywordEntry(id: id, text: "document \(name) chunk\(i) version\(version) text", metadata: metadata))
        }
        return entries
    }

    /// How many entries each document has in the generation, read from both indexes (they must agree).
    static func documents(in generation: IndexGeneration, of catalog: any IndexCatalog) async throws -> [String: Int] {
        let indexes = try await catalog.indexes(of: generation)
        let count = try await indexes.vectors.count()
        try expectEqual(try await indexes.keywords.count(), count, "keyword entries vs vector entries in \(generation)")
        guard count > 0 else { return [:] }
        let probe = [Float](repeating: 1 / Float(catalog.dimension).squareRoot(), count: catalog.dimension)
        let hits = try await indexes.vectors.search(probe, k: count + 10, filter: .none)
        try expectEqual(hits.count, count, "vector hits for a k past the count in \(generation)")
        let keywordHits = try await indexes.keywords.search("document", k: count + 10, filter: .none)
        try expectEqual(Set(keywordHits.map(\.id)), Set(hits.map(\.id)), "keyword entries vs vector entries in \(generation)")
        return hits.reduce(into: [:]) { $0[$1.documentID, default: 0] += 1 }
    }
}
