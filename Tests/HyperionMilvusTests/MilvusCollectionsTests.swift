import Foundation
import HyperionConformance
import HyperionCore
@testable import HyperionMilvus
import Testing

extension ConformanceCheck: CustomTestStringConvertible {
    public var testDescription: String { name }
}

/// The Milvus server of the run: `HYPERION_TEST_MILVUS_URL`, set by `make test` after starting PyPI's milvus in a
/// network namespace; `HYPERION_TEST_REQUIRE_MILVUS=1` makes its absence a failure.
enum MilvusServer {
    static var url: String? { ProcessInfo.processInfo.environment["HYPERION_TEST_MILVUS_URL"] }
    static var enabled: Bool { url != nil || ProcessInfo.processInfo.environment["HYPERION_TEST_REQUIRE_MILVUS"] == "1" }

    /// A generous timeout: the whole test run shares two cores with this Milvus.
    static func collections(dimension: Int, index: MilvusSettings.IndexType = .hnsw, database: String = "default",
                            timeout: Int = 120) throws -> MilvusCollections {
        guard let url, let endpoint = MilvusSettings.endpoint(of: url) else {
            Issue.record("HYPERION_TEST_MILVUS_URL is not set: run the suite through `make test`, which starts Milvus")
            throw CancellationError()
        }
        return try MilvusCollections(settings: MilvusSettings(host: endpoint.host, port: endpoint.port, database: database, indexType: index,
                                                              nlist: 16, nprobe: 16, timeoutSeconds: timeout), dimension: dimension)
    }

    static func checks<Argument>(_ checks: [Argument]) -> [Argument] { enabled ? checks : [] }
}

/// Milvus against the suites the embedded engine passes, with both of its index types, and its failures named.
@Suite struct MilvusCollectionsTests {
    @Test(arguments: MilvusServer.checks(VectorIndexConformance.checks))
    func milvusHNSWCollection(_ check: ConformanceCheck<VectorIndexHarness>) async throws {
        try await check.run(VectorIndexHarness { dimension in
            try await MilvusServer.collections(dimension: dimension).collection(of: IndexGeneration(knowledgeBase: UUID(), number: 1))
        })
    }

    @Test(arguments: MilvusServer.checks(VectorIndexConformance.checks))
    func milvusIVFFlatCollection(_ check: ConformanceCheck<VectorIndexHarness>) async throws {
        try await check.run(VectorIndexHarness { dimension in
            try await MilvusServer.collections(dimension: dimension, index: .ivfFlat).collection(of: IndexGeneration(knowledgeBase: UUID(), number: 1))
        })
    }

    @Test(arguments: MilvusServer.checks(IndexCatalogConformance.checks))
    func milvusCatalog(_ check: ConformanceCheck<IndexCatalogHarness>) async throws {
        let vectors = try MilvusServer.collections(dimension: 12, database: "hyperion_tests")
        // The keyword half is the store's in the server (its own suite); here a twin that outlives each "restart".
        let keywords = InMemoryCollections<any KeywordIndex> { InMemoryKeywordIndex() }
        try await check.run(IndexCatalogHarness { SplitIndexCatalog(dimension: 12, vectors: vectors, keywords: keywords) })
    }

    @Test(.enabled(if: MilvusServer.enabled))
    func tagsWithQuotesBackslashesAndNewlinesFilterExactly() async throws {
        let index = try await MilvusServer.collections(dimension: 4).collection(of: IndexGeneration(knowledgeBase: UUID(), number: 1))
        let awkward = ["say \"hi\"", "back\\slash", "two\nlines", "ünï cödé", "\" or id != \""]
        try await index.add(awkward.enumerated().map { i, tag in
            VectorEntry(id: "c\(i)", vector: [1, Float(i), 0, 0], metadata: EntryMetadata(documentID: tag, tags: [tag]))
        })
        for (i, tag) in awkward.enumerated() {
            let hits = try await index.search([1, 0, 0, 0], k: 10, filter: SearchFilter(anyTags: [tag]))
            #expect(hits.map(\.id) == ["c\(i)"], "tag \(tag.debugDescription)")
        }
        try await index.remove(documentIDs: ["\" or id != \""])
        #expect(try await index.count() == awkward.count - 1)
    }

    @Test(.enabled(if: MilvusServer.enabled))
    func aCollectionDeletedBehindOurBackAsksForTraining() async throws {
        let collections = try MilvusServer.collections(dimension: 4)
        let generation = IndexGeneration(knowledgeBase: UUID(), number: 2)
        let index = try await collections.collection(of: generation)
        try await index.add([VectorEntry(id: "a", vector: [1, 0, 0, 0], metadata: EntryMetadata(documentID: "d"))])
        // Dropped through another client, so this one still believes the collection is there.
        try await MilvusServer.collections(dimension: 4).drop(generation)
        let error = await #expect(throws: IndexEngineError.self) { try await index.search([1, 0, 0, 0], k: 1, filter: .none) }
        #expect(error?.reason == .needsTraining)
        #expect(error?.engine == "milvus")
        #expect(error?.knowledgeBase == generation.knowledgeBase)
        #expect(try await collections.collection(of: generation).count() == 0, "a new training starts from an empty collection")
    }

    @Test(.enabled(if: MilvusServer.enabled))
    func aCollectionReleasedBehindOurBackIsLoadedAgain() async throws {
        let collections = try MilvusServer.collections(dimension: 4)
        let generation = IndexGeneration(knowledgeBase: UUID(), number: 1)
        let index = try await collections.collection(of: generation)
        try await index.add([VectorEntry(id: "a", vector: [1, 0, 0, 0], metadata: EntryMetadata(documentID: "d"))])
        var release = Milvus_Proto_Milvus_ReleaseCollectionRequest()
        release.collectionName = generation.collectionName
        let status = try await collections.call(nil, "releasing") { service, metadata, options in
            try await service.releaseCollection(release, metadata: metadata, options: options)
        }
        #expect(MilvusFailure(status) == nil)
        #expect(collections.isReady(generation), "this instance still believes the collection is loaded")
        #expect(try await index.search([1, 0, 0, 0], k: 1, filter: .none).map(\.id) == ["a"])
        #expect(collections.isReady(generation))
    }

    @Test(.enabled(if: MilvusServer.enabled))
    func aCollectionOfAnotherDimensionAsksForTraining() async throws {
        let generation = IndexGeneration(knowledgeBase: UUID(), number: 1)
        try await MilvusServer.collections(dimension: 4).collection(of: generation)
            .add([VectorEntry(id: "a", vector: [1, 0, 0, 0], metadata: EntryMetadata(documentID: "d"))])
        let error = await #expect(throws: IndexEngineError.self) {
            _ = try await MilvusServer.collections(dimension: 8).collection(of: generation).count()
        }
        #expect(error?.reason == .needsTraining)
        #expect(error?.detail.contains("length 4") == true)
    }

    /// Milvus pings the client with nearly every call; swift-nio-http2 alone would drop the connection after 200 pings
    /// in 30 s (see PingAnswerer).
    @Test(.enabled(if: MilvusServer.enabled))
    func aConnectionOutlivesHundredsOfCalls() async throws {
        let collections = try MilvusServer.collections(dimension: 4)
        for _ in 0..<300 { _ = try await collections.generations(of: UUID()) }
    }

    @Test func anUnreachableMilvusIsUnavailable() async throws {
        let collections = try MilvusCollections(settings: MilvusSettings(host: "127.0.0.1", port: 1, timeoutSeconds: 2), dimension: 4)
        let started = ContinuousClock.now
        let error = await #expect(throws: IndexEngineError.self) { try await collections.ping() }
        #expect(error?.reason == .unavailable)
        #expect(error?.asHyperionError.message.contains("milvus") == true)
        // Milliseconds alone; 31 s was seen with every suite running at once on two cores (CPU-bound tests hold the
        // cooperative threads), so the bound only rules out a hang.
        #expect(ContinuousClock.now - started < .seconds(90))
    }

    @Test func urlsNameHostPortAndTLS() {
        #expect(MilvusSettings.endpoint(of: "http://milvus.internal:19531")! == ("milvus.internal", 19531, false))
        #expect(MilvusSettings.endpoint(of: "https://in03.cloud.example")! == ("in03.cloud.example", 19530, true))
        #expect(MilvusSettings.endpoint(of: "127.0.0.1:5000")! == ("127.0.0.1", 5000, false))
        #expect(MilvusSettings.endpoint(of: "ftp://host") == nil)
        #expect(MilvusSettings.endpoint(of: "http://host:0") == nil)
        #expect(MilvusSettings.endpoint(of: "http://host/path") == nil)
    }

    @Test func expressionsQuoteEveryValue() {
        #expect(MilvusExpression.literal("a\"b\\c\nd") == #""a\"b\\c\u000ad""#)
        #expect(MilvusExpression.filter(.none) == "")
        #expect(MilvusExpression.filter(SearchFilter(documentIDs: [])) == nil)
        #expect(MilvusExpression.filter(SearchFilter(documentIDs: ["x"], anyTags: ["t"])) == #"(document_id in ["x"]) and (array_contains_any(tags, ["t"]))"#)
    }
}
