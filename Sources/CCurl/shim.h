#ifndef FACELET_CCURL_SHIM_H
#define FACELET_CCURL_SHIM_H
#include <curl/curl.h>
#endif
