import HyperionCore

/// Makes empty keyword indexes for ``KeywordIndexConformance``.
public struct KeywordIndexHarness: Sendable {
    let make: @Sendable () async throws -> any KeywordIndex

    /// A harness over a factory of empty indexes.
    public init(make: @escaping @Sendable () async throws -> any KeywordIndex) {
        self.make = make
    }
}

/// What every ``KeywordIndex`` must do: entries holding the query's words outrank those that do not, rarer words
/// weigh more, best-first order, replacement by id, deletes by id and by document, filters inside the search,
/// concurrent writers and readers.
public enum KeywordIndexConformance {
    /// Every check of the suite.
    public static let checks: [ConformanceCheck<KeywordIndexHarness>] = [
        .init("an empty index counts 0 and finds nothing; a blank query finds nothing") { harness in
            let index = try await harness.make()
            try expectEqual(try await index.count(), 0, "count")
            try expectEqual(try await index.search("anything", k: 5, filter: .none).count, 0, "hits in an empty index")
            try await index.add(corpus())
            try expectEqual(try await index.search("   ", k: 5, filter: .none).count, 0, "hits for a blank query")
            try expectEqual(try await index.search("zyxwvut", k: 5, filter: .none).count, 0, "hits for a word no entry has")
            try expectEqual(try await index.search("photosynthesis", k: 0, filter: .none).count, 0, "hits for k = 0")
        },
        .init("entries with the query's words come back, best first, at most k") { harness in
            let index = try await harness.make()
            try await index.add(corpus())
            let hits = try await index.search("photosynthesis", k: 10, filter: .none)
            try expectEqual(Set(hits.map(\.id)), ["plants", "algae"], "entries holding the word")
            try expect(zip(hits, hits.dropFirst()).allSatisfy { $0.score >= $1.score }, "scores must not increase: \(hits.map(\.score))")
            try expect(hits.allSatisfy { $0.score > 0 }, "scores of matches are positive")
            try expectEqual(try await index.search("sample", k: 2, filter: .none).count, 2, "hits limited to k")
            try expectEqual(hits.first(where: { $0.id == "plants" })?.documentID, "biology", "document of a hit")
        },
        .init("an entry matching more of the query, or a rarer word, ranks higher") { harness in
            let index = try await harness.make()
            try await index.add(corpus())
            try expectEqual(try await index.search("chlorophyll photosynthesis", k: 1, filter: .none).first?.id, "plants", "more words matched")
            try expectEqual(try await index.search("sample engine", k: 1, filter: .none).first?.id, "cars", "the rare word decides")
        },
        .init("adding an existing id replaces the entry") { harness in
            let index = try await harness.make()
            try await index.add(corpus())
            try await index.add([KeywordEntry(id: "plants", text: "volcanoes erupt lava", metadata: EntryMetadata(documentID: "geology"))])
            try expectEqual(try await index.count(), corpus().count, "count")
            try expectEqual(try await index.search("chlorophyll", k: 5, filter: .none).map(\.id), [], "the old text is gone")
            let hits = try await index.search("lava", k: 5, filter: .none)
            try expectEqual(hits.map(\.id), ["plants"], "the new text is found")
            try expectEqual(hits.first?.documentID, "geology", "the new metadata is kept")
        },
        .init("removed ids and documents are never returned") { harness in
            let index = try await harness.make()
            try await index.add(corpus())
            try await index.remove(ids: ["algae", "no-such-id"])
            try expectEqual(try await index.search("photosynthesis", k: 5, filter: .none).map(\.id), ["plants"], "after removing an id")
            try await index.remove(documentIDs: ["vehicles", "no-such-document"])
            try expectEqual(try await index.search("engine wheels road", k: 5, filter: .none).map(\.id), [], "after removing a document")
            try expectEqual(try await index.count(), corpus().count - 4, "count")
            try await index.add(corpus().filter { $0.id == "algae" })
            try expectEqual(Set(try await index.search("photosynthesis", k: 5, filter: .none).map(\.id)), ["plants", "algae"], "re-added")
        },
        .init("filters apply inside the search") { harness in
            let index = try await harness.make()
            try await index.add(corpus())
            let firstTwo = try await index.search("sample", k: 2, filter: SearchFilter(documentIDs: ["vehicles"]))
            try expectEqual(firstTwo.count, 2, "document filter with k = 2")
            try expect(firstTwo.allSatisfy { $0.documentID == "vehicles" }, "a hit outside the filter: \(firstTwo.map(\.documentID))")
            let byDocument = try await index.search("sample", k: 10, filter: SearchFilter(documentIDs: ["vehicles"]))
            try expectEqual(Set(byDocument.map(\.id)), ["cars", "bikes", "trains"], "document filter")
            let byTag = try await index.search("sample", k: 10, filter: SearchFilter(anyTags: ["green"]))
            try expectEqual(Set(byTag.map(\.id)), ["plants", "algae"], "tag filter")
            try expectEqual(try await index.search("sample", k: 10, filter: SearchFilter(documentIDs: [])).count, 0, "an empty document set")
        },
        .init("concurrent writers and readers lose nothing") { harness in
            let index = try await harness.make()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for part in 0..<8 {
                    group.addTask {
                        try await index.add((0..<50).map { i in
                            KeywordEntry(id: "e-\(part)-\(i)", text: "common writer\(letters(part)) token\(letters(part * 100 + i))", metadata: EntryMetadata(documentID: "d\(part)"))
                        })
                    }
                    group.addTask { _ = try await index.search("common", k: 5, filter: .none) }
                }
                try await group.waitForAll()
            }
            try expectEqual(try await index.count(), 400, "count after 8 concurrent writers")
            try expectEqual(try await index.search("token\(letters(317))", k: 5, filter: .none).map(\.id), ["e-3-17"], "a single entry found by its own word")
            try expectEqual(try await index.search("writer\(letters(5))", k: 100, filter: .none).count, 50, "one writer's entries")
        },
    ]

    /// A number spelt in letters (analyzers may split words at digits).
    static func letters(_ n: Int) -> String {
        String(String(n).map { Character(UnicodeScalar(UInt8(ascii: "q") + UInt8(String($0))!)) })
    }

    static func corpus() -> [KeywordEntry] {
        [
            ("plants", "biology", ["green"], "The plants use chlorophyll for photosynthesis in the leaves"),
            ("algae", "biology", ["green", "water"], "The algae also perform photosynthesis in the water"),
            ("fungi", "biology", ["forest"], "The fungi decompose the dead wood of the forest"),
            ("cars", "vehicles", [], "The car has an engine and the car has four wheels"),
            ("bikes", "vehicles", [], "The bike has two wheels and the rider pedals on the road"),
            ("trains", "vehicles", [], "The train runs on rails between the cities"),
        ].map { KeywordEntry(id: $0.0, text: $0.3 + ", a sample", metadata: EntryMetadata(documentID: $0.1, tags: $0.2)) }
    }
}
