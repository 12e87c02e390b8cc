#ifndef HYPERION_CKERNELS_H
#define HYPERION_CKERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/// Small numeric kernels in C, for what Swift cannot express portably: AVX2 + FMA code chosen at run
/// time (the binary itself targets baseline x86-64), with a portable version everywhere else.

/// Whether this CPU (and its operating system) runs the AVX2 + FMA + F16C versions.
bool hyp_have_avx2_fma(void);

/// A pause hint for spin-wait loops (x86 `pause`), so a spinning thread yields pipeline resources.
static inline void hyp_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

/// `C = A·Wᵀ + beta·C` for few rows of `A` (row-major `m×k`) against a weight matrix `W` stored `n×k`
/// (PyTorch's Linear layout), reading `W` once in its own layout: no packing, which is what dominates
/// BLAS for a handful of tokens. Rows of `C` are `ldc` apart.
void hyp_gemm_nt_small(int m, int n, int k, const float *a, int lda, const float *w, int ldw,
                       float beta, float *c, int ldc);

/// `hyp_gemm_nt_small` with `W` held as IEEE half floats (F16 bits), widened to F32 as it is read: half the
/// bytes to stream, so a small model's weights stay in the last-level cache. Arithmetic stays F32.
/// Returns false, touching nothing, where the CPU has no AVX2 + F16C (callers keep the F32 path there).
bool hyp_gemm_nt_small_f16(int m, int n, int k, const float *a, int lda, const uint16_t *w, int ldw,
                           float beta, float *c, int ldc);

/// Rounds `count` floats to F16 bits (to nearest even). Returns false, touching nothing, without F16C.
bool hyp_f32_to_f16(const float *x, uint16_t *y, size_t count);

/// Up to this many tokens `hyp_attention_head` holds each query row in registers; longer inputs go through
/// a register-blocked version (K transposed once, 6 query rows × 16 keys per pass) when `d` is a multiple of 8
/// up to 64.
#define HYP_ATTENTION_SHORT 64

/// One head of self-attention over `n` tokens without padding: for each query row `i`,
/// `out_i = Σ_j softmax_j(scale · q_i·k_j) · v_j`. `q`, `k`, `v` rows are `ld` floats apart (heads are read in
/// place from a fused QKV buffer), `out` rows `ldo` apart; `scores` is scratch for `hyp_attention_scratch(n, d)`
/// floats.
void hyp_attention_head(int n, int d, const float *q, const float *k, const float *v, int ld, float scale,
                        float *scores, float *out, int ldo);

/// Whether `hyp_attention_head` has a vectorised path for this shape on this CPU (else BLAS is faster).
bool hyp_attention_fast(int n, int d);

/// Floats of scratch `hyp_attention_head` needs for `n` tokens and head size `d`.
size_t hyp_attention_scratch(int n, int d);

/// Exact (erf) GELU in place, `x·(1 + erf(x/√2))/2`, erf within about 4e-7.
void hyp_gelu(float *x, size_t count);

/// Inner product of two `count`-float vectors.
float hyp_dot(const float *x, const float *y, int count);

/// Squared Euclidean distance between two `count`-float vectors.
float hyp_l2sq(const float *x, const float *y, int count);

/// Distances from `query` to `count` rows of `base` (row `slots[i]`, `dimension` floats each), written to
/// `out` as "lower is closer": squared L2 when `l2`, else the negated inner product. Each next row is
/// prefetched while the current one is scored, which is what a graph walk over scattered rows waits on.
void hyp_distances(const float *query, const float *base, int dimension, const uint32_t *slots, int count, bool l2,
                   float *out);

/// The portable versions, always compiled; exposed so tests can hold both paths to the same results.
float hyp_dot_portable(const float *x, const float *y, int count);
float hyp_l2sq_portable(const float *x, const float *y, int count);
void hyp_gelu_portable(float *x, size_t count);
void hyp_attention_head_portable(int n, int d, const float *q, const float *k, const float *v, int ld, float scale,
                                 float *scores, float *out, int ldo);
void hyp_distances_portable(const float *query, const float *base, int dimension, const uint32_t *slots, int count,
                            bool l2, float *out);
void hyp_gemm_nt_small_portable(int m, int n, int k, const float *a, int lda, const float *w, int ldw,
                                float beta, float *c, int ldc);

// MARK: OpenBLAS, loaded at first use (blas.c)

/// The OpenBLAS kernel family this CPU should run, from CPUID ("SkylakeX", "Haswell", "Sandybridge", "Nehalem",
/// "Prescott"), or NULL off x86-64, where OpenBLAS's own detection decides.
const char *hyp_blas_core_for_cpu(void);

/// The kernel family OpenBLAS runs (its `openblas_get_corename()`), or "portable" when OpenBLAS could not be
/// loaded. The first call of any `hyp_blas_*`, `hyp_sgemm` or `hyp_sgemv` loads the library, after setting
/// OPENBLAS_CORETYPE from `hyp_blas_core_for_cpu()` unless the environment already sets it.
const char *hyp_blas_core(void);

/// Where the choice came from: "cpuid", "OPENBLAS_CORETYPE" (the environment's) or "openblas" (its own detection).
const char *hyp_blas_core_origin(void);

/// Why OpenBLAS could not be loaded, or NULL when it was (then the functions below run portable loops).
const char *hyp_blas_error(void);

/// Threads OpenBLAS uses per call.
void hyp_blas_set_threads(int threads);

/// Row-major `C = alpha·A·op(B) + beta·C`: `A` is m×k, `op(B)` k×n (`B` stored n×k when `transpose_b`).
void hyp_sgemm(bool transpose_b, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
               float beta, float *c, int ldc);

/// Row-major `y = A·x` for `A` of `rows × columns` (rows `lda` apart).
void hyp_sgemv(int rows, int columns, const float *a, int lda, const float *x, float *y);

/// Gives freed heap memory back to the operating system (glibc keeps it in its arenas otherwise); a no-op
/// elsewhere. Worth calling after a large, finished piece of work, not in a loop.
void hyp_release_free_heap(void);

/// Outcomes of `hyp_inflate_raw`.
enum { HYP_INFLATE_OK = 0, HYP_INFLATE_TRUNCATED = 1, HYP_INFLATE_DAMAGED = 2, HYP_INFLATE_TOO_LARGE = 3, HYP_INFLATE_RATIO = 4 };

/// Inflates the raw DEFLATE stream `in[0..<in_len]` (a ZIP entry's data) into a new buffer (`free` it), using no
/// byte past `in_len`: HYP_INFLATE_TRUNCATED when they run out before the stream ends, TOO_LARGE past `limit` bytes
/// of output, RATIO when past `ratio_floor` bytes the output is over `max_ratio` times the input.
int hyp_inflate_raw(const uint8_t *in, size_t in_len, size_t limit, size_t ratio_floor, size_t max_ratio,
                    uint8_t **out, size_t *out_len);

/// The CRC-32 (ZIP's, zlib's) of `count` bytes.
uint32_t hyp_crc32(const uint8_t *bytes, size_t count);

#endif
