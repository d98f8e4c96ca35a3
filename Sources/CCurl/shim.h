#ifndef KB_CCURL_SHIM_H
#define KB_CCURL_SHIM_H

#include <curl/curl.h>
#include <dlfcn.h>
#include <stddef.h>

/*
 * libcurl, loaded when the first request is made rather than when kb starts: libcurl brings some
 * thirty shared libraries (TLS, Kerberos, LDAP...) whose loading would cost every kb command,
 * searches included, several milliseconds. Every call goes through these wrappers, which are also
 * the typed entry points Swift needs for curl's variadic functions.
 */

typedef struct {
    int loaded;
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    void (*easy_reset)(CURL *);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    const char *(*easy_strerror)(CURLcode);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
} kb_curl_api;

static inline kb_curl_api *kb_curl(void) {
    static kb_curl_api api;
    if (api.loaded) return api.loaded > 0 ? &api : NULL;
    void *library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!library) library = dlopen("libcurl.so", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        api.loaded = -1;
        return NULL;
    }
    api.global_init = (CURLcode (*)(long))dlsym(library, "curl_global_init");
    api.easy_init = (CURL * (*)(void)) dlsym(library, "curl_easy_init");
    api.easy_cleanup = (void (*)(CURL *))dlsym(library, "curl_easy_cleanup");
    api.easy_reset = (void (*)(CURL *))dlsym(library, "curl_easy_reset");
    api.easy_perform = (CURLcode (*)(CURL *))dlsym(library, "curl_easy_perform");
    api.easy_setopt = (CURLcode (*)(CURL *, CURLoption, ...))dlsym(library, "curl_easy_setopt");
    api.easy_getinfo = (CURLcode (*)(CURL *, CURLINFO, ...))dlsym(library, "curl_easy_getinfo");
    api.easy_strerror = (const char *(*)(CURLcode))dlsym(library, "curl_easy_strerror");
    api.slist_append = (struct curl_slist * (*)(struct curl_slist *, const char *)) dlsym(library, "curl_slist_append");
    api.slist_free_all = (void (*)(struct curl_slist *))dlsym(library, "curl_slist_free_all");
    if (!api.global_init || !api.easy_init || !api.easy_cleanup || !api.easy_reset || !api.easy_perform
        || !api.easy_setopt || !api.easy_getinfo || !api.easy_strerror || !api.slist_append || !api.slist_free_all) {
        api.loaded = -1;
        return NULL;
    }
    api.loaded = 1;
    return &api;
}

/* 1 when libcurl could be loaded. */
static inline int kb_curl_available(void) { return kb_curl() != NULL; }

static inline CURLcode kb_curl_global_init(long flags) { return kb_curl()->global_init(flags); }
static inline CURL *kb_curl_easy_init(void) { return kb_curl()->easy_init(); }
static inline void kb_curl_easy_cleanup(CURL *handle) { kb_curl()->easy_cleanup(handle); }
static inline void kb_curl_easy_reset(CURL *handle) { kb_curl()->easy_reset(handle); }
static inline CURLcode kb_curl_easy_perform(CURL *handle) { return kb_curl()->easy_perform(handle); }
static inline const char *kb_curl_easy_strerror(CURLcode code) { return kb_curl()->easy_strerror(code); }

static inline struct curl_slist *kb_curl_slist_append(struct curl_slist *list, const char *text) {
    return kb_curl()->slist_append(list, text);
}

static inline void kb_curl_slist_free_all(struct curl_slist *list) { kb_curl()->slist_free_all(list); }

/* Typed wrappers for the variadic calls. */

static inline CURLcode kb_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return kb_curl()->easy_setopt(handle, option, value);
}

static inline CURLcode kb_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return kb_curl()->easy_setopt(handle, option, value);
}

static inline CURLcode kb_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return kb_curl()->easy_setopt(handle, option, value);
}

static inline CURLcode kb_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return kb_curl()->easy_setopt(handle, option, value);
}

static inline CURLcode kb_curl_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return kb_curl()->easy_setopt(handle, option, value);
}

typedef size_t (*kb_curl_data_callback)(char *ptr, size_t size, size_t nmemb, void *userdata);

static inline CURLcode kb_curl_setopt_write_function(CURL *handle, kb_curl_data_callback callback) {
    return kb_curl()->easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}

static inline CURLcode kb_curl_setopt_header_function(CURL *handle, kb_curl_data_callback callback) {
    return kb_curl()->easy_setopt(handle, CURLOPT_HEADERFUNCTION, callback);
}

static inline CURLcode kb_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return kb_curl()->easy_getinfo(handle, info, value);
}

static inline CURLcode kb_curl_getinfo_double(CURL *handle, CURLINFO info, double *value) {
    return kb_curl()->easy_getinfo(handle, info, value);
}

#endif
