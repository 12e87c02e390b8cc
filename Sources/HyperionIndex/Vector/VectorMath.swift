import CKernels

/// Measures of one vector pair (the C kernels); the exact scan over many vectors uses BLAS instead.
enum VectorMath {
    /// The C kernels' inner product (AVX2 + FMA where the CPU has it), shared with the HNSW walk.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        hyp_dot(a, b, Int32(n))
    }

    @inline(__always)
    static func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        hyp_l2sq(a, b, Int32(n))
    }

    /// Scales `v` to unit length in place; a zero vector stays zero.
    static func normalize(_ v: inout [Float]) {
        let norm = v.withUnsafeBufferPointer { dot($0.baseAddress!, $0.baseAddress!, $0.count) }.squareRoot()
        guard norm > 0 else { return }
        let scale = 1 / norm
        for i in v.indices { v[i] *= scale }
    }
}
