#ifndef FACELET_CTURBOJPEG_SHIM_H
#define FACELET_CTURBOJPEG_SHIM_H
#include <stddef.h>
#include <turbojpeg.h>
#endif
