import Foundation
import Testing
@testable import HyperionEmbedding

@Suite("all-MiniLM-L6-v2 against sentence-transformers")
struct MiniLMFaithfulnessTests {
    @Test func inputIDsAndEmbeddingsMatchReference() throws {
        let folder = Fixtures.miniLMModel
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("model.safetensors").path) else {
            Issue.record("MiniLM model not found at \(folder.path): \(Fixtures.pullHint)")
            return
        }
        let embedder = try SentenceEmbedder(modelFolder: folder)
        #expect(embedder.dimension == 384)
        #expect(embedder.maxSequenceLength == 256)
        let references = try Fixtures.references(Fixtures.miniLMReference)
        #expect(references.count == 25)
        for reference in references {
            #expect(embedder.tokenize(reference.text) == reference.input_ids, "text: \(reference.text.debugDescription)")
        }
        let vectors = try embedder.embedBatch(references.map(\.text))
        for (vector, reference) in zip(vectors, references) {
            let cosine = Fixtures.cosine(vector, reference.embedding)
            #expect(cosine >= 0.9999, "text: \(reference.text.debugDescription) cosine \(cosine)")
            let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(abs(norm - 1) < 1e-4, "normalised")
        }
    }

    /// One text at a time goes through the short-input path (the AVX2 kernel over F16 copies of the
    /// weights, direct attention): it must stay as faithful as the batch path, and agree with it closely.
    @Test func singleTextsTakeTheShortPathAndStayFaithful() throws {
        let folder = Fixtures.miniLMModel
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("model.safetensors").path) else {
            Issue.record("MiniLM model not found at \(folder.path): \(Fixtures.pullHint)")
            return
        }
        let embedder = try SentenceEmbedder(modelFolder: folder, threads: 2)
        let references = try Fixtures.references(Fixtures.miniLMReference)
        let together = try embedder.embedBatch(references.map(\.text))
        var shortInputs = 0
        for (index, reference) in references.enumerated() {
            if reference.input_ids.count <= Parallel.smallKernelRows { shortInputs += 1 }
            let alone = try embedder.embedBatch([reference.text])[0]
            let cosine = Fixtures.cosine(alone, reference.embedding)
            #expect(cosine >= 0.9999, "text: \(reference.text.debugDescription) cosine \(cosine)")
            let agreement = Fixtures.cosine(alone, together[index])
            #expect(agreement >= 0.99999, "alone vs in a batch: \(reference.text.debugDescription) cosine \(agreement)")
        }
        #expect(shortInputs >= 10, "the fixture should exercise the short path")
    }
}
