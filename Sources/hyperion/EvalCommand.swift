import ArgumentParser
import Foundation
import HyperionCore
import HyperionEmbedding
import HyperionIndex
import HyperionServer
import HyperionStorage

#if canImport(Glibc)
import Glibc
#endif

/// `hyperion eval`: measures retrieval quality on a test collection.
struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure retrieval quality.",
        subcommands: [BEIREvalCommand.self]
    )
}

/// `hyperion eval beir`: builds (or reuses) an index of a BEIR corpus, runs every judged query and prints
/// nDCG@10, Recall@10, Recall@100 and MRR@10 with the time spent embedding, indexing and searching.
struct BEIREvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "beir",
        abstract: "Evaluate retrieval on a BEIR-layout collection (corpus.jsonl, queries.jsonl, qrels)."
    )

    @Option(help: "Corpus JSON lines ({\"_id\",\"title\",\"text\"}).") var corpus: String
    @Option(help: "Queries JSON lines ({\"_id\",\"text\"}).") var queries: String
    @Option(help: "Relevance judgements: BEIR TSV with header, or TREC qrels.") var qrels: String
    @Option(help: "vector, keyword or hybrid.") var mode: RetrievalMode = .hybrid
    @Option(name: .customLong("top-k"), help: "Results per query.") var topK: Int = 100
    @Option(help: "Model folder (default: embedding.model_path).") var model: String?
    @Option(help: "Keep the index here and reuse it on the next run with the same corpus and model.") var indexDir: String?
    @Option(help: "Hybrid fusion: rrf or weighted.") var fusion: String = "weighted"
    @Option(help: "RRF constant k.") var rrfK: Double = 60
    @Option(help: "Weight of the vector score in weighted fusion (0…1).") var vectorWeight: Double = 0.5
    @Option(help: "Candidates per mode before fusion.") var candidates: Int = 100
    @Option(help: "BM25 k1.") var k1: Float = 0.9
    @Option(help: "BM25 b.") var b: Float = 0.4
    @Option(help: "Overlap between the windows a long document is cut into for the embedding model (0…0.9).") var windowOverlap: Double = 0.25
    @Option(help: "Write each query's embedding here as JSON lines ({\"id\",\"vector\"}), for comparing engines' own clients.")
    var saveQueryVectors: String?
    @Flag(help: "Print the result as JSON.") var json = false
    @OptionGroup var options: ConfigOptions

    func validate() throws {
        guard topK >= 1 else { throw ValidationError("--top-k must be at least 1") }
        guard ["rrf", "weighted"].contains(fusion) else { throw ValidationError("--fusion must be rrf or weighted") }
        guard (0...1).contains(vectorWeight) else { throw ValidationError("--vector-weight must be between 0 and 1") }
        guard candidates >= 1 else { throw ValidationError("--candidates must be at least 1") }
        guard (0..<1).contains(windowOverlap) else { throw ValidationError("--window-overlap must be in 0..<1") }
    }

    struct Report: Encodable {
        let mode: String
        let queries: Int
        let documents: Int
        let passages: Int
        let metrics: RetrievalMetrics
        let seconds: [String: Double]
        let settings: [String: String]
    }

    func run() async throws {
        try await reportingStartupErrors {
            let data = try BEIRDataset.load(corpus: URL(fileURLWithPath: corpus), queries: URL(fileURLWithPath: queries),
                                            qrels: URL(fileURLWithPath: qrels))
            let judged = data.qrels.keys.filter { data.queries[$0] != nil }.sorted()
            guard !judged.isEmpty else { throw ValidationError("no query in \(queries) has judgements in \(qrels)") }
            let settings = try ServerSettings(reader: try await options.reader())
            let folder = model.map { URL(fileURLWithPath: $0) } ?? settings.embedding.modelPath
            let embedder = try SentenceEmbedder(modelFolder: folder, threads: settings.embedding.threads)
            let clock = ContinuousClock()
            var seconds: [String: Double] = [:]

            let parameters = BM25Parameters(k1: k1, b: b)
            let built = try await BEIRIndexes.open(data: data, embedder: embedder, parameters: parameters,
                                                   windowOverlap: windowOverlap, directory: indexDir.map { URL(fileURLWithPath: $0) },
                                                   needVectors: mode != .keyword, seconds: &seconds)

            // With vector.store set to an outside engine, the same entries are copied there (vectors into the engine,
            // keyword postings into the store at database.url) and the run searches those instead.
            var searched = (vectors: built.vectors, keywords: built.keywords)
            var closeEngines: (@Sendable () async throws -> Void)?
            if settings.vectors.engine != .local {
                let logger = makeLogger(settings: settings)
                let store = try await Store.open(settings.store, logger: logger)
                try await Migrator(store: store, logger: logger).migrate()
                let engines = try IndexEngines.make(settings: settings, store: store, dimension: embedder.dimension, logger: logger)
                closeEngines = { try await engines.close(); try await store.close() }
                let indexes = try await built.copy(into: engines.catalog, data: data, seconds: &seconds)
                searched = (indexes.vectors, indexes.keywords)
            }

            let texts = judged.map { data.queries[$0]! }
            var queryVectors: [String: [Float]] = [:]
            if mode != .keyword {
                let started = clock.now
                let vectors = try await embedder.embed(texts, purpose: .query)
                seconds["embed_queries"] = (clock.now - started).seconds
                for (text, vector) in zip(texts, vectors) { queryVectors[text] = vector }
            }
            let retriever = Retriever(
                embedder: PrecomputedEmbedder(modelID: embedder.modelID, dimension: embedder.dimension, vectors: queryVectors),
                vectors: searched.vectors, keywords: searched.keywords,
                settings: RetrieverSettings(fusion: fusion == "rrf" ? .reciprocalRank(k: rrfK) : .weighted(vectorWeight: vectorWeight),
                                            candidates: candidates, granularity: .document)
            )
            if let saveQueryVectors {
                struct Line: Encodable { let id: String; let vector: [Float] }
                let lines = try judged.map { id in
                    String(decoding: try JSONEncoder().encode(Line(id: id, vector: queryVectors[data.queries[id]!] ?? [])), as: UTF8.self)
                }
                try (lines.joined(separator: "\n") + "\n").write(toFile: saveQueryVectors, atomically: true, encoding: .utf8)
            }
            let started = clock.now
            var perQuery: [RetrievalMetrics] = []
            var latencies: [Double] = []
            for id in judged {
                let one = clock.now
                let results = try await retriever.retrieve(data.queries[id]!, k: topK, mode: mode)
                latencies.append((clock.now - one).seconds * 1000)
                perQuery.append(.score(ranking: results.map(\.documentID), judgements: data.qrels[id]!))
            }
            seconds["search"] = (clock.now - started).seconds
            latencies.sort()
            seconds["search_p50_ms"] = latencies[latencies.count / 2]
            seconds["search_p95_ms"] = latencies[min(latencies.count - 1, latencies.count * 95 / 100)]
            try await closeEngines?()
            let report = Report(
                mode: mode.rawValue, queries: judged.count, documents: data.corpus.count, passages: built.passages,
                metrics: .mean(perQuery), seconds: seconds,
                settings: ["model": embedder.modelID, "fusion": fusion, "rrf_k": "\(rrfK)", "vector_weight": "\(vectorWeight)",
                           "candidates": "\(candidates)", "k1": "\(k1)", "b": "\(b)", "window_overlap": "\(windowOverlap)",
                           "vector_store": settings.vectors.engine.rawValue]
            )
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print(Self.table(report))
            }
        }
    }

    static func table(_ report: Report) -> String {
        func f(_ x: Double) -> String { String(format: "%.4f", x) }
        let m = report.metrics
        var lines = [
            "mode        \(report.mode)  (\(report.queries) queries, \(report.documents) documents, \(report.passages) passages)",
            "nDCG@10     \(f(m.ndcgAt10))",
            "Recall@10   \(f(m.recallAt10))",
            "Recall@100  \(f(m.recallAt100))",
            "MRR@10      \(f(m.mrrAt10))",
        ]
        lines.append("store       \(report.settings["vector_store"] ?? "local")")
        for key in ["embed_documents", "index", "load", "copy_keywords", "copy_vectors", "embed_queries", "search"] {
            if let s = report.seconds[key] { lines.append("time \(key.padding(toLength: 16, withPad: " ", startingAt: 0)) \(String(format: "%.2f s", s))") }
        }
        if let p50 = report.seconds["search_p50_ms"], let p95 = report.seconds["search_p95_ms"] {
            lines.append("per query        p50 \(String(format: "%.2f", p50)) ms, p95 \(String(format: "%.2f", p95)) ms")
        }
        return lines.joined(separator: "\n")
    }
}

extension RetrievalMode: ExpressibleByArgument {}

/// Returns vectors computed ahead (all queries in one batch), so timing separates embedding from search.
struct PrecomputedEmbedder: Embedder {
    let modelID: String
    let dimension: Int
    let vectors: [String: [Float]]

    func embed(_ texts: [String], purpose: EmbeddingPurpose) async throws -> [[Float]] {
        try texts.map { text in
            guard let vector = vectors[text] else { throw HyperionError(.unavailable, code: "not_embedded", message: "query was not embedded ahead") }
            return vector
        }
    }
}
