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

/// curl_global_init(CURL_GLOBAL_ALL): CURL_GLOBAL_ALL is a macro expression Swift does not import.
static inline CURLcode CCurl_global_init_all(void) { return curl_global_init(CURL_GLOBAL_ALL); }

/// Restricts a handle, and any redirect it follows, to http and https (no file://, ftp://, …).
/// CURLOPT_PROTOCOLS_STR arrived in 7.85.0 and deprecated the bitmask form; older systems (Ubuntu 22.04 has
/// 7.81) only have the bitmask, so the choice is made here, where the version is known.
static inline CURLcode CCurl_allow_http_only(CURL *h) {
#if LIBCURL_VERSION_NUM >= 0x075500
    CURLcode code = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (code != CURLE_OK) return code;
    return curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    CURLcode code = curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    if (code != CURLE_OK) return code;
    return curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
}

#endif
