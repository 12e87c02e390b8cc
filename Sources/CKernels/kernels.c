// Small numeric kernels: AVX2 + FMA versions chosen at run time, portable versions everywhere else.
// The AVX2 functions carry `target` attributes instead of the whole build using -mavx2, so the binary
// still runs on any x86-64 CPU.
#include "CKernels.h"
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#define HYP_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

// -1 unknown, 0 no, 1 yes. Computing it twice on a race is harmless: both get the same answer.
static int avx2_state = -1;

bool hyp_have_avx2_fma(void) {
#if HYP_X86
    int state = __atomic_load_n(&avx2_state, __ATOMIC_RELAXED);
    if (state >= 0) return state == 1;
    unsigned eax, ebx, ecx, edx;
    int ok = 0;
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx)) {
        int fma = (ecx >> 12) & 1, osxsave = (ecx >> 27) & 1, avx = (ecx >> 28) & 1, f16c = (ecx >> 29) & 1;
        if (fma && osxsave && avx && f16c) {
            // The OS must save the YMM registers on context switches (XCR0 bits 1 and 2).
            unsigned lo, hi;
            __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
            (void)hi;
            if ((lo & 6) == 6 && __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) ok = (ebx >> 5) & 1;
        }
    }
    __atomic_store_n(&avx2_state, ok, __ATOMIC_RELAXED);
    return ok == 1;
#else
    return false;
#endif
}

// MARK: Portable versions (eight partial sums, which the compiler vectorises with baseline SIMD)

float hyp_dot_portable(const float *x, const float *y, int count) {
    float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int i = 0;
    for (; i + 8 <= count; i += 8)
        for (int l = 0; l < 8; l++) s[l] += x[i + l] * y[i + l];
    float total = ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
    for (; i < count; i++) total += x[i] * y[i];
    return total;
}

float hyp_l2sq_portable(const float *x, const float *y, int count) {
    float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int i = 0;
    for (; i + 8 <= count; i += 8)
        for (int l = 0; l < 8; l++) {
            float d = x[i + l] - y[i + l];
            s[l] += d * d;
        }
    float total = ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
    for (; i < count; i++) {
        float d = x[i] - y[i];
        total += d * d;
    }
    return total;
}

/// e^x within about 2e-7 relative error, branch-free so loops over it vectorise (the same method as the
/// Swift `Kernels.exp`: round x·log2 e with the 1.5·2^23 trick, then a degree-6 polynomial on the rest).
static inline float exp_approx(float value) {
    float x = value < -87.f ? -87.f : (value > 88.f ? 88.f : value);
    float shifted = x * 1.44269504f + 12582912.f;
    float nf = shifted - 12582912.f;
    int32_t nbits;
    memcpy(&nbits, &shifted, sizeof nbits);
    nbits -= 0x4B400000;
    float r = x - nf * 0.693145751953125f - nf * 1.428606765330187e-6f;
    float p = 1 + r * (1 + r * (0.5f + r * (1.f / 6 + r * (1.f / 24 + r * (1.f / 120 + r * (1.f / 720))))));
    int32_t bits = (nbits + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

/// erf(x) ≈ x·P(x²)/Q(x²) on [−4, 4] (the form Eigen uses for float), max absolute error about 4e-7: the
/// coefficients, highest power first, shared by the scalar and the AVX2 GELU.
static const float erf_p[7] = {-2.72614225801306e-10f, 2.77068142495902e-08f, -2.10102402082508e-06f,
                               -5.69250639462346e-05f, -7.34990630326855e-04f, -2.95459980854025e-03f,
                               -1.60960333262415e-02f};
static const float erf_q[5] = {-1.45660718464996e-05f, -2.13374055278905e-04f, -1.68282697438203e-03f,
                               -7.37332916720468e-03f, -1.42647390514189e-02f};

static inline float erf_approx(float value) {
    float x = value < -4.f ? -4.f : (value > 4.f ? 4.f : value);
    float x2 = x * x;
    float p = erf_p[0], q = erf_q[0];
    for (int i = 1; i < 7; i++) p = p * x2 + erf_p[i];
    for (int i = 1; i < 5; i++) q = q * x2 + erf_q[i];
    return x * p / q;
}

void hyp_gelu_portable(float *x, size_t count) {
    for (size_t i = 0; i < count; i++) x[i] = 0.5f * x[i] * (1 + erf_approx(x[i] * 0.70710678118654752f));
}

/// Written once, compiled twice: inlined into an AVX2 function its loops vectorise with AVX2.
static inline __attribute__((always_inline)) void attention_body(int n, int d, const float *q, const float *k, const float *v, int ld, float scale,
                                  float *scores, float *out, int ldo) {
    for (int i = 0; i < n; i++) {
        const float *qi = q + (size_t)i * ld;
        float *row = scores + (size_t)i * n;
        float maximum = -3.4e38f;
        for (int j = 0; j < n; j++) {
            const float *kj = k + (size_t)j * ld;
            float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
            int t = 0;
            for (; t + 8 <= d; t += 8)
                for (int l = 0; l < 8; l++) s[l] += qi[t + l] * kj[t + l];
            float dot = ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
            for (; t < d; t++) dot += qi[t] * kj[t];
            row[j] = dot * scale;
            maximum = row[j] > maximum ? row[j] : maximum;
        }
        float total = 0;
        for (int j = 0; j < n; j++) {
            row[j] = exp_approx(row[j] - maximum);
            total += row[j];
        }
        float inverse = 1 / total;
        float *o = out + (size_t)i * ldo;
        for (int t = 0; t < d; t++) o[t] = 0;
        for (int j = 0; j < n; j++) {
            float p = row[j] * inverse;
            const float *vj = v + (size_t)j * ld;
            for (int t = 0; t < d; t++) o[t] += p * vj[t];
        }
    }
}

void hyp_attention_head_portable(int n, int d, const float *q, const float *k, const float *v, int ld, float scale,
                                 float *scores, float *out, int ldo) {
    attention_body(n, d, q, k, v, ld, scale, scores, out, ldo);
}

void hyp_distances_portable(const float *query, const float *base, int dimension, const uint32_t *slots, int count,
                            bool l2, float *out) {
    for (int i = 0; i < count; i++) {
        const float *row = base + (size_t)slots[i] * dimension;
        out[i] = l2 ? hyp_l2sq_portable(query, row, dimension) : -hyp_dot_portable(query, row, dimension);
    }
}

static inline void store_result(float *c, float beta, float value) {
    // beta == 0 must not read C, which may hold anything (NaN included).
    *c = beta == 0 ? value : beta * *c + value;
}

void hyp_gemm_nt_small_portable(int m, int n, int k, const float *a, int lda, const float *w, int ldw,
                                float beta, float *c, int ldc) {
    for (int j = 0; j < n; j++)
        for (int i = 0; i < m; i++)
            store_result(c + (size_t)i * ldc + j, beta, hyp_dot_portable(a + (size_t)i * lda, w + (size_t)j * ldw, k));
}

// Shape of the blocked attention kernel below; also needed by the dispatch outside the x86 section.
/// Query rows scored together by the blocked kernel: 6 rows × 16 keys keep 12 accumulators in registers.
#define ATTENTION_ROWS 6

/// Row length of the blocked kernel's transposed K and score rows for `n` keys: whole 16-key blocks plus one
/// spare cache line (see `attention_blocked`).
static inline size_t attention_padded(int n) { return (((size_t)n + 15) & ~(size_t)15) + 16; }

/// Head sizes the blocked kernel unrolls for.
static inline bool attention_blocked_fits(int d) { return d % 8 == 0 && d <= 64; }

// MARK: AVX2 + FMA versions

#if HYP_X86
#define AVX2 __attribute__((target("avx2,fma,f16c")))

AVX2 static inline float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// The four horizontal sums of `a0…a3`, in order, in one register.
AVX2 static inline __m128 hsum8x4(__m256 a0, __m256 a1, __m256 a2, __m256 a3) {
    __m256 s01 = _mm256_hadd_ps(a0, a1);
    __m256 s23 = _mm256_hadd_ps(a2, a3);
    __m256 s = _mm256_hadd_ps(s01, s23);
    return _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
}

AVX2 static float dot_avx2(const float *x, const float *y, int count) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 32 <= count; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 16), _mm256_loadu_ps(y + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 24), _mm256_loadu_ps(y + i + 24), s3);
    }
    for (; i + 8 <= count; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), s0);
    float total = hsum8(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; i < count; i++) total += x[i] * y[i];
    return total;
}

AVX2 static float l2sq_avx2(const float *x, const float *y, int count) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 32 <= count; i += 32) {
        __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i));
        __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8));
        __m256 d2 = _mm256_sub_ps(_mm256_loadu_ps(x + i + 16), _mm256_loadu_ps(y + i + 16));
        __m256 d3 = _mm256_sub_ps(_mm256_loadu_ps(x + i + 24), _mm256_loadu_ps(y + i + 24));
        s0 = _mm256_fmadd_ps(d0, d0, s0);
        s1 = _mm256_fmadd_ps(d1, d1, s1);
        s2 = _mm256_fmadd_ps(d2, d2, s2);
        s3 = _mm256_fmadd_ps(d3, d3, s3);
    }
    for (; i + 8 <= count; i += 8) {
        __m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i));
        s0 = _mm256_fmadd_ps(d, d, s0);
    }
    float total = hsum8(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; i < count; i++) {
        float d = x[i] - y[i];
        total += d * d;
    }
    return total;
}

/// Eight floats of row `w` at `p`, stored as F32 or (when `half`) as F16 bits; `half` is a constant at
/// every call site, so each caller compiles to one straight loop.
AVX2 static inline __attribute__((always_inline)) __m256 load_w(const void *w, size_t p, int half) {
    if (half) return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)w + p)));
    return _mm256_loadu_ps((const float *)w + p);
}

AVX2 static inline __attribute__((always_inline)) float scalar_w(const void *w, size_t p, int half) {
    if (half) return _cvtsh_ss(((const uint16_t *)w)[p]);
    return ((const float *)w)[p];
}

/// `rows` (1 or 2) rows of A against four rows of W (row `r` at element offset `r·ldw` from `w`): eight
/// accumulators keep both FMA pipes busy, and each W row streams through once per pair of A rows.
AVX2 static inline __attribute__((always_inline)) void block_rows_x4(int rows, int half, int k, const float *a0,
                                                                     const float *a1, const void *w, size_t ldw,
                                                                     const void *next, float beta, float *c0, float *c1) {
    const size_t elem = half ? 2 : 4;
    const char *wb = (const char *)w, *nb = (const char *)next;
    const void *w0 = wb, *w1 = wb + ldw * elem, *w2 = wb + 2 * ldw * elem, *w3 = wb + 3 * ldw * elem;
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c02 = _mm256_setzero_ps(), c03 = _mm256_setzero_ps();
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps(), c12 = _mm256_setzero_ps(), c13 = _mm256_setzero_ps();
    int p = 0;
    if (rows == 2) {
        for (; p + 8 <= k; p += 8) {
            // Fetch the next four rows of W while these are multiplied (one line per row per 64 bytes).
            if (nb && ((p * elem) & 63) == 0) {
                _mm_prefetch(nb + p * elem, _MM_HINT_T0);
                _mm_prefetch(nb + (ldw + p) * elem, _MM_HINT_T0);
                _mm_prefetch(nb + (2 * ldw + p) * elem, _MM_HINT_T0);
                _mm_prefetch(nb + (3 * ldw + p) * elem, _MM_HINT_T0);
            }
            __m256 x0 = load_w(w0, p, half), x1 = load_w(w1, p, half);
            __m256 x2 = load_w(w2, p, half), x3 = load_w(w3, p, half);
            __m256 r = _mm256_loadu_ps(a0 + p);
            c00 = _mm256_fmadd_ps(r, x0, c00);
            c01 = _mm256_fmadd_ps(r, x1, c01);
            c02 = _mm256_fmadd_ps(r, x2, c02);
            c03 = _mm256_fmadd_ps(r, x3, c03);
            r = _mm256_loadu_ps(a1 + p);
            c10 = _mm256_fmadd_ps(r, x0, c10);
            c11 = _mm256_fmadd_ps(r, x1, c11);
            c12 = _mm256_fmadd_ps(r, x2, c12);
            c13 = _mm256_fmadd_ps(r, x3, c13);
        }
    } else {
        // One row: split k over two accumulator sets to keep eight independent chains.
        for (; p + 16 <= k; p += 16) {
            if (nb) {
                _mm_prefetch(nb + p * elem, _MM_HINT_T0);
                _mm_prefetch(nb + (ldw + p) * elem, _MM_HINT_T0);
                _mm_prefetch(nb + (2 * ldw + p) * elem, _MM_HINT_T0);
                _mm_prefetch(nb + (3 * ldw + p) * elem, _MM_HINT_T0);
            }
            __m256 r = _mm256_loadu_ps(a0 + p), s = _mm256_loadu_ps(a0 + p + 8);
            c00 = _mm256_fmadd_ps(r, load_w(w0, p, half), c00);
            c01 = _mm256_fmadd_ps(r, load_w(w1, p, half), c01);
            c02 = _mm256_fmadd_ps(r, load_w(w2, p, half), c02);
            c03 = _mm256_fmadd_ps(r, load_w(w3, p, half), c03);
            c10 = _mm256_fmadd_ps(s, load_w(w0, p + 8, half), c10);
            c11 = _mm256_fmadd_ps(s, load_w(w1, p + 8, half), c11);
            c12 = _mm256_fmadd_ps(s, load_w(w2, p + 8, half), c12);
            c13 = _mm256_fmadd_ps(s, load_w(w3, p + 8, half), c13);
        }
        for (; p + 8 <= k; p += 8) {
            __m256 r = _mm256_loadu_ps(a0 + p);
            c00 = _mm256_fmadd_ps(r, load_w(w0, p, half), c00);
            c01 = _mm256_fmadd_ps(r, load_w(w1, p, half), c01);
            c02 = _mm256_fmadd_ps(r, load_w(w2, p, half), c02);
            c03 = _mm256_fmadd_ps(r, load_w(w3, p, half), c03);
        }
        c00 = _mm256_add_ps(c00, c10);
        c01 = _mm256_add_ps(c01, c11);
        c02 = _mm256_add_ps(c02, c12);
        c03 = _mm256_add_ps(c03, c13);
    }
    float t0[4], t1[4] = {0, 0, 0, 0};
    _mm_storeu_ps(t0, hsum8x4(c00, c01, c02, c03));
    if (rows == 2) _mm_storeu_ps(t1, hsum8x4(c10, c11, c12, c13));
    const void *wr[4] = {w0, w1, w2, w3};
    for (; p < k; p++)
        for (int j = 0; j < 4; j++) {
            float x = scalar_w(wr[j], p, half);
            t0[j] += a0[p] * x;
            if (rows == 2) t1[j] += a1[p] * x;
        }
    for (int j = 0; j < 4; j++) {
        store_result(c0 + j, beta, t0[j]);
        if (rows == 2) store_result(c1 + j, beta, t1[j]);
    }
}

/// Four rows of A against three rows of W: twelve accumulators, and per eight-float step seven loads
/// (three of W, converted once when F16) feed twelve FMAs, the best ratio sixteen registers allow.
AVX2 static inline __attribute__((always_inline)) void block_4x3(int half, int k, const float *a, size_t lda,
                                                                 const void *w, size_t ldw, float beta, float *c,
                                                                 size_t ldc) {
    const size_t elem = half ? 2 : 4;
    const char *wb = (const char *)w;
    const void *w0 = wb, *w1 = wb + ldw * elem, *w2 = wb + 2 * ldw * elem;
    const float *a0 = a, *a1 = a + lda, *a2 = a + 2 * lda, *a3 = a + 3 * lda;
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c02 = _mm256_setzero_ps();
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps(), c12 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c22 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps(), c32 = _mm256_setzero_ps();
    int p = 0;
    for (; p + 8 <= k; p += 8) {
        __m256 x0 = load_w(w0, p, half), x1 = load_w(w1, p, half), x2 = load_w(w2, p, half);
        __m256 r = _mm256_loadu_ps(a0 + p);
        c00 = _mm256_fmadd_ps(r, x0, c00);
        c01 = _mm256_fmadd_ps(r, x1, c01);
        c02 = _mm256_fmadd_ps(r, x2, c02);
        r = _mm256_loadu_ps(a1 + p);
        c10 = _mm256_fmadd_ps(r, x0, c10);
        c11 = _mm256_fmadd_ps(r, x1, c11);
        c12 = _mm256_fmadd_ps(r, x2, c12);
        r = _mm256_loadu_ps(a2 + p);
        c20 = _mm256_fmadd_ps(r, x0, c20);
        c21 = _mm256_fmadd_ps(r, x1, c21);
        c22 = _mm256_fmadd_ps(r, x2, c22);
        r = _mm256_loadu_ps(a3 + p);
        c30 = _mm256_fmadd_ps(r, x0, c30);
        c31 = _mm256_fmadd_ps(r, x1, c31);
        c32 = _mm256_fmadd_ps(r, x2, c32);
    }
    // Row sums: (row 0: w0 w1 w2, row 1: w0) and so on, four at a time.
    float t[12];
    _mm_storeu_ps(t, hsum8x4(c00, c01, c02, c10));
    _mm_storeu_ps(t + 4, hsum8x4(c11, c12, c20, c21));
    _mm_storeu_ps(t + 8, hsum8x4(c22, c30, c31, c32));
    const void *wr[3] = {w0, w1, w2};
    const float *ar[4] = {a0, a1, a2, a3};
    for (; p < k; p++)
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 3; j++) t[i * 3 + j] += ar[i][p] * scalar_w(wr[j], p, half);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++) store_result(c + i * ldc + j, beta, t[i * 3 + j]);
}

/// Columns `j0..<n` of the first `m` rows one dot product at a time: the few columns a register block leaves.
AVX2 static inline __attribute__((always_inline)) void columns_one_by_one(int half, int m, int j0, int n, int k,
                                                                          const float *a, int lda, const void *w,
                                                                          int ldw, float beta, float *c, int ldc) {
    const size_t elem = half ? 2 : 4;
    for (int j = j0; j < n; j++) {
        const char *wj = (const char *)w + (size_t)j * ldw * elem;
        for (int i = 0; i < m; i++) {
            const float *ai = a + (size_t)i * lda;
            float total = 0;
            for (int p = 0; p < k; p++) total += ai[p] * scalar_w(wj, p, half);
            store_result(c + (size_t)i * ldc + j, beta, total);
        }
    }
}

AVX2 static inline __attribute__((always_inline)) void gemm_small(int half, int m, int n, int k, const float *a, int lda,
                                                                  const void *w, int ldw, float beta, float *c, int ldc) {
    const size_t elem = half ? 2 : 4;
    int j = 0;
    // Four or more rows: 4×3 blocks, with the rows past a multiple of four done two or one at a time.
    int m4 = m >= 4 ? m / 4 * 4 : 0;
    if (m4 > 0) {
        for (; j + 3 <= n; j += 3) {
            const char *wj = (const char *)w + (size_t)j * ldw * elem;
            for (int i = 0; i < m4; i += 4)
                block_4x3(half, k, a + (size_t)i * lda, (size_t)lda, wj, (size_t)ldw, beta, c + (size_t)i * ldc + j,
                          (size_t)ldc);
        }
        columns_one_by_one(half, m4, j, n, k, a, lda, w, ldw, beta, c, ldc);
        if (m4 == m) return;
        // The remaining rows go through the 2×4 path below, over every column.
        a += (size_t)m4 * lda;
        c += (size_t)m4 * ldc;
        m -= m4;
        j = 0;
    }
    for (; j + 4 <= n; j += 4) {
        const char *wj = (const char *)w + (size_t)j * ldw * elem;
        // The next block of W is prefetched during the first pass over this one: memory, not arithmetic,
        // bounds a few tokens against tens of megabytes of weights.
        const void *next = j + 8 <= n ? wj + 4 * (size_t)ldw * elem : NULL;
        int i = 0;
        for (; i + 2 <= m; i += 2)
            block_rows_x4(2, half, k, a + (size_t)i * lda, a + (size_t)(i + 1) * lda, wj, ldw, i == 0 ? next : NULL,
                          beta, c + (size_t)i * ldc + j, c + (size_t)(i + 1) * ldc + j);
        if (i < m)
            block_rows_x4(1, half, k, a + (size_t)i * lda, NULL, wj, ldw, i == 0 ? next : NULL, beta,
                          c + (size_t)i * ldc + j, NULL);
    }
    columns_one_by_one(half, m, j, n, k, a, lda, w, ldw, beta, c, ldc);
}

AVX2 static void gemm_nt_small_avx2(int m, int n, int k, const float *a, int lda, const float *w, int ldw,
                                    float beta, float *c, int ldc) {
    gemm_small(0, m, n, k, a, lda, w, ldw, beta, c, ldc);
}

AVX2 static void gemm_nt_small_f16_avx2(int m, int n, int k, const float *a, int lda, const uint16_t *w, int ldw,
                                        float beta, float *c, int ldc) {
    gemm_small(1, m, n, k, a, lda, w, ldw, beta, c, ldc);
}

AVX2 static void distances_avx2(const float *query, const float *base, int dimension, const uint32_t *slots,
                                 int count, bool l2, float *out) {
    const size_t bytes = (size_t)dimension * sizeof(float);
    // Rows are fetched PREFETCH_AHEAD ahead of the one being scored.
    enum { PREFETCH_AHEAD = 1 };
    for (int i = 0; i < count && i < PREFETCH_AHEAD; i++) {
        const char *row = (const char *)(base + (size_t)slots[i] * dimension);
        for (size_t line = 0; line < bytes; line += 64) _mm_prefetch(row + line, _MM_HINT_T0);
    }
    for (int i = 0; i < count; i++) {
        if (i + PREFETCH_AHEAD < count) {
            const char *next = (const char *)(base + (size_t)slots[i + PREFETCH_AHEAD] * dimension);
            for (size_t line = 0; line < bytes; line += 64) _mm_prefetch(next + line, _MM_HINT_T0);
        }
        const float *row = base + (size_t)slots[i] * dimension;
        out[i] = l2 ? l2sq_avx2(query, row, dimension) : -dot_avx2(query, row, dimension);
    }
}

AVX2 static void f32_to_f16_avx2(const float *x, uint16_t *y, size_t count) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8)
        _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < count; i++) y[i] = _cvtss_sh(x[i], _MM_FROUND_TO_NEAREST_INT);
}

/// `exp_approx` on eight lanes.
AVX2 static inline __m256 exp8(__m256 value) {
    __m256 x = _mm256_min_ps(_mm256_max_ps(value, _mm256_set1_ps(-87.f)), _mm256_set1_ps(88.f));
    __m256 shifted = _mm256_add_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)), _mm256_set1_ps(12582912.f));
    __m256 nf = _mm256_sub_ps(shifted, _mm256_set1_ps(12582912.f));
    __m256i nbits = _mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_set1_epi32(0x4B400000));
    __m256 r = _mm256_sub_ps(_mm256_sub_ps(x, _mm256_mul_ps(nf, _mm256_set1_ps(0.693145751953125f))),
                             _mm256_mul_ps(nf, _mm256_set1_ps(1.428606765330187e-6f)));
    __m256 p = _mm256_set1_ps(1.f / 720);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f));
    __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(nbits, _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

/// Replaces `row[0..<n]` by `exp(row[j] − max)` and returns their sum: the softmax of the row, unnormalised.
AVX2 static inline float exp_row_avx2(float *row, int n) {
    __m256 max8 = _mm256_set1_ps(row[0]);
    int j = 0;
    for (; j + 8 <= n; j += 8) max8 = _mm256_max_ps(max8, _mm256_loadu_ps(row + j));
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(max8), _mm256_extractf128_ps(max8, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    float maximum = _mm_cvtss_f32(m4);
    for (; j < n; j++) maximum = row[j] > maximum ? row[j] : maximum;
    max8 = _mm256_set1_ps(maximum);
    __m256 total8 = _mm256_setzero_ps();
    for (j = 0; j + 8 <= n; j += 8) {
        __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(row + j), max8));
        _mm256_storeu_ps(row + j, e);
        total8 = _mm256_add_ps(total8, e);
    }
    float total = hsum8(total8);
    for (; j < n; j++) {
        row[j] = exp_approx(row[j] - maximum);
        total += row[j];
    }
    return total;
}

/// Attention for head sizes that are a multiple of 8 up to 64: each query row held in registers, four
/// keys scored per horizontal sum, softmax eight lanes at a time, values accumulated in registers.
AVX2 static void attention_head_avx2(int n, int d, const float *q, const float *k, const float *v, int ld,
                                     float scale, float *scores, float *out, int ldo) {
    if (d % 8 != 0 || d > 64) {
        attention_body(n, d, q, k, v, ld, scale, scores, out, ldo);
        return;
    }
    const int chunks = d / 8;
    for (int i = 0; i < n; i++) {
        const float *qi = q + (size_t)i * ld;
        float *row = scores + (size_t)i * n;
        __m256 qv[8];
        for (int t = 0; t < chunks; t++) qv[t] = _mm256_loadu_ps(qi + 8 * t);
        int j = 0;
        for (; j + 4 <= n; j += 4) {
            const float *k0 = k + (size_t)j * ld, *k1 = k0 + ld, *k2 = k1 + ld, *k3 = k2 + ld;
            __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
            for (int t = 0; t < chunks; t++) {
                s0 = _mm256_fmadd_ps(qv[t], _mm256_loadu_ps(k0 + 8 * t), s0);
                s1 = _mm256_fmadd_ps(qv[t], _mm256_loadu_ps(k1 + 8 * t), s1);
                s2 = _mm256_fmadd_ps(qv[t], _mm256_loadu_ps(k2 + 8 * t), s2);
                s3 = _mm256_fmadd_ps(qv[t], _mm256_loadu_ps(k3 + 8 * t), s3);
            }
            _mm_storeu_ps(row + j, _mm_mul_ps(hsum8x4(s0, s1, s2, s3), _mm_set1_ps(scale)));
        }
        for (; j < n; j++) {
            const float *kj = k + (size_t)j * ld;
            __m256 s0 = _mm256_setzero_ps();
            for (int t = 0; t < chunks; t++) s0 = _mm256_fmadd_ps(qv[t], _mm256_loadu_ps(kj + 8 * t), s0);
            row[j] = hsum8(s0) * scale;
        }
        float total = exp_row_avx2(row, n);
        __m256 acc[8];
        for (int t = 0; t < chunks; t++) acc[t] = _mm256_setzero_ps();
        for (j = 0; j < n; j++) {
            __m256 p = _mm256_set1_ps(row[j]);
            const float *vj = v + (size_t)j * ld;
            for (int t = 0; t < chunks; t++) acc[t] = _mm256_fmadd_ps(p, _mm256_loadu_ps(vj + 8 * t), acc[t]);
        }
        __m256 inverse = _mm256_set1_ps(1 / total);
        float *o = out + (size_t)i * ldo;
        for (int t = 0; t < chunks; t++) _mm256_storeu_ps(o + 8 * t, _mm256_mul_ps(acc[t], inverse));
    }
}

/// `hyp_gelu_portable` eight lanes at a time.
AVX2 static void gelu_avx2(float *x, size_t count) {
    const __m256 lo = _mm256_set1_ps(-4.f), hi = _mm256_set1_ps(4.f), half = _mm256_set1_ps(0.5f),
                 one = _mm256_set1_ps(1.f), rsqrt2 = _mm256_set1_ps(0.70710678118654752f);
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        __m256 e = _mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(v, rsqrt2), lo), hi);
        __m256 e2 = _mm256_mul_ps(e, e);
        __m256 p = _mm256_set1_ps(erf_p[0]), q = _mm256_set1_ps(erf_q[0]);
        for (int j = 1; j < 7; j++) p = _mm256_fmadd_ps(p, e2, _mm256_set1_ps(erf_p[j]));
        for (int j = 1; j < 5; j++) q = _mm256_fmadd_ps(q, e2, _mm256_set1_ps(erf_q[j]));
        __m256 erf = _mm256_div_ps(_mm256_mul_ps(e, p), q);
        _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_mul_ps(half, v), _mm256_add_ps(one, erf)));
    }
    hyp_gelu_portable(x + i, count - i);
}

/// Attention for long inputs, head size `8·ch`, written as two small register-blocked matrix products
/// around the softmax: K is transposed once into `scratch` so that 6 query rows × 16 keys are scored per
/// pass with broadcasts and no horizontal sums; then three rows (one for heads over 32) of `p·V` at a time.
/// `ch` is a compile-time constant at every call, so the accumulator arrays live in registers.
AVX2 static inline __attribute__((always_inline)) void attention_blocked(const int ch, int n, const float *q,
        const float *k, const float *v, int ld, float scale, float *scratch, float *out, int ldo) {
    const int d = 8 * ch;
    // Rows of the fused QKV buffer are a multiple of 4 KiB apart in cache-set terms, so reading K or V in
    // place keeps hitting the same few L1 sets: both are copied once, K transposed, V packed, and the
    // transposed rows get one spare cache line each for the same reason.
    const int np = (int)attention_padded(n);
    float *kt = scratch;
    float *vc = kt + (size_t)d * np;
    float *s = vc + (size_t)n * d;
    for (int t = 0; t < d; t++) {
        float *row = kt + (size_t)t * np;
        for (int j = 0; j < n; j++) row[j] = k[(size_t)j * ld + t];
        for (int j = n; j < np; j++) row[j] = 0;
    }
    for (int j = 0; j < n; j++) memcpy(vc + (size_t)j * d, v + (size_t)j * ld, sizeof(float) * (size_t)d);
    const __m256 scale8 = _mm256_set1_ps(scale);
    enum { PR_MAX = 3 };
    // Rows of p·V per pass: enough independent accumulators to cover the FMA latency, within 16 registers.
    const int pr = ch <= 4 ? 3 : 1;
    for (int i0 = 0; i0 < n; i0 += ATTENTION_ROWS) {
        const int rows = n - i0 < ATTENTION_ROWS ? n - i0 : ATTENTION_ROWS;
        // Rows past the end repeat the last row; their results are never read.
        const float *qr[ATTENTION_ROWS];
        for (int r = 0; r < ATTENTION_ROWS; r++) qr[r] = q + (size_t)(r < rows ? i0 + r : n - 1) * ld;
        for (int j = 0; j < n; j += 16) {
            __m256 acc[ATTENTION_ROWS][2];
            for (int r = 0; r < ATTENTION_ROWS; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
            const float *kc = kt + j;
            for (int t = 0; t < d; t++, kc += np) {
                __m256 k0 = _mm256_loadu_ps(kc), k1 = _mm256_loadu_ps(kc + 8);
                for (int r = 0; r < ATTENTION_ROWS; r++) {
                    __m256 b = _mm256_broadcast_ss(qr[r] + t);
                    acc[r][0] = _mm256_fmadd_ps(b, k0, acc[r][0]);
                    acc[r][1] = _mm256_fmadd_ps(b, k1, acc[r][1]);
                }
            }
            for (int r = 0; r < ATTENTION_ROWS; r++) {
                _mm256_storeu_ps(s + (size_t)r * np + j, _mm256_mul_ps(acc[r][0], scale8));
                _mm256_storeu_ps(s + (size_t)r * np + j + 8, _mm256_mul_ps(acc[r][1], scale8));
            }
        }
        float inverse[ATTENTION_ROWS];
        for (int r = 0; r < rows; r++) {
            float total = exp_row_avx2(s + (size_t)r * np, n);
            inverse[r] = 1 / total;
        }
        for (int r = 0; r < rows; r += pr) {
            // As above, rows past the block's end repeat its last row and are not stored.
            const float *p[PR_MAX];
            for (int u = 0; u < pr; u++) p[u] = s + (size_t)(r + u < rows ? r + u : rows - 1) * np;
            __m256 acc[PR_MAX][8];
            for (int u = 0; u < pr; u++)
                for (int t = 0; t < ch; t++) acc[u][t] = _mm256_setzero_ps();
            const float *vj = vc;
            for (int j = 0; j < n; j++, vj += d) {
                for (int t = 0; t < ch; t++) {
                    __m256 x = _mm256_loadu_ps(vj + 8 * t);
                    for (int u = 0; u < pr; u++) acc[u][t] = _mm256_fmadd_ps(_mm256_broadcast_ss(p[u] + j), x, acc[u][t]);
                }
            }
            for (int u = 0; u < pr && r + u < rows; u++) {
                float *o = out + (size_t)(i0 + r + u) * ldo;
                __m256 inv = _mm256_set1_ps(inverse[r + u]);
                for (int t = 0; t < ch; t++) _mm256_storeu_ps(o + 8 * t, _mm256_mul_ps(acc[u][t], inv));
            }
        }
    }
}

AVX2 static void attention_blocked_avx2(int n, int d, const float *q, const float *k, const float *v, int ld,
                                        float scale, float *scratch, float *out, int ldo) {
    switch (d / 8) {
    case 1: attention_blocked(1, n, q, k, v, ld, scale, scratch, out, ldo); break;
    case 2: attention_blocked(2, n, q, k, v, ld, scale, scratch, out, ldo); break;
    case 3: attention_blocked(3, n, q, k, v, ld, scale, scratch, out, ldo); break;
    case 4: attention_blocked(4, n, q, k, v, ld, scale, scratch, out, ldo); break;
    case 5: attention_blocked(5, n, q, k, v, ld, scale, scratch, out, ldo); break;
    case 6: attention_blocked(6, n, q, k, v, ld, scale, scratch, out, ldo); break;
    case 7: attention_blocked(7, n, q, k, v, ld, scale, scratch, out, ldo); break;
    default: attention_blocked(8, n, q, k, v, ld, scale, scratch, out, ldo); break;
    }
}

#endif

// MARK: Dispatch

float hyp_dot(const float *x, const float *y, int count) {
#if HYP_X86
    if (hyp_have_avx2_fma()) return dot_avx2(x, y, count);
#endif
    return hyp_dot_portable(x, y, count);
}

float hyp_l2sq(const float *x, const float *y, int count) {
#if HYP_X86
    if (hyp_have_avx2_fma()) return l2sq_avx2(x, y, count);
#endif
    return hyp_l2sq_portable(x, y, count);
}

void hyp_attention_head(int n, int d, const float *q, const float *k, const float *v, int ld, float scale,
                        float *scores, float *out, int ldo) {
#if HYP_X86
    if (hyp_have_avx2_fma()) {
        if (n > HYP_ATTENTION_SHORT && attention_blocked_fits(d))
            attention_blocked_avx2(n, d, q, k, v, ld, scale, scores, out, ldo);
        else
            attention_head_avx2(n, d, q, k, v, ld, scale, scores, out, ldo);
        return;
    }
#endif
    attention_body(n, d, q, k, v, ld, scale, scores, out, ldo);
}

void hyp_gelu(float *x, size_t count) {
#if HYP_X86
    if (hyp_have_avx2_fma()) {
        gelu_avx2(x, count);
        return;
    }
#endif
    hyp_gelu_portable(x, count);
}

bool hyp_attention_fast(int n, int d) {
    if (!hyp_have_avx2_fma()) return false;
    return n <= HYP_ATTENTION_SHORT || attention_blocked_fits(d);
}

size_t hyp_attention_scratch(int n, int d) {
    // The blocked kernel's layout: K transposed (d rows), V packed (n × d), scores of one row block.
    size_t blocked = ((size_t)d + ATTENTION_ROWS) * attention_padded(n) + (size_t)n * d;
    size_t square = (size_t)n * n;
    return blocked > square ? blocked : square;
}

void hyp_distances(const float *query, const float *base, int dimension, const uint32_t *slots, int count, bool l2,
                   float *out) {
#if HYP_X86
    if (hyp_have_avx2_fma()) {
        distances_avx2(query, base, dimension, slots, count, l2, out);
        return;
    }
#endif
    hyp_distances_portable(query, base, dimension, slots, count, l2, out);
}

bool hyp_f32_to_f16(const float *x, uint16_t *y, size_t count) {
#if HYP_X86
    if (hyp_have_avx2_fma()) {
        f32_to_f16_avx2(x, y, count);
        return true;
    }
#endif
    (void)x, (void)y, (void)count;
    return false;
}

bool hyp_gemm_nt_small_f16(int m, int n, int k, const float *a, int lda, const uint16_t *w, int ldw,
                           float beta, float *c, int ldc) {
#if HYP_X86
    if (hyp_have_avx2_fma()) {
        gemm_nt_small_f16_avx2(m, n, k, a, lda, w, ldw, beta, c, ldc);
        return true;
    }
#endif
    (void)m, (void)n, (void)k, (void)a, (void)lda, (void)w, (void)ldw, (void)beta, (void)c, (void)ldc;
    return false;
}

void hyp_gemm_nt_small(int m, int n, int k, const float *a, int lda, const float *w, int ldw,
                       float beta, float *c, int ldc) {
#if HYP_X86
    if (hyp_have_avx2_fma()) {
        gemm_nt_small_avx2(m, n, k, a, lda, w, ldw, beta, c, ldc);
        return;
    }
#endif
    hyp_gemm_nt_small_portable(m, n, k, a, lda, w, ldw, beta, c, ldc);
}
