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
}
