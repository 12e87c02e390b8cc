import CKernels

/// Which matrix kernels this process runs, for the start-up log and `hyperion version`.
public enum ComputeKernels {
    /// OpenBLAS's kernel family (e.g. "SkylakeX"), or "portable" when OpenBLAS could not be loaded.
    /// Asking loads OpenBLAS, with its kernels chosen from CPUID (see CKernels' `hyp_blas_core`).
    public static var blasCore: String { String(cString: hyp_blas_core()) }

    /// Where the choice came from: "cpuid", "OPENBLAS_CORETYPE" (set by the operator) or "openblas".
    public static var blasOrigin: String { String(cString: hyp_blas_core_origin()) }

    /// Whether our own AVX2/FMA/F16C kernels run (small GEMMs, attention, GELU, distances).
    public static var vectorKernels: String { hyp_have_avx2_fma() ? "avx2+fma+f16c" : "portable" }

    /// One line: `openblas=SkylakeX (cpuid), kernels=avx2+fma+f16c`.
    public static var summary: String { "openblas=\(blasCore) (\(blasOrigin)), kernels=\(vectorKernels)" }
}
