import Foundation
import HyperionCore
import HyperionEmbedding
import HyperionIndex

#if canImport(Glibc)
import Glibc
#endif

/// The two indexes of an evaluation run: built from the corpus, or loaded from `--index-dir` when a
/// previous run left them there for the same corpus, model and windows.
struct BEIRIndexes {
    let vectors: LocalVectorIndex
    let keywords: BM25Index
    let passages: Int

    struct Manifest: Codable, Equatable {
        let model: String
        let dimension: Int
        let documents: Int
        let firstID: String
        let lastID: String
        let windowOverlap: Double
    }

    static func open(data: BEIRDataset, embedder: SentenceEmbedder, parameters: BM25Parameters, windowOverlap: Double,
                     directory: URL?, needVectors: Bool, seconds: inout [String: Double]) async throws -> BEIRIndexes {
        let clock = ContinuousClock()
        let manifest = Manifest(model: embedder.modelID, dimension: embedder.dimension, documents: data.corpus.count,
                                firstID: data.corpus.first?.id ?? "", lastID: data.corpus.last?.id ?? "", windowOverlap: windowOverlap)
        if let directory, let stored = try? JSONDecoder().decode(Manifest.self, from: Data(contentsOf: directory.appendingPathComponent("manifest.json"))),
           stored == manifest {
            let started = clock.now
            do {
                let vectors = try LocalVectorIndex.load(from: directory.appendingPathComponent("vectors.hyv"))
                let keywords = try BM25Index.load(from: directory.appendingPathComponent("keywords.hyk"), parameters: parameters)
                seconds["load"] = (clock.now - started).seconds
                return BEIRIndexes(vectors: vectors, keywords: keywords, passages: vectors.liveCount)
            } catch {
                FileHandle.standardError.write(Data("hyperion: \(error); rebuilding the index\n".utf8))
            }
        }

        var started = clock.now
        let keywords = BM25Index(parameters: parameters)
        try keywords.addSync(data.corpus.map {
            KeywordEntry(id: $0.id, text: $0.title + "\n" + $0.text, metadata: EntryMetadata(documentID: $0.id))
        })
        seconds["index"] = (clock.now - started).seconds

        let vectors = LocalVectorIndex(dimension: embedder.dimension)
        guard needVectors || directory != nil else { return BEIRIndexes(vectors: vectors, keywords: keywords, passages: 0) }
        // Each window is prefixed with the title, so it is budgeted into every window.
        var passages: [(id: String, document: String, text: String)] = []
        for document in data.corpus {
            let titlePieces = document.title.isEmpty ? 0 : embedder.pieceCount(document.title)
            let windows = PassageWindows(budget: embedder.maxSequenceLength - 2 - titlePieces, overlap: windowOverlap)
                .split(document.text, pieces: embedder.pieceCount)
            for (i, window) in windows.enumerated() {
                let text = document.title.isEmpty ? window : document.title + "\n" + window
                passages.append(("\(document.id)#\(i)", document.id, text))
            }
        }
        started = clock.now
        let showProgress = isatty(2) == 1
        let batch = 256
        for offset in stride(from: 0, to: passages.count, by: batch) {
            let slice = passages[offset..<min(offset + batch, passages.count)]
            let embedded = try await embedder.embed(slice.map(\.text), purpose: .document)
            try vectors.addSync(zip(slice, embedded).map { VectorEntry(id: $0.id, vector: $1, metadata: EntryMetadata(documentID: $0.document)) })
            if showProgress { FileHandle.standardError.write(Data("\rembedded \(offset + slice.count)/\(passages.count) passages".utf8)) }
        }
        if showProgress { FileHandle.standardError.write(Data("\n".utf8)) }
        seconds["embed_documents"] = (clock.now - started).seconds

        if let directory {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try vectors.save(to: directory.appendingPathComponent("vectors.hyv"))
            try keywords.save(to: directory.appendingPathComponent("keywords.hyk"))
            try JSONEncoder().encode(manifest).write(to: directory.appendingPathComponent("manifest.json"))
        }
        return BEIRIndexes(vectors: vectors, keywords: keywords, passages: passages.count)
    }
}
