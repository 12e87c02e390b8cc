import Foundation
import HyperionConformance
import HyperionCore
@testable import HyperionStorage
import Synchronization
import Testing

/// The pgvector server of the run: `HYPERION_TEST_PGVECTOR_URL`, set by `make test` after starting PostgreSQL 16 with
/// pgvector; `HYPERION_TEST_REQUIRE_PGVECTOR=1` makes its absence a failure.
enum PgVectorServer {
    static var url: String? { ProcessInfo.processInfo.environment["HYPERION_TEST_PGVECTOR_URL"] }
    static var enabled: Bool { url != nil || ProcessInfo.processInfo.environment["HYPERION_TEST_REQUIRE_PGVECTOR"] == "1" }

    /// A generous timeout: the whole test run shares two cores with this PostgreSQL.
    static func collections(dimension: Int, timeout: Int = 120) throws -> PgVectorCollections {
        guard let url else {
            Issue.record("HYPERION_TEST_PGVECTOR_URL is not set: run the suite through `make test`, which starts pgvector")
            throw CancellationError()
        }
        return try PgVectorCollections(settings: PgVectorSettings(url: url, timeoutSeconds: timeout, poolSize: 2), dimension: dimension, logger: testLogger)
    }

    /// Each check's arguments, or none when pgvector is not part of this run.
    static func checks<Argument>(_ checks: [Argument]) -> [Argument] { enabled ? checks : [] }
}

/// Runs `body`, then `cleanup` whatever happened; the body's error wins.
func withCleanup<T>(_ body: () async throws -> T, cleanup: () async throws -> Void) async throws -> T {
    let value: T
    do { value = try await body() } catch {
        try? await cleanup()
        throw error
    }
    try await cleanup()
    return value
}

/// The scale-out index engines against the suites the embedded engine passes: pgvector tables, the keyword postings
/// in the store (SQLite and PostgreSQL), and the catalog that pairs them.
@Suite struct ScaleOutIndexTests {
    @Test(arguments: BackendCheck.all(KeywordIndexConformance.checks))
    func storeKeywordPostings(_ run: BackendCheck<KeywordIndexHarness>) async throws {
        try await withFreshStore(run.backend) { store, _ in
            let collections = StoreKeywordCollections(store: store)
            try await run.check.run(KeywordIndexHarness { try await collections.collection(of: IndexGeneration(knowledgeBase: UUID(), number: 1)) })
        }
    }

    @Test(arguments: PgVectorServer.checks(VectorIndexConformance.checks))
    func pgvectorTable(_ check: ConformanceCheck<VectorIndexHarness>) async throws {
        let made = Mutex<[PgVectorCollections]>([])
        try await withCleanup {
            try await check.run(VectorIndexHarness { dimension in
                let collections = try PgVectorServer.collections(dimension: dimension)
                made.withLock { $0.append(collections) }
                return try await collections.collection(of: IndexGeneration(knowledgeBase: UUID(), number: 1))
            })
        } cleanup: {
            for collections in made.withLock({ $0 }) { try await collections.close() }
        }
    }

    @Test(arguments: PgVectorServer.checks(BackendCheck.all(IndexCatalogConformance.checks)))
    func pgvectorWithKeywordPostings(_ run: BackendCheck<IndexCatalogHarness>) async throws {
        try await withFreshStore(run.backend) { store, _ in
            let vectors = try PgVectorServer.collections(dimension: 12)
            // Each open is a new catalog over the same engines: a restart.
            try await withCleanup {
                try await run.check.run(IndexCatalogHarness {
                    SplitIndexCatalog(dimension: 12, vectors: vectors, keywords: StoreKeywordCollections(store: store))
                })
            } cleanup: { try await vectors.close() }
        }
    }

    @Test(.enabled(if: PgVectorServer.enabled))
    func aTableDroppedBehindOurBackAsksForTrainingNamingTheEngine() async throws {
        let collections = try PgVectorServer.collections(dimension: 4)
        defer { Task { try? await collections.close() } }
        let generation = IndexGeneration(knowledgeBase: UUID(), number: 3)
        let index = try await collections.collection(of: generation)
        try await index.add([VectorEntry(id: "a", vector: [1, 0, 0, 0], metadata: EntryMetadata(documentID: "d"))])
        try await collections.database.raw("DROP TABLE \(ident: generation.collectionName)").run()
        let error = await #expect(throws: IndexEngineError.self) { try await index.search([1, 0, 0, 0], k: 1, filter: .none) }
        #expect(error?.reason == .needsTraining)
        #expect(error?.knowledgeBase == generation.knowledgeBase)
        #expect(error?.asHyperionError.kind == .conflict)
        #expect(error?.asHyperionError.message.contains("pgvector") == true)
        // Asked for again (a new training), the table comes back empty.
        #expect(try await collections.collection(of: generation).count() == 0)
    }

    @Test(.enabled(if: PgVectorServer.enabled))
    func aTableOfAnotherDimensionAsksForTraining() async throws {
        let generation = IndexGeneration(knowledgeBase: UUID(), number: 1)
        let narrow = try PgVectorServer.collections(dimension: 4)
        defer { Task { try? await narrow.close() } }
        _ = try await narrow.collection(of: generation)
        let wide = try PgVectorServer.collections(dimension: 8)
        defer { Task { try? await wide.close() } }
        let error = await #expect(throws: IndexEngineError.self) { _ = try await wide.collection(of: generation) }
        #expect(error?.reason == .needsTraining)
        #expect(error?.detail.contains("length 4") == true)
    }

    @Test func anUnreachableEngineIsUnavailableWithinTheTimeout() async throws {
        // A port nothing listens on: refused at once, reported as unavailable, never a hang.
        let collections = try PgVectorCollections(settings: PgVectorSettings(url: "postgres://u@127.0.0.1:1/db?sslmode=disable", timeoutSeconds: 2),
                                                  dimension: 4, logger: testLogger)
        defer { Task { try? await collections.close() } }
        let started = ContinuousClock.now
        let error = await #expect(throws: IndexEngineError.self) { try await collections.ping() }
        #expect(error?.reason == .unavailable)
        #expect(error?.asHyperionError.kind == .unavailable)
        // Refused at once; even on a loaded machine far inside a minute, never a hang.
        #expect(ContinuousClock.now - started < .seconds(60))
    }
}
