#ifndef HYPERION_COPENBLAS_SHIM_H
#define HYPERION_COPENBLAS_SHIM_H
#include <cblas.h>
#endif
