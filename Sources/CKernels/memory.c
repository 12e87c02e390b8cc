// Returning freed heap to the operating system, where the C library can.
#include "CKernels.h"
#if defined(__GLIBC__)
#include <malloc.h>
#endif

void hyp_release_free_heap(void) {
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}
