import Foundation
import HyperionCore
import Testing
@testable import HyperionEmbedding

@Suite("tiny-bert-cls fixture: cased tokenizer.json, CLS pooling, F16, no normalisation")
struct TinyModelTests {
    let embedder: SentenceEmbedder
    let references: [Fixtures.Reference]

    init() throws {
        embedder = try SentenceEmbedder(modelFolder: Fixtures.tinyModel)
        references = try Fixtures.references(Fixtures.tinyReference)
    }

    @Test func loadsTheFolderSettings() {
        #expect(embedder.modelID == "tiny-bert-cls")
        #expect(embedder.dimension == 32)
        // sentence_bert_config.json's 48 wins over tokenizer_config.json's 512.
        #expect(embedder.maxSequenceLength == 48)
        #expect(references.count == 25)
    }

    @Test func inputIDsMatchSentenceTransformers() {
        for reference in references {
            #expect(embedder.tokenize(reference.text) == reference.input_ids, "text: \(reference.text.debugDescription)")
        }
    }

    @Test func embeddingsMatchWithin1e3() throws {
        let vectors = try embedder.embedBatch(references.map(\.text))
        #expect(vectors.count == references.count)
        for (vector, reference) in zip(vectors, references) {
            #expect(vector.count == 32)
            let difference = Fixtures.maxAbsDifference(vector, reference.embedding)
            #expect(difference <= 1e-3, "text: \(reference.text.debugDescription) max |Δ| = \(difference)")
        }
        // No Normalize module: the reference vectors are not unit length, and neither are ours.
        let norm = vectors[0].reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(abs(norm - 1) > 0.01)
    }

    @Test func asyncEmbedKeepsInputOrder() async throws {
        let texts = references.map(\.text).reversed() + references.map(\.text)
        let vectors = try await embedder.embed(Array(texts), purpose: .document)
        let expected = try embedder.embedBatch(Array(texts))
        #expect(vectors.count == expected.count)
        // Different batch compositions round differently inside the GEMMs, hence a tolerance rather than equality.
        let worst = zip(vectors, expected).map { Fixtures.maxAbsDifference($0, $1) }.max() ?? 1
        #expect(worst <= 1e-5)
        let single = try await embedder.embed([references[3].text], purpose: .query)
        #expect(Fixtures.maxAbsDifference(single[0], references[3].embedding) <= 1e-3)
        let none = try await embedder.embed([], purpose: .query)
        #expect(none.isEmpty)
    }

    @Test func batchingDoesNotChangeResults() throws {
        let texts = references.map(\.text)
        let together = try embedder.embedBatch(texts)
        for (index, text) in texts.enumerated() {
            let alone = try embedder.embedBatch([text])[0]
            #expect(Fixtures.maxAbsDifference(alone, together[index]) <= 1e-5)
        }
    }
}
