#ifndef FACELET_CPNG_SHIM_H
#define FACELET_CPNG_SHIM_H
#include <png.h>

/// Composite format macros do not import into Swift; re-export the ones we use.
static const png_uint_32 facelet_png_format_rgb = PNG_FORMAT_RGB;
static const png_uint_32 facelet_png_format_rgba = PNG_FORMAT_RGBA;
static const png_uint_32 facelet_png_format_gray = PNG_FORMAT_GRAY;
static const png_uint_32 facelet_png_format_linear_rgb = PNG_FORMAT_LINEAR_RGB;
static const png_uint_32 facelet_png_format_linear_rgb_alpha = PNG_FORMAT_LINEAR_RGB_ALPHA;

#endif
