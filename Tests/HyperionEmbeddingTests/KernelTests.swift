import Foundation
import CKernels
import Testing

/// The C kernels against plain references: OpenBLAS for products, naive loops for the rest. Every shape
/// class is covered: row and column remainders of the register blocks, odd `k`, strided operands.
@Suite("C kernels")
struct KernelTests {
    /// Performance issue, item 0: Debian's OpenBLAS fell back to SSE3 kernels on a processor model it did not know.
    @Test("OpenBLAS runs the kernels the CPU's features call for, never a generic fallback")
    func blasCoreFollowsCPUID() throws {
        #expect(hyp_blas_error() == nil, "OpenBLAS must load: \(hyp_blas_error().map { String(cString: $0) } ?? "")")
        let core = String(cString: hyp_blas_core()).lowercased()
        let origin = String(cString: hyp_blas_core_origin())
        guard let wanted = hyp_blas_core_for_cpu().map({ String(cString: $0).lowercased() }) else { return }  // not x86-64
        if origin == "cpuid" {
            #expect(core == wanted, "CPUID calls for \(wanted), OpenBLAS runs \(core)")
        } else {
            #expect(origin == "OPENBLAS_CORETYPE", "an x86-64 choice comes from CPUID unless the environment sets one")
        }
        if hyp_have_avx2_fma() {
            #expect(["haswell", "skylakex", "cooperlake", "sapphirerapids", "zen"].contains(core) || origin != "cpuid",
                    "AVX2 present, yet OpenBLAS runs \(core)")
            #expect(["haswell", "skylakex"].contains(wanted))
        }
        // The products still agree with a plain loop through whichever kernels were chosen.
        let (m, n, k) = (5, 7, 33)
        var rng = Numbers(state: 7)
        let a = (0..<(m * k)).map { _ in rng.next() }, b = (0..<(n * k)).map { _ in rng.next() }
        var c = [Float](repeating: 0, count: m * n)
        hyp_sgemm(true, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(k), 0, &c, Int32(n))
        var y = [Float](repeating: 0, count: n)
        hyp_sgemv(Int32(n), Int32(k), b, Int32(k), a, &y)
        for i in 0..<m {
            for j in 0..<n {
                let expected = (0..<k).reduce(Float(0)) { $0 + a[i * k + $1] * b[j * k + $1] }
                #expect(abs(c[i * n + j] - expected) <= 1e-4 * max(1, abs(expected)))
                if i == 0 { #expect(abs(y[j] - expected) <= 1e-4 * max(1, abs(expected))) }
            }
        }
    }

    /// Deterministic pseudo-random floats in [-1, 1).
    struct Numbers {
        var state: UInt64
        mutating func next() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: state >> 11) % 2_000_000) / 1_000_000 - 1
        }
        mutating func array(_ count: Int) -> [Float] { (0..<count).map { _ in next() } }
    }

    static let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (1, 4, 8), (2, 5, 9), (3, 7, 17), (4, 3, 8), (5, 6, 33), (7, 13, 64),
        (21, 48, 384), (21, 50, 95), (64, 67, 384), (9, 16, 1536),
    ]

    /// `C = A·Wᵀ + beta·C` by OpenBLAS, the reference.
    static func reference(m: Int, n: Int, k: Int, a: [Float], lda: Int, w: [Float], ldw: Int,
                          beta: Float, c: [Float], ldc: Int) -> [Float] {
        var out = c
        hyp_sgemm(true, Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), w, Int32(ldw), beta, &out, Int32(ldc))
        return out
    }

    static func expectClose(_ actual: [Float], _ expected: [Float], m: Int, n: Int, ldc: Int, k: Int,
                            _ label: String) {
        var worst: Float = 0
        for i in 0..<m {
            for j in 0..<n {
                let x = actual[i * ldc + j], y = expected[i * ldc + j]
                worst = max(worst, abs(x - y) / max(1, abs(y)))
            }
        }
        // Sums of k products of numbers below 1 in another order: a few ulps per term at most.
        #expect(worst <= 1e-5 * Float(max(k, 8)).squareRoot(), "\(label) m=\(m) n=\(n) k=\(k): worst \(worst)")
        // Padding columns past n must be left alone.
        for i in 0..<m where ldc > n {
            for j in n..<ldc { #expect(actual[i * ldc + j].bitPattern == expected[i * ldc + j].bitPattern, "\(label) wrote past n") }
        }
    }

    @Test func smallGemmMatchesBLAS() {
        var numbers = Numbers(state: 7)
        for (m, n, k) in Self.shapes {
            let lda = k + 3, ldw = k + 1, ldc = n + 2
            let a = numbers.array(m * lda), w = numbers.array(n * ldw), c = numbers.array(m * ldc)
            for beta: Float in [0, 1, 0.5] {
                // With beta 0 C may hold anything, NaN included, and must not leak into the result.
                let start = beta == 0 ? c.enumerated().map { $0.offset % 5 == 0 ? Float.nan : $0.element } : c
                let expected = Self.reference(m: m, n: n, k: k, a: a, lda: lda, w: w, ldw: ldw, beta: beta,
                                              c: beta == 0 ? c : start, ldc: ldc)
                var fast = start, portable = start
                hyp_gemm_nt_small(Int32(m), Int32(n), Int32(k), a, Int32(lda), w, Int32(ldw), beta, &fast, Int32(ldc))
                hyp_gemm_nt_small_portable(Int32(m), Int32(n), Int32(k), a, Int32(lda), w, Int32(ldw), beta,
                                           &portable, Int32(ldc))
                var expectedPadding = expected
                if beta == 0 {
                    // The reference ran on a NaN-free C; padding keeps what `start` had.
                    for i in 0..<m { for j in n..<ldc { expectedPadding[i * ldc + j] = start[i * ldc + j] } }
                }
                Self.expectClose(fast, expectedPadding, m: m, n: n, ldc: ldc, k: k, "dispatch beta=\(beta)")
                Self.expectClose(portable, expectedPadding, m: m, n: n, ldc: ldc, k: k, "portable beta=\(beta)")
            }
        }
    }

    @Test(.enabled(if: hyp_have_avx2_fma()))
    func halfWeightGemmMatchesBLASOnRoundedWeights() {
        var numbers = Numbers(state: 11)
        for (m, n, k) in Self.shapes {
            let lda = k, ldw = k + 5, ldc = n
            let a = numbers.array(m * lda), w = numbers.array(n * ldw), c = numbers.array(m * ldc)
            var half = [UInt16](repeating: 0, count: w.count)
            #expect(hyp_f32_to_f16(w, &half, w.count))
            // The conversion rounds to nearest like Swift's Float16, and the kernel widens exactly.
            #expect(half == w.map { Float16($0).bitPattern })
            let rounded = w.map { Float(Float16($0)) }
            let expected = Self.reference(m: m, n: n, k: k, a: a, lda: lda, w: rounded, ldw: ldw, beta: 1, c: c, ldc: ldc)
            var actual = c
            #expect(hyp_gemm_nt_small_f16(Int32(m), Int32(n), Int32(k), a, Int32(lda), half, Int32(ldw), 1, &actual,
                                          Int32(ldc)))
            Self.expectClose(actual, expected, m: m, n: n, ldc: ldc, k: k, "f16")
        }
    }

    /// softmax(scale·q·kᵀ)·v computed naively in Double.
    static func naiveAttention(n: Int, d: Int, q: [Float], k: [Float], v: [Float], ld: Int, scale: Float) -> [Double] {
        var out = [Double](repeating: 0, count: n * d)
        for i in 0..<n {
            var scores = (0..<n).map { j in (0..<d).reduce(0.0) { $0 + Double(q[i * ld + $1]) * Double(k[j * ld + $1]) } * Double(scale) }
            let maximum = scores.max() ?? 0
            scores = scores.map { Foundation.exp($0 - maximum) }
            let total = scores.reduce(0, +)
            for j in 0..<n { for t in 0..<d { out[i * d + t] += scores[j] / total * Double(v[j * ld + t]) } }
        }
        return out
    }

    @Test func attentionMatchesNaiveSoftmax() {
        var numbers = Numbers(state: 3)
        // Up to 64 tokens the row-in-registers kernel; beyond, the blocked one (row and key block remainders,
        // every head size it unrolls for, and sizes it leaves to the generic loop: 12, 72).
        for (n, d) in [(1, 8), (2, 32), (5, 32), (8, 32), (13, 64), (64, 32), (7, 12), (3, 72), (203, 32),
                       (65, 32), (256, 32), (97, 64), (70, 8), (131, 16), (66, 24), (79, 40), (90, 48), (71, 56),
                       (100, 12), (67, 72)] {
            let ld = 3 * d + 4
            // Scores large enough for the softmax to be peaked (the subtraction of the maximum matters).
            let q = numbers.array(n * ld).map { $0 * 4 }, k = numbers.array(n * ld), v = numbers.array(n * ld)
            let scale = 1 / Float(d).squareRoot()
            let expected = Self.naiveAttention(n: n, d: d, q: q, k: k, v: v, ld: ld, scale: scale)
            for portable in [false, true] {
                var scores = [Float](repeating: .nan, count: hyp_attention_scratch(Int32(n), Int32(d)))
                var out = [Float](repeating: .nan, count: n * d)
                if portable {
                    hyp_attention_head_portable(Int32(n), Int32(d), q, k, v, Int32(ld), scale, &scores, &out, Int32(d))
                } else {
                    hyp_attention_head(Int32(n), Int32(d), q, k, v, Int32(ld), scale, &scores, &out, Int32(d))
                }
                let worst = zip(out, expected).map { abs(Double($0) - $1) }.max() ?? 0
                #expect(worst <= 1e-5, "n=\(n) d=\(d) portable=\(portable): worst \(worst)")
            }
        }
    }

    @Test func geluMatchesErfDefinition() {
        // A sweep through the clamped tails plus counts around the eight-lane width.
        let sweep = stride(from: -12.0, through: 12.0, by: 0.01).map { Float($0) }
        for count in [0, 1, 7, 8, 9, 23, sweep.count] {
            let input = Array(sweep.prefix(count))
            for portable in [false, true] {
                var x = input
                if portable { hyp_gelu_portable(&x, count) } else { hyp_gelu(&x, count) }
                for (value, result) in zip(input, x) {
                    let v = Double(value)
                    let expected = 0.5 * v * (1 + Foundation.erf(v / 2.0.squareRoot()))
                    #expect(abs(Double(result) - expected) <= 2e-6 * max(1, abs(v)),
                            "gelu(\(value)) = \(result), expected \(expected), portable=\(portable)")
                }
            }
        }
    }

    @Test func distancesMatchNaiveSums() {
        var numbers = Numbers(state: 5)
        for count in [0, 1, 7, 8, 9, 31, 32, 33, 100, 384] {
            let x = numbers.array(count), y = numbers.array(count)
            let dot = zip(x, y).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let l2 = zip(x, y).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
            let tolerance = 1e-5 * max(1, Double(count))
            #expect(abs(Double(hyp_dot(x, y, Int32(count))) - dot) <= tolerance, "dot \(count)")
            #expect(abs(Double(hyp_dot_portable(x, y, Int32(count))) - dot) <= tolerance, "dot portable \(count)")
            #expect(abs(Double(hyp_l2sq(x, y, Int32(count))) - l2) <= tolerance, "l2 \(count)")
            #expect(abs(Double(hyp_l2sq_portable(x, y, Int32(count))) - l2) <= tolerance, "l2 portable \(count)")
        }
    }
}
