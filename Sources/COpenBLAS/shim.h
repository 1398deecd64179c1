#ifndef FACELET_COPENBLAS_SHIM_H
#define FACELET_COPENBLAS_SHIM_H
#include <cblas.h>
#endif
