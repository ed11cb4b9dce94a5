/* Private to store/etcd*.c: the client's fields and the one request path
 * (endpoint failover, authentication, error mapping) the calls share. */
#ifndef NV_ETCD_IMPL_H
#define NV_ETCD_IMPL_H

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <pthread.h>

#include "store/etcd.h"

#define ETCD_URL_MAX 256
#define ETCD_PATH_MAX 4096

struct etcd {
	pthread_mutex_t mu;           /* guards cur and token */
	char endpoint[ETCD_MAX_ENDPOINTS][ETCD_URL_MAX];
	size_t n, cur;                /* cur: the endpoint that last answered */
	char *username, *password;    /* secmem; NULL: no authentication */
	char ca[ETCD_PATH_MAX], cert[ETCD_PATH_MAX], key[ETCD_PATH_MAX];
	char token[1024];             /* from /v3/auth/authenticate; "" until then */
	long timeout_ms;
	/* One connection cache for every request of this client (a daemon's
	 * writes reuse their TCP and TLS connections instead of a handshake
	 * each); made on first use, under mu. */
	CURLSH *share;
	pthread_mutex_t share_mu[CURL_LOCK_DATA_LAST];
};

/* POST body to path on the current endpoint, failing over to the others.
 * timeout_ms 0: the client's. wait: the call may block by design (lock):
 * a timeout is then -ETIMEDOUT, not a reason to try another member.
 * *out gets the parsed answer (cJSON_Delete it). */
int etcd_call(struct etcd *e, const char *path, const cJSON *body, long timeout_ms, int wait, cJSON **out,
	      struct nv_err *err);

/* The curl handle for one request to endpoint i: URL, TLS files, token
 * header (*hdrs to free), no signals, http/https only. */
CURL *etcd_curl(struct etcd *e, size_t i, const char *path, struct curl_slist **hdrs);

/* base64 (etcd's bytes fields) in and out of JSON objects. */
int etcd_put_b64(cJSON *o, const char *name, const void *p, size_t n);
/* Decode o[name] into secmem (NUL-terminated); *len its length. NULL if absent. */
char *etcd_get_b64(const cJSON *o, const char *name, size_t *len);
/* int64 fields come as JSON strings; absent means 0. */
int64_t etcd_i64(const cJSON *o, const char *name);
void etcd_put_i64(cJSON *o, const char *name, int64_t v);
/* Fill kv from an etcd KeyValue object (copies the value). */
int etcd_kv_from(const cJSON *o, struct etcd_kv *kv);
/* The end of the range of every key under prefix (prefix + 1 at its last byte). */
void etcd_prefix_end(const char *prefix, char *out, size_t cap);

#endif
