import Foundation
import HyperionCore
import HyperionEmbedding
import HyperionIndex

#if canImport(Glibc)
import Glibc
#endif

/// The two indexes of an evaluation run, kept in a ``LocalIndexCatalog`` (the server's own, so there is one loader
/// of index files): built from the corpus, or loaded from `--index-dir` when a previous run left them there for the
/// same corpus, model and windows.
struct BEIRIndexes {
    let vectors: any VectorIndex
    let keywords: any KeywordIndex
    let passages: Int

    /// The catalog's one knowledge base and generation.
    static let generation = IndexGeneration(knowledgeBase: UUID(uuidString: "00000000-0000-4000-8000-0000000000be")!, number: 1)

    struct Manifest: Codable, Equatable {
        /// Bumped when the files' layout changes, so older caches are rebuilt.
        var layout = 2
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
        // Without a directory nothing is persisted, so the catalog's root is never written.
        let root = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("hyperion-eval-\(UUID().uuidString)")
        let catalog = LocalIndexCatalog(root: root, dimension: embedder.dimension, source: nil, keywordParameters: parameters)
        if let directory, let stored = try? JSONDecoder().decode(Manifest.self, from: Data(contentsOf: directory.appendingPathComponent("manifest.json"))),
           stored == manifest {
            let started = clock.now
            let indexes = try await catalog.indexes(of: generation)
            let passages = try await indexes.vectors.count()
            if passages > 0 {
                seconds["load"] = (clock.now - started).seconds
                return BEIRIndexes(vectors: indexes.vectors, keywords: indexes.keywords, passages: passages)
            }
            FileHandle.standardError.write(Data("hyperion: the index files in \(directory.path) are missing or unusable; rebuilding the index\n".utf8))
            try await catalog.drop(generation)
        }

        var started = clock.now
        try await catalog.add(IndexEntries(keywords: keywordEntries(data)), to: generation)
        seconds["index"] = (clock.now - started).seconds

        let indexes = try await catalog.indexes(of: generation)
        guard needVectors || directory != nil else { return BEIRIndexes(vectors: indexes.vectors, keywords: indexes.keywords, passages: 0) }
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
            try await catalog.add(IndexEntries(vectors: zip(slice, embedded).map {
                VectorEntry(id: $0.id, vector: $1, metadata: EntryMetadata(documentID: $0.document))
            }), to: generation)
            if showProgress { FileHandle.standardError.write(Data("\rembedded \(offset + slice.count)/\(passages.count) passages".utf8)) }
        }
        if showProgress { FileHandle.standardError.write(Data("\n".utf8)) }
        seconds["embed_documents"] = (clock.now - started).seconds

        if let directory {
            try await catalog.persist(generation)
            try JSONEncoder().encode(manifest).write(to: directory.appendingPathComponent("manifest.json"))
        }
        return BEIRIndexes(vectors: indexes.vectors, keywords: indexes.keywords, passages: passages.count)
    }

    /// Every document as a keyword entry: its title, then its text.
    static func keywordEntries(_ data: BEIRDataset) -> [KeywordEntry] {
        data.corpus.map { KeywordEntry(id: $0.id, text: $0.title + "\n" + $0.text, metadata: EntryMetadata(documentID: $0.id)) }
    }

    /// Copies these entries into `catalog` (an outside engine's) as a fresh generation, 1,000 at a time, timing the
    /// keyword and the vector half; returns that generation's indexes.
    func copy(into catalog: any IndexCatalog, data: BEIRDataset, seconds: inout [String: Double]) async throws -> GenerationIndexes {
        guard let local = vectors as? LocalVectorIndex else { return try await catalog.indexes(of: Self.generation) }
        let clock = ContinuousClock()
        try await catalog.drop(Self.generation)
        func add(_ entries: (Range<Int>) -> IndexEntries, count: Int) async throws -> Double {
            let started = clock.now
            for start in stride(from: 0, to: count, by: 1000) {
                try await catalog.add(entries(start..<min(start + 1000, count)), to: Self.generation)
            }
            return (clock.now - started).seconds
        }
        let keywords = Self.keywordEntries(data)
        seconds["copy_keywords"] = try await add({ IndexEntries(keywords: Array(keywords[$0])) }, count: keywords.count)
        let vectorEntries = local.entries()
        seconds["copy_vectors"] = try await add({ IndexEntries(vectors: Array(vectorEntries[$0])) }, count: vectorEntries.count)
        return try await catalog.indexes(of: Self.generation)
    }
}
