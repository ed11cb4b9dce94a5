/* libcurl through dlopen on first use (see curl_dl.h for why). Each curl_*
 * function here has libcurl's prototype and forwards to the loaded
 * library; before a successful load they fail the way libcurl does. */
#define CURL_DISABLE_TYPECHECK /* the type-checking macros would rename our definitions */
#include "store/curl_dl.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>

#define LIBCURL "libcurl.so.4"

/* X(field, return type, parameter types): the symbols we resolve. */
#define CURL_SYMBOLS(X)                                                                   \
	X(global_init, CURLcode, (long))                                                  \
	X(easy_init, CURL *, (void))                                                      \
	X(easy_setopt, CURLcode, (CURL *, CURLoption, ...))                               \
	X(easy_perform, CURLcode, (CURL *))                                               \
	X(easy_getinfo, CURLcode, (CURL *, CURLINFO, ...))                                \
	X(easy_cleanup, void, (CURL *))                                                   \
	X(easy_strerror, const char *, (CURLcode))                                        \
	X(easy_escape, char *, (CURL *, const char *, int))                               \
	X(easy_unescape, char *, (CURL *, const char *, int, int *))                      \
	X(free, void, (void *))                                                           \
	X(slist_append, struct curl_slist *, (struct curl_slist *, const char *))         \
	X(slist_free_all, void, (struct curl_slist *))                                    \
	X(multi_init, CURLM *, (void))                                                    \
	X(multi_add_handle, CURLMcode, (CURLM *, CURL *))                                 \
	X(multi_remove_handle, CURLMcode, (CURLM *, CURL *))                              \
	X(multi_perform, CURLMcode, (CURLM *, int *))                                     \
	X(multi_info_read, CURLMsg *, (CURLM *, int *))                                   \
	X(multi_poll, CURLMcode, (CURLM *, struct curl_waitfd *, unsigned int, int, int *)) \
	X(multi_cleanup, CURLMcode, (CURLM *))                                            \
	X(share_init, CURLSH *, (void))                                                   \
	X(share_setopt, CURLSHcode, (CURLSH *, CURLSHoption, ...))                        \
	X(share_cleanup, CURLSHcode, (CURLSH *))                                          \
	X(url, CURLU *, (void))                                                           \
	X(url_cleanup, void, (CURLU *))                                                   \
	X(url_get, CURLUcode, (CURLU *, CURLUPart, char **, unsigned int))                \
	X(url_set, CURLUcode, (CURLU *, CURLUPart, const char *, unsigned int))

#define FIELD(name, ret, params) ret(*name) params;
static struct {
	CURL_SYMBOLS(FIELD)
} lib;

static const struct {
	const char *name;
	size_t offset;
} symbols[] = {
#define ENTRY(name, ret, params) { "curl_" #name, offsetof(__typeof__(lib), name) },
	CURL_SYMBOLS(ENTRY)
};

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static atomic_int loaded; /* set once, inside load_once */
static char load_error[300];

static void load(void)
{
	void *h = dlopen(LIBCURL, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(load_error, sizeof(load_error), "%s", dlerror());
		return;
	}
	for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
		void *f = dlsym(h, symbols[i].name);
		if (!f) {
			snprintf(load_error, sizeof(load_error), "%s has no %s (too old)", LIBCURL, symbols[i].name);
			dlclose(h);
			return;
		}
		/* POSIX: a data pointer from dlsym converts to a function pointer */
		*(void **)((char *)&lib + symbols[i].offset) = f;
	}
	if (lib.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(load_error, sizeof(load_error), "curl_global_init failed");
		dlclose(h);
		return;
	}
	loaded = 1; /* never unloaded: handles may outlive any caller */
}

static int ready(void)
{
	pthread_once(&load_once, load);
	return loaded;
}

/* For releasing: nothing from libcurl can exist before it was loaded, so a
 * clean-up on a path that never used the network does not load it. */
static int in_use(void)
{
	return loaded;
}

int net_init(struct nv_err *err)
{
	if (ready())
		return 0;
	return nv_fail(err, ELIBACC,
		       "cannot load the network library %s (%s): install libcurl (Debian: apt install libcurl4) for live checks and logins",
		       LIBCURL, load_error);
}

CURLcode curl_global_init(long flags)
{
	(void)flags; /* done once by load(), with CURL_GLOBAL_DEFAULT */
	return ready() ? CURLE_OK : CURLE_FAILED_INIT;
}

CURL *curl_easy_init(void)
{
	return ready() ? lib.easy_init() : NULL;
}

/* The option number says the argument's type, as in libcurl's own setopt:
 * long, object pointer, function pointer, curl_off_t, blob pointer. */
CURLcode curl_easy_setopt(CURL *c, CURLoption opt, ...)
{
	if (!ready())
		return CURLE_FAILED_INIT;
	va_list ap;
	CURLcode rc;
	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		rc = lib.easy_setopt(c, opt, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_FUNCTIONPOINT)
		rc = lib.easy_setopt(c, opt, va_arg(ap, void *));
	else if (opt < CURLOPTTYPE_OFF_T)
		rc = lib.easy_setopt(c, opt, va_arg(ap, void (*)(void)));
	else if (opt < CURLOPTTYPE_BLOB)
		rc = lib.easy_setopt(c, opt, va_arg(ap, curl_off_t));
	else if (opt < CURLOPTTYPE_BLOB + 10000)
		rc = lib.easy_setopt(c, opt, va_arg(ap, struct curl_blob *));
	else
		rc = CURLE_UNKNOWN_OPTION;
	va_end(ap);
	return rc;
}

CURLcode curl_easy_perform(CURL *c)
{
	return ready() ? lib.easy_perform(c) : CURLE_FAILED_INIT;
}

/* Every CURLINFO takes one pointer to where the answer goes. */
CURLcode curl_easy_getinfo(CURL *c, CURLINFO info, ...)
{
	if (!ready())
		return CURLE_FAILED_INIT;
	va_list ap;
	va_start(ap, info);
	CURLcode rc = lib.easy_getinfo(c, info, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

void curl_easy_cleanup(CURL *c)
{
	if (in_use())
		lib.easy_cleanup(c);
}

const char *curl_easy_strerror(CURLcode code)
{
	return ready() ? lib.easy_strerror(code) : "the network library libcurl could not be loaded";
}

char *curl_easy_escape(CURL *c, const char *s, int len)
{
	return ready() ? lib.easy_escape(c, s, len) : NULL;
}

char *curl_easy_unescape(CURL *c, const char *s, int len, int *outlen)
{
	return ready() ? lib.easy_unescape(c, s, len, outlen) : NULL;
}

void curl_free(void *p)
{
	if (in_use())
		lib.free(p);
}

struct curl_slist *curl_slist_append(struct curl_slist *l, const char *s)
{
	return ready() ? lib.slist_append(l, s) : NULL;
}

void curl_slist_free_all(struct curl_slist *l)
{
	if (in_use())
		lib.slist_free_all(l);
}

CURLM *curl_multi_init(void)
{
	return ready() ? lib.multi_init() : NULL;
}

CURLMcode curl_multi_add_handle(CURLM *m, CURL *c)
{
	return ready() ? lib.multi_add_handle(m, c) : CURLM_BAD_HANDLE;
}

CURLMcode curl_multi_remove_handle(CURLM *m, CURL *c)
{
	return ready() ? lib.multi_remove_handle(m, c) : CURLM_BAD_HANDLE;
}

CURLMcode curl_multi_perform(CURLM *m, int *running)
{
	return ready() ? lib.multi_perform(m, running) : CURLM_BAD_HANDLE;
}

CURLMsg *curl_multi_info_read(CURLM *m, int *left)
{
	return ready() ? lib.multi_info_read(m, left) : NULL;
}

CURLMcode curl_multi_poll(CURLM *m, struct curl_waitfd extra[], unsigned int n, int timeout_ms, int *ret)
{
	return ready() ? lib.multi_poll(m, extra, n, timeout_ms, ret) : CURLM_BAD_HANDLE;
}

CURLMcode curl_multi_cleanup(CURLM *m)
{
	return in_use() ? lib.multi_cleanup(m) : CURLM_BAD_HANDLE;
}

CURLSH *curl_share_init(void)
{
	return ready() ? lib.share_init() : NULL;
}

/* The option says the argument's type: data kinds are ints, the lock
 * functions function pointers, the user data a pointer. */
CURLSHcode curl_share_setopt(CURLSH *sh, CURLSHoption opt, ...)
{
	if (!ready())
		return CURLSHE_NOT_BUILT_IN;
	va_list ap;
	CURLSHcode rc;
	va_start(ap, opt);
	if (opt == CURLSHOPT_SHARE || opt == CURLSHOPT_UNSHARE)
		rc = lib.share_setopt(sh, opt, va_arg(ap, int));
	else if (opt == CURLSHOPT_LOCKFUNC || opt == CURLSHOPT_UNLOCKFUNC)
		rc = lib.share_setopt(sh, opt, va_arg(ap, void (*)(void)));
	else
		rc = lib.share_setopt(sh, opt, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

CURLSHcode curl_share_cleanup(CURLSH *sh)
{
	return in_use() ? lib.share_cleanup(sh) : CURLSHE_OK;
}

CURLU *curl_url(void)
{
	return ready() ? lib.url() : NULL;
}

void curl_url_cleanup(CURLU *u)
{
	if (in_use())
		lib.url_cleanup(u);
}

CURLUcode curl_url_get(CURLU *u, CURLUPart what, char **part, unsigned int flags)
{
	return ready() ? lib.url_get(u, what, part, flags) : CURLUE_OUT_OF_MEMORY;
}

CURLUcode curl_url_set(CURLU *u, CURLUPart what, const char *part, unsigned int flags)
{
	return ready() ? lib.url_set(u, what, part, flags) : CURLUE_OUT_OF_MEMORY;
}
