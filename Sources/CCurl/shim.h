#ifndef FACELET_CCURL_SHIM_H
#define FACELET_CCURL_SHIM_H
#include <curl/curl.h>

// curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call: one typed
// wrapper per argument type instead (https://curl.se/libcurl/c/curl_easy_setopt.html).

static inline CURLcode facelet_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode facelet_curl_setopt_off(CURL *handle, CURLoption option,
                                               curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode facelet_curl_setopt_string(CURL *handle, CURLoption option,
                                                  const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode facelet_curl_setopt_pointer(CURL *handle, CURLoption option,
                                                   void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode facelet_curl_setopt_slist(CURL *handle, CURLoption option,
                                                 struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

typedef size_t (*facelet_curl_data_callback)(char *buffer, size_t size, size_t count,
                                             void *userdata);

static inline CURLcode facelet_curl_setopt_data_callback(CURL *handle, CURLoption option,
                                                         facelet_curl_data_callback value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode facelet_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode facelet_curl_getinfo_string(CURL *handle, CURLINFO info,
                                                   char **value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode facelet_curl_getinfo_off(CURL *handle, CURLINFO info,
                                                curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

#endif
