import CKernels
import Foundation
import HyperionCore

/// A sentence-transformers BERT model (e.g. all-MiniLM-L6-v2) run in process on OpenBLAS.
///
/// Everything is read and validated in `init`; embedding cannot fail afterwards. Results match
/// Python's `SentenceTransformer.encode` (same token ids; cosine ≥ 0.9999 on the reference texts).
///
/// `embed(_:purpose:)` goes through a scheduler that serves `.query` texts ahead of queued `.document`
/// slices; `embedBatch(_:)` runs synchronously on the caller's thread.
public final class SentenceEmbedder: Embedder {
    /// The model folder's name, e.g. "all-MiniLM-L6-v2".
    public let modelID: String
    /// Length of every vector.
    public let dimension: Int
    /// Longest token sequence (`[CLS]` and `[SEP]` included); longer texts are truncated.
    public let maxSequenceLength: Int
    /// Texts per forward pass, and per scheduling slice.
    public let batchSize: Int

    /// Threads one forward pass uses.
    public let threads: Int

    private let folder: ModelFolder
    private let parallel: Parallel
    private let scheduler: EmbeddingScheduler

    /// Loads the model folder at `modelFolder`.
    /// - Parameters:
    ///   - threads: threads of a forward pass; all cores when nil. The library splits the work itself and
    ///     sets OpenBLAS to one thread per call (process-wide).
    ///   - batchSize: texts per forward pass (32, like sentence-transformers).
    /// - Throws: `EmbeddingError` naming the file at fault.
    public init(modelFolder: URL, threads: Int? = nil, batchSize: Int = 32) throws {
        let folder = try ModelFolder.load(modelFolder)
        self.folder = folder
        modelID = folder.url.lastPathComponent
        dimension = folder.config.hiddenSize * folder.pooling.modeCount
        maxSequenceLength = folder.tokenizer.maxLength
        self.batchSize = Swift.max(1, batchSize)
        let threadCount = Swift.max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
        self.threads = threadCount
        // OpenBLAS is loaded here (kernels chosen from CPUID); without it a forward pass would take seconds.
        if let failure = hyp_blas_error() {
            throw EmbeddingError.unsupported(path: modelFolder.path, reason: String(cString: failure))
        }
        // Our own threads split every GEMM; OpenBLAS threading on top would only add hand-offs (see `Parallel`).
        hyp_blas_set_threads(1)
        let parallel = Parallel(workers: threadCount)
        self.parallel = parallel
        let batch = self.batchSize
        scheduler = EmbeddingScheduler(sliceSize: batch, work: { texts in
            Self.run(folder, texts, batchSize: batch, parallel: parallel)
        }, idle: {
            folder.model.workspaces.trim()
        })
    }

    /// The `input_ids` sentence-transformers would feed the model for `text` (`[CLS] … [SEP]`, truncated).
    public func tokenize(_ text: String) -> [Int] {
        folder.tokenizer.encode(folder.lowercaseInput ? text.lowercased() : text)
    }

    /// Number of word pieces of `text` without truncation (no `[CLS]`/`[SEP]`), so callers can cut
    /// texts into windows the model sees whole.
    public func pieceCount(_ text: String) -> Int {
        folder.tokenizer.truncating(at: Int(Int32.max)).encode(folder.lowercaseInput ? text.lowercased() : text).count - 2
    }

    /// Embeds `texts` on the calling thread, one vector per text, in order. The forward pass's scratch memory
    /// (about 130 MB for a batch of 32 texts of 256 tokens) is kept for the next call.
    public func embedBatch(_ texts: [String]) throws -> [[Float]] {
        Self.run(folder, texts.map { prompted($0, promptName: folder.defaultPromptName) }, batchSize: batchSize, parallel: parallel)
    }

    /// Embeds `texts` in order. Queries are served between slices of any running document job.
    /// The model's prompt for `purpose` (config_sentence_transformers.json), if any, is prepended.
    public func embed(_ texts: [String], purpose: EmbeddingPurpose) async throws -> [[Float]] {
        let name = folder.prompts[purpose.rawValue] != nil ? purpose.rawValue : folder.defaultPromptName
        return try await scheduler.submit(texts.map { prompted($0, promptName: name) }, priority: purpose == .query)
    }

    /// Sum of the FLOPs of the matrix products needed for `texts` (for benchmarks).
    public func matmulFLOPs(_ texts: [String]) -> Double {
        folder.model.flops(lengths: texts.map { tokenize($0).count })
    }

    private func prompted(_ text: String, promptName: String?) -> String {
        guard let promptName, let prompt = folder.prompts[promptName], !prompt.isEmpty else { return text }
        return prompt + text
    }

    /// Tokenises, sorts by length so that batches hold similar lengths, runs the model batch by batch
    /// and returns vectors in input order.
    private static func run(_ folder: ModelFolder, _ texts: [String], batchSize: Int, parallel: Parallel) -> [[Float]] {
        let ids = texts.map { folder.tokenizer.encode(folder.lowercaseInput ? $0.lowercased() : $0) }
        let order = ids.indices.sorted { ids[$0].count > ids[$1].count }
        var results = [[Float]](repeating: [], count: texts.count)
        let width = folder.config.hiddenSize
        let dimension = width * folder.pooling.modeCount
        var start = 0
        while start < order.count {
            let slice = order[start..<Swift.min(start + batchSize, order.count)]
            let batch = slice.map { ids[$0] }
            folder.model.forward(batch, parallel: parallel) { hidden, offsets in
                for (position, index) in slice.enumerated() {
                    var vector = [Float](unsafeUninitializedCapacity: dimension) { buffer, initialized in
                        if let base = buffer.baseAddress {
                            folder.pooling.pool(hidden + offsets[position] * width,
                                                count: offsets[position + 1] - offsets[position],
                                                width: width, into: base)
                        }
                        initialized = dimension
                    }
                    if folder.normalize { Pooling.normalize(&vector) }
                    results[index] = vector
                }
            }
            start += batchSize
        }
        return results
    }
}
