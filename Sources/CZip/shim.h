#ifndef FACELET_CZIP_SHIM_H
#define FACELET_CZIP_SHIM_H
#include <zip.h>
#endif
