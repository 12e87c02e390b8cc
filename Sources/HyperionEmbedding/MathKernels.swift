import CKernels
import Dispatch

/// Numeric kernels of the forward pass. Loops run over raw pointers so that the optimiser can
/// vectorise them; reductions keep eight partial sums because Swift does not reassociate float additions.
enum Kernels {
    /// Row-major `C = alpha·A·op(B) + beta·C`, `A` is m×k, `op(B)` is k×n (`B` stored n×k when `transposeB`).
    @inline(__always)
    static func sgemm(m: Int, n: Int, k: Int, alpha: Float = 1,
                      a: UnsafePointer<Float>, lda: Int,
                      b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        hyp_sgemm(transposeB, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Sets the block `rows × columns` of `output` (rows `ldo` apart) to `bias[column]`, plus
    /// `residual[row][column]` (rows `ldr` apart) when given: the starting value of a linear layer's output.
    static func initialize(_ output: UnsafeMutablePointer<Float>, ldo: Int, rows: Range<Int>, columns: Range<Int>,
                           bias: UnsafePointer<Float>, residual: UnsafePointer<Float>?, ldr: Int) {
        let b = bias + columns.lowerBound
        let width = columns.count
        for row in rows {
            let dst = output + row * ldo + columns.lowerBound
            if let residual {
                let src = residual + row * ldr + columns.lowerBound
                for j in 0..<width { dst[j] = src[j] + b[j] }
            } else {
                dst.update(from: b, count: width)
            }
        }
    }

    /// Sum of `count` floats with eight independent accumulators.
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc = SIMD8<Float>()
        var i = 0
        let raw = UnsafeRawPointer(x)
        while i + 8 <= count {
            acc += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        var total = acc.sum()
        while i < count { total += x[i]; i += 1 }
        return total
    }

    /// LayerNorm of each row of `input` (biased variance, like PyTorch) written to `output` (may alias).
    static func layerNorm(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>,
                          rows: Int, width: Int, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, eps: Float) {
        let inverseWidth = 1 / Float(width)
        for row in 0..<rows {
            let x = input + row * width
            let y = output + row * width
            let mean = sum(x, width) * inverseWidth
            var acc = SIMD8<Float>()
            var i = 0
            let raw = UnsafeRawPointer(x)
            let meanVector = SIMD8<Float>(repeating: mean)
            while i + 8 <= width {
                let d = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - meanVector
                acc += d * d
                i += 8
            }
            var squares = acc.sum()
            while i < width { let d = x[i] - mean; squares += d * d; i += 1 }
            let scale = 1 / (squares * inverseWidth + eps).squareRoot()
            for j in 0..<width {
                y[j] = (x[j] - mean) * scale * weight[j] + bias[j]
            }
        }
    }

    /// `e^x` for float, within about 2e-7 relative error; branch-free so loops over it vectorise.
    @inline(__always)
    static func exp(_ value: Float) -> Float {
        let x = Swift.min(Swift.max(value, -87), 88)
        // Round x·log2(e) to the nearest integer with the 1.5·2^23 trick (no float→int conversion, which could trap).
        let shifted = x * 1.442_695_04 + 12_582_912
        let n = shifted - 12_582_912
        let nBits = shifted.bitPattern &- 0x4B40_0000
        // r = x − n·ln2 in two parts for accuracy; |r| ≤ ln2/2.
        let r = x - n * 0.693_145_751_953_125 - n * 1.428_606_765_330_187e-6
        let p = 1 + r * (1 + r * (0.5 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720))))))
        return p * Float(bitPattern: (nBits &+ 127) &<< 23)
    }

    /// Applies `activation` in place to `count` values.
    static func activate(_ x: UnsafeMutablePointer<Float>, count: Int, _ activation: BertActivation) {
        switch activation {
        case .gelu:
            hyp_gelu(x, count)
        case .geluTanh:
            for i in 0..<count {
                let v = x[i]
                let y = 0.797_884_560_802_865_4 * (v + 0.044_715 * v * v * v)
                // tanh(y) = 1 − 2/(e^{2y} + 1)
                let t = 1 - 2 / (exp(2 * y) + 1)
                x[i] = 0.5 * v * (1 + t)
            }
        case .relu:
            for i in 0..<count { x[i] = Swift.max(x[i], 0) }
        case .silu:
            for i in 0..<count {
                let v = x[i]
                x[i] = v / (1 + exp(-v))
            }
        }
    }

    /// Softmax of each of `rows` rows of `count` values, in place.
    static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, count: Int) {
        for row in 0..<rows {
            let v = x + row * count
            // Four independent maxima so the loop is not one long dependency chain.
            var m0 = -Float.infinity, m1 = -Float.infinity, m2 = -Float.infinity, m3 = -Float.infinity
            var i = 0
            while i + 4 <= count {
                m0 = v[i] > m0 ? v[i] : m0
                m1 = v[i + 1] > m1 ? v[i + 1] : m1
                m2 = v[i + 2] > m2 ? v[i + 2] : m2
                m3 = v[i + 3] > m3 ? v[i + 3] : m3
                i += 4
            }
            while i < count { m0 = v[i] > m0 ? v[i] : m0; i += 1 }
            let maximum = Swift.max(Swift.max(m0, m1), Swift.max(m2, m3))
            for j in 0..<count { v[j] = exp(v[j] - maximum) }
            let scale = 1 / sum(v, count)
            for j in 0..<count { v[j] *= scale }
        }
    }
}

/// Lets a closure that is known to be used safely cross into `concurrentPerform`.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
}

/// Splits work over a fixed number of threads. OpenBLAS itself runs single-threaded (set in
/// `SentenceEmbedder.init`): splitting rows of the GEMMs here avoids OpenBLAS's thread hand-offs,
/// which cost more than they bring on the many small per-head products, and also parallelises the
/// element-wise kernels.
struct Parallel: Sendable {
    let workers: Int
    /// Spinning helpers for the hand-offs of one forward pass; nil with one worker.
    private let helpers: SpinningWorkers?

    init(workers: Int) {
        self.workers = Swift.max(1, workers)
        helpers = self.workers > 1 ? SpinningWorkers(helperCount: self.workers - 1) : nil
    }

    /// Calls `body(worker)` for `worker` in `0..<workers`, concurrently when `workers > 1`.
    ///
    /// `body` captures raw pointers, which are not `Sendable`; callers make each worker touch a disjoint
    /// part of the buffers, and every call has finished when `run` returns.
    func run(_ body: (Int) -> Void) {
        if workers == 1 { body(0); return }
        if let helpers, helpers.run(body) { return }
        // Another forward pass holds the helpers (two callers at once): fall back to Dispatch.
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(value: body)
            DispatchQueue.concurrentPerform(iterations: workers) { shared.value($0) }
        }
    }

    /// Calls `body(range)` on about equal parts of `0..<count`, concurrently; parts are multiples of `granule`.
    func forEachChunk(_ count: Int, minimumChunk: Int = 1, granule: Int = 1, _ body: (Range<Int>) -> Void) {
        let parts = Swift.min(workers, Swift.max(1, count / Swift.max(minimumChunk, 1)))
        if parts <= 1 { body(0..<count); return }
        let size = ((count + parts - 1) / parts + granule - 1) / granule * granule
        run { part in
            let start = Swift.min(part * size, count)
            let end = Swift.min(start + size, count)
            if start < end { body(start..<end) }
        }
    }

    /// Up to this many rows of `A`, `gemmWeights` uses the AVX2 kernel that reads the weights in place:
    /// OpenBLAS packs all of `B` on every call, which costs more than the arithmetic for a short query.
    static let smallKernelRows = 64
    static let smallKernelAvailable = hyp_have_avx2_fma()

    /// A linear layer, `C = A·Wᵀ + bias (+ residual)`, for a weight matrix `W` stored `[n, k]` as in PyTorch: split
    /// by rows of `A` for many tokens, by columns (rows of `W`) for few tokens, where streaming the weights is the
    /// cost. Each worker writes the bias (and residual, rows `ldr` apart) into its own part of `C` before its
    /// product, so that memory-bound pass is parallel too; `epilogue(rows, columns)` runs on the worker that
    /// computed that part of `C`, right after it, saving a hand-off to other threads.
    /// With few rows the F16 copy of `storage` is streamed when it has one (half the bytes; F32 arithmetic).
    func linear(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, weights storage: FloatStorage,
                bias: UnsafePointer<Float>, residual: UnsafePointer<Float>? = nil, ldr: Int = 0,
                c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: ((Range<Int>, Range<Int>) -> Void)? = nil) {
        let beta: Float = 1
        func prologue(_ rows: Range<Int>, _ columns: Range<Int>) {
            Kernels.initialize(c, ldo: ldc, rows: rows, columns: columns, bias: bias, residual: residual, ldr: ldr)
        }
        let weights = UnsafePointer(storage.pointer)
        if m <= Parallel.smallKernelRows && Parallel.smallKernelAvailable {
            let half = storage.half.map { UnsafePointer($0) }
            forEachChunk(n, minimumChunk: 64, granule: 16) { columns in
                prologue(0..<m, columns)
                if let half {
                    _ = hyp_gemm_nt_small_f16(Int32(m), Int32(columns.count), Int32(k), a, Int32(lda),
                                              half + columns.lowerBound * k, Int32(k), beta, c + columns.lowerBound, Int32(ldc))
                } else {
                    hyp_gemm_nt_small(Int32(m), Int32(columns.count), Int32(k), a, Int32(lda),
                                      weights + columns.lowerBound * k, Int32(k), beta, c + columns.lowerBound, Int32(ldc))
                }
                epilogue?(0..<m, columns)
            }
        } else if workers == 1 {
            prologue(0..<m, 0..<n)
            Kernels.sgemm(m: m, n: n, k: k, a: a, lda: lda, b: weights, ldb: k, transposeB: true, beta: beta, c: c, ldc: ldc)
            epilogue?(0..<m, 0..<n)
        } else if m >= 32 * workers {
            forEachChunk(m, granule: 8) { rows in
                prologue(rows, 0..<n)
                Kernels.sgemm(m: rows.count, n: n, k: k, a: a + rows.lowerBound * lda, lda: lda, b: weights, ldb: k,
                              transposeB: true, beta: beta, c: c + rows.lowerBound * ldc, ldc: ldc)
                epilogue?(rows, 0..<n)
            }
        } else {
            forEachChunk(n, granule: 16) { columns in
                prologue(0..<m, columns)
                Kernels.sgemm(m: m, n: columns.count, k: k, a: a, lda: lda, b: weights + columns.lowerBound * k, ldb: k,
                              transposeB: true, beta: beta, c: c + columns.lowerBound, ldc: ldc)
                epilogue?(0..<m, columns)
            }
        }
    }
}
