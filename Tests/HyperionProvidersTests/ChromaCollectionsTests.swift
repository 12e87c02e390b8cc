import Foundation
import HyperionConformance
import HyperionCore
@testable import HyperionProviders
import Testing

extension ConformanceCheck: CustomTestStringConvertible {
    public var testDescription: String { name }
}

/// The Chroma server of the run: `HYPERION_TEST_CHROMA_URL`, set by `make test` after starting PyPI's chromadb;
/// `HYPERION_TEST_REQUIRE_CHROMA=1` makes its absence a failure.
enum ChromaServer {
    static var url: String? { ProcessInfo.processInfo.environment["HYPERION_TEST_CHROMA_URL"] }
    static var enabled: Bool { url != nil || ProcessInfo.processInfo.environment["HYPERION_TEST_REQUIRE_CHROMA"] == "1" }

    /// A generous timeout: the whole test run shares two cores with this Chroma.
    static func collections(dimension: Int, timeout: Int = 120) throws -> ChromaCollections {
        guard let url else {
            Issue.record("HYPERION_TEST_CHROMA_URL is not set: run the suite through `make test`, which starts Chroma")
            throw CancellationError()
        }
        return ChromaCollections(settings: ChromaSettings(url: url, timeoutSeconds: timeout), dimension: dimension)
    }

    static func checks<Argument>(_ checks: [Argument]) -> [Argument] { enabled ? checks : [] }
}

/// Chroma against the suites the embedded engine passes, and its failures named.
@Suite struct ChromaCollectionsTests {
    @Test(arguments: ChromaServer.checks(VectorIndexConformance.checks))
    func chromaCollection(_ check: ConformanceCheck<VectorIndexHarness>) async throws {
        try await check.run(VectorIndexHarness { dimension in
            try await ChromaServer.collections(dimension: dimension).collection(of: IndexGeneration(knowledgeBase: UUID(), number: 1))
        })
    }

    @Test(arguments: ChromaServer.checks(IndexCatalogConformance.checks))
    func chromaCatalog(_ check: ConformanceCheck<IndexCatalogHarness>) async throws {
        let vectors = try ChromaServer.collections(dimension: 12)
        // The keyword half is the store's in the server (its own suite); here a twin that outlives each "restart".
        let keywords = InMemoryCollections<any KeywordIndex> { InMemoryKeywordIndex() }
        try await check.run(IndexCatalogHarness { SplitIndexCatalog(dimension: 12, vectors: vectors, keywords: keywords) })
    }

    @Test(.enabled(if: ChromaServer.enabled))
    func aCollectionDeletedBehindOurBackAsksForTraining() async throws {
        let collections = try ChromaServer.collections(dimension: 4)
        let generation = IndexGeneration(knowledgeBase: UUID(), number: 2)
        let index = try await collections.collection(of: generation)
        try await index.add([VectorEntry(id: "a", vector: [1, 0, 0, 0], metadata: EntryMetadata(documentID: "d"))])
        let answer = try await collections.client.call(.DELETE, "\(collections.databasePath)/collections/\(generation.collectionName)")
        #expect(answer.status == 200)
        let error = await #expect(throws: IndexEngineError.self) { try await index.search([1, 0, 0, 0], k: 1, filter: .none) }
        #expect(error?.reason == .needsTraining)
        #expect(error?.engine == "chroma")
        #expect(error?.knowledgeBase == generation.knowledgeBase)
        #expect(try await collections.collection(of: generation).count() == 0, "a new training starts from an empty collection")
    }

    @Test(.enabled(if: ChromaServer.enabled))
    func aCollectionOfAnotherDimensionAsksForTraining() async throws {
        let generation = IndexGeneration(knowledgeBase: UUID(), number: 1)
        try await ChromaServer.collections(dimension: 4).collection(of: generation)
            .add([VectorEntry(id: "a", vector: [1, 0, 0, 0], metadata: EntryMetadata(documentID: "d"))])
        let error = await #expect(throws: IndexEngineError.self) {
            _ = try await ChromaServer.collections(dimension: 8).collection(of: generation).count()
        }
        #expect(error?.reason == .needsTraining)
        #expect(error?.detail.contains("length 4") == true)
    }

    @Test func anUnreachableChromaIsUnavailable() async throws {
        let collections = ChromaCollections(settings: ChromaSettings(url: "http://127.0.0.1:1", timeoutSeconds: 2), dimension: 4)
        let error = await #expect(throws: IndexEngineError.self) { try await collections.ping() }
        #expect(error?.reason == .unavailable)
        #expect(error?.asHyperionError.message.contains("chroma") == true)
    }
}
