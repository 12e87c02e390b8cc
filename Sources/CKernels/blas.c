// OpenBLAS, loaded at first use with its kernels chosen from CPUID here rather than from OpenBLAS's own table of
// processor models. Debian's OpenBLAS 0.3.21 (DYNAMIC_ARCH) falls back to its SSE3 "Prescott" kernels on models it
// does not know (seen on a current Xeon with AVX-512: 3.6x slower embeddings). It reads OPENBLAS_CORETYPE once,
// in its load-time constructor, so the library cannot be linked: it is opened with dlopen after the variable is set.
#include "CKernels.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

// CBLAS's enums (cblas.h): row-major, no transpose, transpose.
enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 };

typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *, int);
typedef void (*sgemv_fn)(int, int, int, int, float, const float *, int, const float *, int, float, float *, int);
typedef void (*threads_fn)(int);
typedef char *(*corename_fn)(void);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static sgemm_fn p_sgemm;
static sgemv_fn p_sgemv;
static threads_fn p_set_threads;
static corename_fn p_corename;
static char chosen[32];
static char origin[32];
static char failure[256];

const char *hyp_blas_core_for_cpu(void) {
#if defined(__x86_64__)
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return "Prescott";
    int sse42 = (ecx >> 20) & 1, osxsave = (ecx >> 27) & 1, avx = (ecx >> 28) & 1, fma = (ecx >> 12) & 1;
    unsigned xcr0 = 0;
    if (osxsave) {
        unsigned hi;
        __asm__ volatile("xgetbv" : "=a"(xcr0), "=d"(hi) : "c"(0));
        (void)hi;
    }
    int ymm = (xcr0 & 0x6) == 0x6, zmm = (xcr0 & 0xE6) == 0xE6;
    unsigned b7 = 0, c7 = 0, d7 = 0, a7 = 0;
    if (__get_cpuid_max(0, 0) >= 7) __get_cpuid_count(7, 0, &a7, &b7, &c7, &d7);
    int avx2 = (b7 >> 5) & 1, avx512f = (b7 >> 16) & 1, avx512dq = (b7 >> 17) & 1, avx512bw = (b7 >> 30) & 1, avx512vl = (b7 >> 31) & 1;
    // SkylakeX rather than Cooperlake even where AVX512-BF16 exists: OpenBLAS's single-precision GEMM is the same
    // AVX-512 code, and Cooperlake measured slower here (32.1 vs 39.5 documents/s).
    if (avx512f && avx512dq && avx512bw && avx512vl && zmm && fma) return "SkylakeX";
    if (avx2 && fma && ymm) return "Haswell";
    if (avx && ymm) return "Sandybridge";
    if (sse42) return "Nehalem";
    return "Prescott";
#else
    return NULL;  // elsewhere OpenBLAS's own detection is all there is
#endif
}

static void load(void) {
    const char *preset = getenv("OPENBLAS_CORETYPE");
    const char *core = hyp_blas_core_for_cpu();
    if (preset && *preset) {
        // An operator's explicit choice wins (some older OpenBLAS builds need a particular one on some processors).
        snprintf(origin, sizeof origin, "OPENBLAS_CORETYPE");
    } else if (core) {
        setenv("OPENBLAS_CORETYPE", core, 1);
        snprintf(origin, sizeof origin, "cpuid");
    } else {
        snprintf(origin, sizeof origin, "openblas");
    }
    const char *names[] = {"libopenblas.so.0", "libopenblas.so", "libopenblas.dylib"};
    void *lib = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !lib; i++) lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *why = dlerror();
        snprintf(failure, sizeof failure, "OpenBLAS could not be loaded (%s); install libopenblas0", why ? why : "not found");
        snprintf(chosen, sizeof chosen, "portable");
        return;
    }
    p_sgemm = (sgemm_fn)dlsym(lib, "cblas_sgemm");
    p_sgemv = (sgemv_fn)dlsym(lib, "cblas_sgemv");
    p_set_threads = (threads_fn)dlsym(lib, "openblas_set_num_threads");
    p_corename = (corename_fn)dlsym(lib, "openblas_get_corename");
    if (!p_sgemm || !p_sgemv) {
        snprintf(failure, sizeof failure, "the loaded OpenBLAS has no cblas_sgemm/cblas_sgemv");
        p_sgemm = NULL;
        p_sgemv = NULL;
        snprintf(chosen, sizeof chosen, "portable");
        return;
    }
    const char *name = p_corename ? p_corename() : NULL;
    snprintf(chosen, sizeof chosen, "%s", name ? name : "unknown");
}

static inline void ensure_loaded(void) { pthread_once(&once, load); }

const char *hyp_blas_core(void) {
    ensure_loaded();
    return chosen;
}

const char *hyp_blas_core_origin(void) {
    ensure_loaded();
    return origin;
}

const char *hyp_blas_error(void) {
    ensure_loaded();
    return failure[0] ? failure : NULL;
}

void hyp_blas_set_threads(int threads) {
    ensure_loaded();
    if (p_set_threads) p_set_threads(threads);
}

void hyp_sgemm(bool transpose_b, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
               float beta, float *c, int ldc) {
    ensure_loaded();
    if (p_sgemm) {
        p_sgemm(ROW_MAJOR, NO_TRANS, transpose_b ? TRANS : NO_TRANS, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    // Without OpenBLAS: correct, slow. The embedder refuses to start in this case; the index can live with it.
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
            float sum = 0;
            for (int p = 0; p < k; p++) sum += a[(size_t)i * lda + p] * (transpose_b ? b[(size_t)j * ldb + p] : b[(size_t)p * ldb + j]);
            c[(size_t)i * ldc + j] = alpha * sum + (beta == 0 ? 0 : beta * c[(size_t)i * ldc + j]);
        }
    }
}

void hyp_sgemv(int rows, int columns, const float *a, int lda, const float *x, float *y) {
    ensure_loaded();
    if (p_sgemv) {
        p_sgemv(ROW_MAJOR, NO_TRANS, rows, columns, 1, a, lda, x, 1, 0, y, 1);
        return;
    }
    for (int i = 0; i < rows; i++) y[i] = hyp_dot(a + (size_t)i * lda, x, columns);
}
