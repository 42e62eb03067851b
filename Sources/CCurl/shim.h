// libcurl for Swift. curl_easy_setopt and curl_easy_getinfo are C-variadic, which Swift cannot call
// ("Variadic function is unavailable"), so each argument type we pass gets one typed wrapper here.
#ifndef PRTY_CCURL_SHIM_H
#define PRTY_CCURL_SHIM_H
#include <curl/curl.h>

static inline CURLcode CCurl_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode CCurl_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode CCurl_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode CCurl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode CCurl_setopt_offset(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }

/// Body callbacks (CURLOPT_WRITEFUNCTION, CURLOPT_HEADERFUNCTION, CURLOPT_READFUNCTION) share this signature.
typedef size_t (*CCurl_data_callback)(char *buffer, size_t size, size_t count, void *userdata);
static inline CURLcode CCurl_setopt_data_callback(CURL *h, CURLoption o, CCurl_data_callback f) {
    return curl_easy_setopt(h, o, f);
}
/// CURLOPT_XFERINFOFUNCTION: returning non-zero aborts the transfer (how cancellation reaches curl).
typedef int (*CCurl_progress_callback)(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                                       curl_off_t ulnow);
static inline CURLcode CCurl_setopt_progress_callback(CURL *h, CURLoption o, CCurl_progress_callback f) {
    return curl_easy_setopt(h, o, f);
}

static inline CURLcode CCurl_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode CCurl_getinfo_double(CURL *h, CURLINFO i, double *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode CCurl_getinfo_offset(CURL *h, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode CCurl_getinfo_string(CURL *h, CURLINFO i, char **v) { return curl_easy_getinfo(h, i, v); }

#endif
