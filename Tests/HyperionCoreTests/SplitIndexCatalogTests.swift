import Foundation
import HyperionConformance
import HyperionCore
import Synchronization
import Testing

/// The catalog over two outside engines, run on in-memory twins of them: the same suite as every catalog, plus what
/// the ingestion pipeline does when an engine goes away and comes back.
@Suite struct SplitIndexCatalogTests {
    @Test(arguments: IndexCatalogConformance.checks)
    func overTwins(_ check: ConformanceCheck<IndexCatalogHarness>) async throws {
        let vectors = InMemoryCollections<any VectorIndex>(engine: "vectors") { InMemoryVectorIndex(dimension: 8) }
        let keywords = InMemoryCollections<any KeywordIndex>(engine: "keywords") { InMemoryKeywordIndex() }
        try await check.run(IndexCatalogHarness { SplitIndexCatalog(dimension: 8, vectors: vectors, keywords: keywords) })
    }

    @Test func engineErrorsNameTheEngineAndTheKnowledgeBase() {
        let kb = UUID()
        let down = IndexEngineError(.unavailable, engine: "pgvector", knowledgeBase: kb, "cannot be reached")
        #expect(down.asHyperionError.kind == .unavailable)
        #expect(down.asHyperionError.code == "index_unavailable")
        #expect(down.asHyperionError.message.contains("pgvector"))
        #expect(down.asHyperionError.message.contains(kb.lowercasedString))
        #expect(IndexEngineError(.needsTraining, engine: "milvus", "gone").asHyperionError.kind == .conflict)
        #expect(IndexEngineError(.badResponse, engine: "chroma", "garbage").asHyperionError.kind == .upstream)
    }
}

/// A catalog whose writes fail as an outside engine's do, for the given number of calls or for ever.
final class FailingCatalog: IndexCatalog {
    let base: InMemoryIndexCatalog
    let reason: IndexEngineError.Reason
    let failures = Mutex(0)
    let failing: Int

    init(base: InMemoryIndexCatalog, reason: IndexEngineError.Reason, failing: Int) {
        self.base = base
        self.reason = reason
        self.failing = failing
    }

    var dimension: Int { base.dimension }
    var changeCount: Int { base.changeCount }
    func indexes(of generation: IndexGeneration) async throws -> GenerationIndexes { try await base.indexes(of: generation) }
    func add(_ entries: IndexEntries, to generation: IndexGeneration) async throws { try await base.add(entries, to: generation) }
    func replace(documentID: String, with entries: IndexEntries, in generation: IndexGeneration) async throws {
        let failed = failures.withLock { count in
            count += 1
            return count <= failing
        }
        if failed { throw IndexEngineError(reason, engine: "flaky", knowledgeBase: generation.knowledgeBase, "down") }
        try await base.replace(documentID: documentID, with: entries, in: generation)
    }
    func remove(documentID: String, knowledgeBase: UUID) async throws { try await base.remove(documentID: documentID, knowledgeBase: knowledgeBase) }
    func persist(_ generation: IndexGeneration) async throws {}
    func drop(_ generation: IndexGeneration) async throws { try await base.drop(generation) }
    func drop(knowledgeBase: UUID) async throws { try await base.drop(knowledgeBase: knowledgeBase) }
}

/// What ingestion does when the index engine fails.
@Suite struct IngestionEngineOutageTests {
    func run(_ catalog: FailingCatalog, retryFor: Duration) async throws -> (JobRecord, InMemoryIngestionRecords, DocumentRecord, UUID) {
        let jobs = InMemoryJobQueue(), records = InMemoryIngestionRecords(), owner = UUID()
        let knowledgeBase = KnowledgeBase(ownerID: owner, name: "KB", embeddingModel: "hashing-16")
        await records.put(knowledgeBase)
        let document = DocumentRecord(modelID: knowledgeBase.id, title: "a", filename: "a.txt", format: .text, sha256: "x", sizeBytes: 5)
        await records.put(document, file: Data("Sea otters hold hands while sleeping.".utf8))
        try await jobs.enqueue(JobRecord(kind: .ingest, modelID: knowledgeBase.id, ownerID: owner, documentIDs: [document.id]))
        let job = try #require(try await jobs.claim(worker: "test", perUser: .max))
        let pipeline = IngestionPipeline(jobs: jobs, catalog: catalog, records: records, extractor: TextOnlyExtractor(),
                                         embedder: HashingEmbedder(dimension: 16),
                                         limits: .init(engineRetryFor: retryFor, engineRetryPause: .milliseconds(20)))
        await pipeline.run(job)
        return (try #require(try await jobs.find(job.id)), records, document, knowledgeBase.id)
    }

    @Test func aBriefOutageIsRetriedAndTheJobSucceeds() async throws {
        let catalog = FailingCatalog(base: InMemoryIndexCatalog(dimension: 16), reason: .unavailable, failing: 3)
        // A window no pause can outlast, even when the whole parallel test run starves the sleeps between retries.
        let (job, records, document, kb) = try await run(catalog, retryFor: .seconds(3600))
        #expect(job.status == .succeeded)
        #expect(catalog.failures.withLock { $0 } == 4, "three failures, then the write that landed")
        #expect(await records.documents[document.id]?.status == .ready)
        let hits = try await catalog.indexes(of: IndexGeneration(knowledgeBase: kb, number: 1)).keywords.search("otters", k: 5, filter: .none)
        #expect(hits.map(\.documentID) == [document.id.uuidString])
    }

    @Test func anOutagePastTheRetryWindowFailsTheDocumentNamingTheEngine() async throws {
        let catalog = FailingCatalog(base: InMemoryIndexCatalog(dimension: 16), reason: .unavailable, failing: .max)
        let (job, records, document, _) = try await run(catalog, retryFor: .milliseconds(200))
        #expect(job.status == .failed, "nothing the engine did not confirm is marked succeeded")
        #expect(catalog.failures.withLock { $0 } > 1, "retried before giving up")
        #expect(await records.documents[document.id]?.status == .failed)
        #expect(await records.documents[document.id]?.error?.contains("flaky") == true)
    }

    @Test func aMissingCollectionMarksTheKnowledgeBaseForTraining() async throws {
        let catalog = FailingCatalog(base: InMemoryIndexCatalog(dimension: 16), reason: .needsTraining, failing: .max)
        let (job, records, document, kb) = try await run(catalog, retryFor: .seconds(30))
        #expect(job.status == .failed)
        #expect(catalog.failures.withLock { $0 } == 1, "not retried: only training helps")
        #expect(await records.documents[document.id]?.status == .failed)
        #expect(await records.knowledgeBases[kb]?.status == .needsTraining)
    }
}
