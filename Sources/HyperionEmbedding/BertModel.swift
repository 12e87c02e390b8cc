import CKernels
import Foundation

/// An immutable block of floats with a stable address, so kernels can take raw pointers without copying.
final class FloatStorage: @unchecked Sendable {
    // Written only in `init`; read-only afterwards, which is what makes sharing across threads safe.
    let pointer: UnsafeMutablePointer<Float>
    let count: Int
    /// The same values rounded to F16, for weight matrices that short inputs multiply (see `init(_:half:)`).
    let half: UnsafeMutablePointer<UInt16>?

    /// `half`: also keep an F16 copy, which the small-batch kernel streams at half the bytes. Rounding the
    /// encoder's weights to F16 moves a MiniLM embedding by a cosine of about 3e-7 (measured against
    /// PyTorch in F32), far inside the faithfulness bound of 1e-4; the arithmetic itself stays F32.
    convenience init(_ values: [Float], half: Bool = false) {
        self.init(concatenating: [values], half: half)
    }

    init(concatenating parts: [[Float]], half wantsHalf: Bool = false) {
        let count = parts.reduce(0) { $0 + $1.count }
        let pointer = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(count, 1))
        var offset = 0
        for part in parts {
            part.withUnsafeBufferPointer { if let base = $0.baseAddress { (pointer + offset).initialize(from: base, count: part.count) } }
            offset += part.count
        }
        self.count = count
        self.pointer = pointer
        var half: UnsafeMutablePointer<UInt16>?
        if wantsHalf && Parallel.smallKernelAvailable {
            let copy = UnsafeMutablePointer<UInt16>.allocate(capacity: Swift.max(count, 1))
            if hyp_f32_to_f16(pointer, copy, count) { half = copy } else { copy.deallocate() }
        }
        self.half = half
    }

    deinit {
        pointer.deallocate()
        half?.deallocate()
    }
}

/// The weights of one encoder layer, Linear weights stored `[out, in]` as in PyTorch.
struct BertLayerWeights: Sendable {
    /// Query, key and value projections stacked into one `[3H, H]` matrix so one GEMM computes all three.
    let qkvWeight: FloatStorage
    let qkvBias: FloatStorage
    let attentionOutputWeight: FloatStorage
    let attentionOutputBias: FloatStorage
    let attentionNormWeight: FloatStorage
    let attentionNormBias: FloatStorage
    let intermediateWeight: FloatStorage
    let intermediateBias: FloatStorage
    let outputWeight: FloatStorage
    let outputBias: FloatStorage
    let outputNormWeight: FloatStorage
    let outputNormBias: FloatStorage
}

/// A BERT encoder: embeddings and `N` transformer layers, computing in F32 through OpenBLAS.
struct BertModel: Sendable {
    let config: BertConfig
    let wordEmbeddings: FloatStorage
    let positionEmbeddings: FloatStorage
    /// Row 0 of the token-type table: every token of a single sentence has type 0.
    let tokenTypeEmbedding: FloatStorage
    let embeddingNormWeight: FloatStorage
    let embeddingNormBias: FloatStorage
    let layers: [BertLayerWeights]
    /// Scratch memory of the last forward pass, kept for the next: a document batch needs ~130 MB, which the
    /// allocator would otherwise map, fault in and zero again for every batch. The embedding scheduler frees it
    /// when it goes idle.
    let workspaces = WorkspaceCache()

    /// Number of multiply-adds ×2 of the matrix products for sequences of these lengths (for throughput figures).
    func flops(lengths: [Int]) -> Double {
        let h = Double(config.hiddenSize), i = Double(config.intermediateSize)
        var total = 0.0
        for n in lengths.map(Double.init) {
            let dense = 2 * n * (4 * h * h + 2 * h * i)
            let attention = 2 * 2 * n * n * h
            total += Double(config.layerCount) * (dense + attention)
        }
        return total
    }

    // MARK: Loading

    /// Loads and checks every tensor against `config` (names with or without the `bert.` prefix).
    static func load(file: SafeTensorsFile, config: BertConfig) throws -> BertModel {
        let path = file.url.path
        let h = config.hiddenSize, inter = config.intermediateSize

        // Resolve each logical name to the name in the file.
        func resolve(_ name: String) throws -> String {
            var candidates = [name, "bert." + name]
            // Checkpoints converted from TensorFlow call LayerNorm parameters gamma/beta.
            if name.hasSuffix("LayerNorm.weight") {
                let alt = String(name.dropLast("weight".count)) + "gamma"
                candidates += [alt, "bert." + alt]
            } else if name.hasSuffix("LayerNorm.bias") {
                let alt = String(name.dropLast("bias".count)) + "beta"
                candidates += [alt, "bert." + alt]
            }
            guard let found = candidates.first(where: { file.entries[$0] != nil }) else {
                throw EmbeddingError.invalidFile(path: path, reason: "missing tensor '\(name)'")
            }
            return found
        }

        var wanted: [(logical: String, stored: String, shape: [Int])] = []
        func want(_ name: String, _ shape: [Int]) throws {
            let stored = try resolve(name)
            let actual = file.entries[stored]?.shape ?? []
            guard actual == shape else {
                throw EmbeddingError.invalidFile(path: path, reason: "tensor '\(stored)' has shape \(actual) but config.json implies \(shape)")
            }
            wanted.append((name, stored, shape))
        }
        try want("embeddings.word_embeddings.weight", [config.vocabSize, h])
        try want("embeddings.position_embeddings.weight", [config.maxPositions, h])
        try want("embeddings.token_type_embeddings.weight", [config.typeVocabSize, h])
        try want("embeddings.LayerNorm.weight", [h])
        try want("embeddings.LayerNorm.bias", [h])
        for layer in 0..<config.layerCount {
            let prefix = "encoder.layer.\(layer)."
            for part in ["query", "key", "value"] {
                try want(prefix + "attention.self.\(part).weight", [h, h])
                try want(prefix + "attention.self.\(part).bias", [h])
            }
            try want(prefix + "attention.output.dense.weight", [h, h])
            try want(prefix + "attention.output.dense.bias", [h])
            try want(prefix + "attention.output.LayerNorm.weight", [h])
            try want(prefix + "attention.output.LayerNorm.bias", [h])
            try want(prefix + "intermediate.dense.weight", [inter, h])
            try want(prefix + "intermediate.dense.bias", [inter])
            try want(prefix + "output.dense.weight", [h, inter])
            try want(prefix + "output.dense.bias", [h])
            try want(prefix + "output.LayerNorm.weight", [h])
            try want(prefix + "output.LayerNorm.bias", [h])
        }
        let stored = try file.readFloats(wanted.map(\.stored))
        var tensors: [String: [Float]] = [:]
        for item in wanted { tensors[item.logical] = stored[item.stored] }

        func take(_ name: String) throws -> [Float] {
            guard let values = tensors.removeValue(forKey: name) else {
                throw EmbeddingError.invalidFile(path: path, reason: "missing tensor '\(name)'")
            }
            return values
        }
        var layers: [BertLayerWeights] = []
        for layer in 0..<config.layerCount {
            let p = "encoder.layer.\(layer)."
            layers.append(BertLayerWeights(
                qkvWeight: FloatStorage(concatenating: [try take(p + "attention.self.query.weight"),
                                                        try take(p + "attention.self.key.weight"),
                                                        try take(p + "attention.self.value.weight")], half: true),
                qkvBias: FloatStorage(concatenating: [try take(p + "attention.self.query.bias"),
                                                      try take(p + "attention.self.key.bias"),
                                                      try take(p + "attention.self.value.bias")]),
                attentionOutputWeight: FloatStorage(try take(p + "attention.output.dense.weight"), half: true),
                attentionOutputBias: FloatStorage(try take(p + "attention.output.dense.bias")),
                attentionNormWeight: FloatStorage(try take(p + "attention.output.LayerNorm.weight")),
                attentionNormBias: FloatStorage(try take(p + "attention.output.LayerNorm.bias")),
                intermediateWeight: FloatStorage(try take(p + "intermediate.dense.weight"), half: true),
                intermediateBias: FloatStorage(try take(p + "intermediate.dense.bias")),
                outputWeight: FloatStorage(try take(p + "output.dense.weight"), half: true),
                outputBias: FloatStorage(try take(p + "output.dense.bias")),
                outputNormWeight: FloatStorage(try take(p + "output.LayerNorm.weight")),
                outputNormBias: FloatStorage(try take(p + "output.LayerNorm.bias"))
            ))
        }
        return BertModel(
            config: config,
            wordEmbeddings: FloatStorage(try take("embeddings.word_embeddings.weight")),
            positionEmbeddings: FloatStorage(try take("embeddings.position_embeddings.weight")),
            tokenTypeEmbedding: FloatStorage(Array(try take("embeddings.token_type_embeddings.weight").prefix(h))),
            embeddingNormWeight: FloatStorage(try take("embeddings.LayerNorm.weight")),
            embeddingNormBias: FloatStorage(try take("embeddings.LayerNorm.bias")),
            layers: layers
        )
    }

    // MARK: Forward pass

    /// Runs the encoder over `sequences` (token ids, each within the vocabulary and `maxPositions`) and
    /// calls `body` with the last hidden states, all tokens packed row after row with no padding, and
    /// the first row of each sequence.
    ///
    /// Packing instead of padding is exact: a padded key only ever gets weight exp(−∞) = 0, and every
    /// other operation works token by token, so pad rows would only cost time.
    func forward<R>(_ sequences: [[Int]], parallel: Parallel, _ body: (UnsafePointer<Float>, [Int]) -> R) -> R {
        let h = config.hiddenSize, inter = config.intermediateSize
        let heads = config.headCount, headSize = config.headSize
        let eps = config.layerNormEps
        var offsets: [Int] = []
        offsets.reserveCapacity(sequences.count + 1)
        var total = 0
        var longest = 0
        for sequence in sequences {
            offsets.append(total)
            total += sequence.count
            longest = Swift.max(longest, sequence.count)
        }
        offsets.append(total)

        // Scratch for this batch shape, reused by every layer.
        let headScratch = hyp_attention_scratch(Int32(longest), Int32(headSize))
        let workspace = workspaces.take(tokens: total, hidden: h, intermediate: inter, scores: headScratch * parallel.workers)
        defer { workspaces.give(workspace) }
        let hidden = workspace.hidden, qkv = workspace.qkv, context = workspace.context
        let sumBuffer = workspace.sum, intermediate = workspace.intermediate, scores = workspace.scores

        // Embeddings: word + position + token type 0, then LayerNorm.
        for (s, sequence) in sequences.enumerated() {
            for (position, id) in sequence.enumerated() {
                let row = hidden + (offsets[s] + position) * h
                let word = wordEmbeddings.pointer + id * h
                let pos = positionEmbeddings.pointer + position * h
                let type = tokenTypeEmbedding.pointer
                for j in 0..<h { row[j] = word[j] + pos[j] + type[j] }
            }
        }
        parallel.forEachChunk(total, minimumChunk: 16) { rows in
            Kernels.layerNorm(hidden + rows.lowerBound * h, into: hidden + rows.lowerBound * h, rows: rows.count, width: h,
                              weight: embeddingNormWeight.pointer, bias: embeddingNormBias.pointer, eps: eps)
        }

        let scale = 1 / Float(headSize).squareRoot()
        let pairs = sequences.count * heads
        for layer in layers {
            // Q, K, V for all tokens in one GEMM: qkv = hidden · Wqkvᵀ + b.
            parallel.linear(m: total, n: 3 * h, k: h, a: hidden, lda: h, weights: layer.qkvWeight,
                            bias: layer.qkvBias.pointer, c: qkv, ldc: 3 * h)
            // Attention per (sequence, head) pair, reading heads in place through leading dimensions;
            // pairs are dealt round-robin, and neighbours have similar lengths because batches are sorted.
            parallel.run { worker in
                let myScores = scores + worker * headScratch
                var pair = worker
                while pair < pairs {
                    let s = pair / heads, head = pair % heads
                    let n = offsets[s + 1] - offsets[s]
                    let q = qkv + offsets[s] * 3 * h + head * headSize
                    let out = context + offsets[s] * h + head * headSize
                    // The C kernel wherever it is vectorised for this shape (measured faster than BLAS per head
                    // at every length: +12–17 % documents/s at ~240 tokens); BLAS otherwise, e.g. without AVX2.
                    if hyp_attention_fast(Int32(n), Int32(headSize)) {
                        hyp_attention_head(Int32(n), Int32(headSize), q, q + h, q + 2 * h, Int32(3 * h), scale,
                                           myScores, out, Int32(h))
                    } else {
                        Kernels.sgemm(m: n, n: n, k: headSize, alpha: scale, a: q, lda: 3 * h, b: q + h, ldb: 3 * h,
                                      transposeB: true, beta: 0, c: myScores, ldc: n)
                        Kernels.softmaxRows(myScores, rows: n, count: n)
                        Kernels.sgemm(m: n, n: headSize, k: n, a: myScores, lda: n, b: q + 2 * h, ldb: 3 * h,
                                      transposeB: false, beta: 0, c: out, ldc: h)
                    }
                    pair += parallel.workers
                }
            }
            // Output projection with the residual folded into the accumulator: sum = hidden + b + context · Woᵀ.
            parallel.linear(m: total, n: h, k: h, a: context, lda: h, weights: layer.attentionOutputWeight,
                            bias: layer.attentionOutputBias.pointer, residual: hidden, ldr: h, c: sumBuffer, ldc: h)
            parallel.forEachChunk(total, minimumChunk: 16) { rows in
                Kernels.layerNorm(sumBuffer + rows.lowerBound * h, into: hidden + rows.lowerBound * h, rows: rows.count,
                                  width: h, weight: layer.attentionNormWeight.pointer,
                                  bias: layer.attentionNormBias.pointer, eps: eps)
            }
            // Feed-forward block.
            let activation = config.activation
            parallel.linear(m: total, n: inter, k: h, a: hidden, lda: h, weights: layer.intermediateWeight,
                            bias: layer.intermediateBias.pointer, c: intermediate, ldc: inter) { rows, columns in
                if columns.count == inter {
                    Kernels.activate(intermediate + rows.lowerBound * inter, count: rows.count * inter, activation)
                } else {
                    for row in rows {
                        Kernels.activate(intermediate + row * inter + columns.lowerBound, count: columns.count, activation)
                    }
                }
            }
            parallel.linear(m: total, n: h, k: inter, a: intermediate, lda: inter, weights: layer.outputWeight,
                            bias: layer.outputBias.pointer, residual: hidden, ldr: h, c: sumBuffer, ldc: h)
            parallel.forEachChunk(total, minimumChunk: 16) { rows in
                Kernels.layerNorm(sumBuffer + rows.lowerBound * h, into: hidden + rows.lowerBound * h, rows: rows.count,
                                  width: h, weight: layer.outputNormWeight.pointer,
                                  bias: layer.outputNormBias.pointer, eps: eps)
            }
        }
        return body(UnsafePointer(hidden), offsets)
    }
}

/// Holds at most one spare `Workspace` between forward passes; two passes at once each get their own.
final class WorkspaceCache: @unchecked Sendable {
    // `spare` is guarded by `lock`.
    private let lock = NSLock()
    private var spare: Workspace?

    deinit { spare?.release() }

    /// A workspace for at least this shape: the spare one when it is big enough, else a new one.
    fileprivate func take(tokens: Int, hidden: Int, intermediate: Int, scores: Int) -> Workspace {
        lock.lock()
        let candidate = spare
        spare = nil
        lock.unlock()
        if let candidate, candidate.fits(tokens: tokens, hidden: hidden, intermediate: intermediate, scores: scores) {
            return candidate
        }
        candidate?.release()
        return Workspace(tokens: tokens, hidden: hidden, intermediate: intermediate, scores: scores)
    }

    /// Keeps `workspace` as the spare (the larger one when there already is a spare).
    fileprivate func give(_ workspace: Workspace) {
        lock.lock()
        var surplus: Workspace? = workspace
        if spare.map({ $0.floats < workspace.floats }) ?? true {
            surplus = spare
            spare = workspace
        }
        lock.unlock()
        surplus?.release()
    }

    /// Frees the spare workspace (the embedding scheduler calls this when it goes idle).
    func trim() {
        lock.lock()
        let released = spare
        spare = nil
        lock.unlock()
        released?.release()
    }
}

/// Scratch buffers for one batch shape (or a larger one: passes use a prefix of each buffer).
private struct Workspace {
    let hidden: UnsafeMutablePointer<Float>
    let qkv: UnsafeMutablePointer<Float>
    let context: UnsafeMutablePointer<Float>
    let sum: UnsafeMutablePointer<Float>
    let intermediate: UnsafeMutablePointer<Float>
    let scores: UnsafeMutablePointer<Float>

    let tokens: Int, hiddenSize: Int, intermediateSize: Int, scoreCount: Int

    /// Floats held: hidden, qkv (3 wide), context and sum per token, the intermediate activations, the scores.
    var floats: Int { tokens * ((1 + 3 + 1 + 1) * hiddenSize + intermediateSize) + scoreCount }

    func fits(tokens: Int, hidden: Int, intermediate: Int, scores: Int) -> Bool {
        self.tokens >= tokens && hiddenSize == hidden && intermediateSize == intermediate && scoreCount >= scores
    }

    init(tokens: Int, hidden h: Int, intermediate inter: Int, scores scoreCount: Int) {
        self.tokens = tokens
        hiddenSize = h
        intermediateSize = inter
        self.scoreCount = scoreCount
        func make(_ count: Int) -> UnsafeMutablePointer<Float> {
            let pointer = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(count, 1))
            pointer.initialize(repeating: 0, count: Swift.max(count, 1))
            return pointer
        }
        hidden = make(tokens * h)
        qkv = make(tokens * 3 * h)
        context = make(tokens * h)
        sum = make(tokens * h)
        intermediate = make(tokens * inter)
        scores = make(scoreCount)
    }

    func release() {
        for pointer in [hidden, qkv, context, sum, intermediate, scores] { pointer.deallocate() }
    }
}
