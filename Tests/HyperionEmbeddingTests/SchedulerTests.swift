import Foundation
import HyperionCore
import Testing
@testable import HyperionEmbedding

@Suite("Query priority over document batches")
struct SchedulerTests {
    @Test func queryOvertakesALargeDocumentBatch() async throws {
        let embedder = try SentenceEmbedder(modelFolder: Fixtures.tinyModel)
        let documents = (0..<2000).map { "Document number \($0) talks about retrieval, embeddings, tokenizers and long batches of text." }
        let clock = ContinuousClock()
        let start = clock.now
        let documentTask = Task { () -> (Int, ContinuousClock.Instant) in
            let vectors = try await embedder.embed(documents, purpose: .document)
            return (vectors.count, clock.now)
        }
        // Let the document job start first.
        try await Task.sleep(for: .milliseconds(50))
        let queryStart = clock.now
        let query = try await embedder.embed(["What are embeddings?"], purpose: .query)
        let queryEnd = clock.now
        let (count, documentEnd) = try await documentTask.value

        #expect(query.count == 1 && query[0].count == 32)
        #expect(count == 2000)
        // Order, not timing: a wall-clock ratio failed under CI's parallel load (timings belong in benchmarks).
        #expect(queryEnd < documentEnd, "the query finished after the document batch (query started at \(queryStart - start))")
        // Same vector as when the query runs alone.
        let alone = try embedder.embedBatch(["What are embeddings?"])
        #expect(Fixtures.maxAbsDifference(query[0], alone[0]) <= 1e-5)
    }

    @Test func cancelledJobThrows() async throws {
        let embedder = try SentenceEmbedder(modelFolder: Fixtures.tinyModel)
        let texts = Array(repeating: "Some text to embed, long enough that three thousand of them take a while to run through the model.", count: 3000)
        let task = Task { try await embedder.embed(texts, purpose: .document) }
        try await Task.sleep(for: .milliseconds(20))
        task.cancel()
        await #expect(throws: CancellationError.self) { _ = try await task.value }
    }
}
