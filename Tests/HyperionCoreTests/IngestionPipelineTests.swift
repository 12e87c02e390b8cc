import Foundation
import HyperionCore
import Testing

/// The ingestion pipeline over in-memory twins only: what it writes to the records, the catalog and the queue.
@Suite struct IngestionPipelineTests {
    struct World {
        let jobs = InMemoryJobQueue()
        let catalog = InMemoryIndexCatalog(dimension: 64)
        let records = InMemoryIngestionRecords()
        let owner = UUID()
        let knowledgeBase: KnowledgeBase

        init() {
            knowledgeBase = KnowledgeBase(ownerID: owner, name: "Handbook", embeddingModel: "hashing-64",
                                          chunking: ChunkingSettings(sizeTokens: 50, overlapTokens: 10))
        }

        func pipeline(stopping: @escaping @Sendable () -> Bool = { false }, limits: IngestionPipeline.Limits = .init()) -> IngestionPipeline {
            IngestionPipeline(jobs: jobs, catalog: catalog, records: records, extractor: TextOnlyExtractor(),
                              embedder: HashingEmbedder(dimension: 64), limits: limits, stopping: stopping)
        }

        /// A document with its file, and a queued, claimed job for the given documents.
        func document(_ text: String, name: String = "doc.txt") async -> DocumentRecord {
            let document = DocumentRecord(modelID: knowledgeBase.id, title: name, filename: name, format: .text,
                                          sha256: UUID().uuidString, sizeBytes: text.utf8.count)
            await records.put(document, file: Data(text.utf8))
            return document
        }

        func claimedJob(_ documents: [DocumentRecord], kind: JobKind = .ingest) async throws -> JobRecord {
            try await jobs.enqueue(JobRecord(kind: kind, modelID: knowledgeBase.id, ownerID: owner, documentIDs: documents.map(\.id)))
            return try #require(try await jobs.claim(worker: "test", perUser: .max))
        }

        func search(_ text: String, generation: Int = 1) async throws -> [IndexHit] {
            try await catalog.indexes(of: IndexGeneration(knowledgeBase: knowledgeBase.id, number: generation)).keywords
                .search(text, k: 10, filter: .none)
        }
    }

    @Test func aDocumentIsChunkedEmbeddedStoredAndIndexed() async throws {
        let world = World()
        await world.records.put(world.knowledgeBase)
        let long = (1...40).map { "Paragraph \($0) tells of vacation policy number \($0) in the company handbook." }.joined(separator: "\n\n")
        let handbook = await world.document(long, name: "handbook.txt")
        let empty = await world.document("  \n\n  ", name: "blank.txt")
        let job = try await world.claimedJob([handbook, empty])
        await world.pipeline().run(job)

        let finished = try #require(try await world.jobs.find(job.id))
        #expect(finished.status == .succeeded)
        #expect(finished.error == "1 of 2 documents failed; see each document's error")
        #expect(finished.progressDone == 2)
        let stored = await world.records.chunks.filter { $0.documentID == handbook.id }
        #expect(stored.count > 5, "a long document makes several chunks")
        #expect(stored.allSatisfy { $0.embedding.count == 64 && $0.generation == 1 })
        #expect(await world.records.documents[handbook.id]?.status == .ready)
        #expect(await world.records.documents[handbook.id]?.chunkCount == stored.count)
        #expect(await world.records.documents[empty.id]?.status == .failed)
        #expect(await world.records.documents[empty.id]?.error == "no extractable text")
        let hits = try await world.search("vacation policy number 17")
        #expect(hits.first.map { stored.map(\.id.uuidString).contains($0.id) } == true)
        #expect(hits.first?.documentID == handbook.id.uuidString)
    }

    @Test func aCancelStopsTheJobAndFailsWhatIsLeft() async throws {
        let world = World()
        await world.records.put(world.knowledgeBase)
        let documents = [await world.document("first document text"), await world.document("second document text")]
        let job = try await world.claimedJob(documents)
        _ = try await world.jobs.cancel(job.id)
        await world.pipeline().run(job)
        #expect(try await world.jobs.find(job.id)?.status == .canceled)
        for document in documents {
            #expect(await world.records.documents[document.id]?.status == .failed)
            #expect(await world.records.documents[document.id]?.error == "ingestion was canceled; upload the file again to retry")
        }
        #expect(await world.records.chunks.isEmpty)
    }

    @Test func aStoppingHostHandsTheJobBackWithoutCountingTheAttempt() async throws {
        let world = World()
        await world.records.put(world.knowledgeBase)
        let document = await world.document("a document that waits for the next start")
        let job = try await world.claimedJob([document])
        await world.pipeline(stopping: { true }).run(job)
        let handedBack = try #require(try await world.jobs.find(job.id))
        #expect(handedBack.status == .queued)
        #expect(handedBack.attempts == 0)
        #expect(await world.records.documents[document.id]?.status == .queued)
        // The next start finishes it.
        let again = try #require(try await world.jobs.claim(worker: "next", perUser: .max))
        await world.pipeline().run(again)
        #expect(try await world.jobs.find(job.id)?.status == .succeeded)
        #expect(try await world.search("waits").count == 1)
    }

    @Test func aJobStartedTooOftenIsGivenUp() async throws {
        let world = World()
        await world.records.put(world.knowledgeBase)
        let document = await world.document("a file that crashed the server each time")
        var job = try await world.claimedJob([document])
        job.attempts = 4
        await world.pipeline(limits: .init(maxAttempts: 3)).run(job)
        #expect(try await world.jobs.find(job.id)?.status == .failed)
        #expect(await world.records.documents[document.id]?.status == .failed)
        #expect(await world.records.chunks.isEmpty)
    }

    @Test func trainingBuildsTheNextGenerationAndSwitchesToIt() async throws {
        let world = World()
        await world.records.put(world.knowledgeBase)
        let document = await world.document("solar panels convert light into electricity")
        await world.pipeline().run(try await world.claimedJob([document]))
        #expect(try await world.search("solar").count == 1)

        let train = try await world.claimedJob([document], kind: .train)
        await world.pipeline().run(train)
        #expect(try await world.jobs.find(train.id)?.status == .succeeded)
        #expect(await world.records.knowledgeBases[world.knowledgeBase.id]?.generation == 2)
        #expect(await world.records.chunks.allSatisfy { $0.generation == 2 }, "the old generation's chunks are gone")
        #expect(try await world.search("solar", generation: 2).count == 1)
        #expect(try await world.search("solar", generation: 1).isEmpty, "the old generation was dropped")
    }

    @Test func tooManyChunksFailOnlyThatDocument() async throws {
        let world = World()
        await world.records.put(world.knowledgeBase)
        let big = await world.document((1...50).map { "Sentence number \($0) of a long file." }.joined(separator: "\n\n"))
        let small = await world.document("a short note")
        await world.pipeline(limits: .init(maxChunksPerDocument: 2)).run(try await world.claimedJob([big, small]))
        #expect(await world.records.documents[big.id]?.status == .failed)
        #expect(await world.records.documents[big.id]?.error?.contains("allowed per document") == true)
        #expect(await world.records.documents[small.id]?.status == .ready)
    }
}
