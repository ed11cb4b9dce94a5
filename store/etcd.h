/* An etcd v3 client over etcd's JSON gateway (HTTP/JSON, keys and values
 * base64), with libcurl and cJSON: what the etcd backend of the store needs
 * (SPEC 14) and nothing more. One client is safe to share between threads
 * (each call uses its own curl handle; the endpoint cursor and the auth
 * token are under the client's mutex).
 *
 * Every call returns 0 or a negative errno and fills the error record with
 * one line a person can act on:
 *   -EHOSTUNREACH  no endpoint answered ("etcd unreachable: ...")
 *   -EROFS         members answered but the cluster has no quorum
 *   -EACCES        authentication refused or permission denied
 *   -ESTALE        a compare-and-swap lost (someone else wrote first)
 *   -EPROTO        an answer that is not etcd's
 *   -EINVAL        bad options (endpoint, file) before anything is sent
 * A failed call is tried on the next endpoint when the member could not
 * be reached or had no leader; an answer from etcd itself is final. */
#ifndef NV_ETCD_H
#define NV_ETCD_H

#include <stddef.h>
#include <stdint.h>

#include "store/error.h"

#define ETCD_MAX_ENDPOINTS 16

struct etcd;

struct etcd_opts {
	const char *endpoints;   /* comma separated URLs, http:// or https:// */
	const char *username;    /* NULL: no authentication */
	const char *password;    /* wiped from the client's copy on free */
	const char *ca_file, *cert_file, *key_file;  /* TLS; NULL: system CAs, no client cert */
	long timeout_ms;         /* per request and endpoint; 0: 2000 */
};

/* A value read from etcd. value is NUL-terminated (not counted in len) and
 * in wiping memory; etcd_kv_clear frees it. value == NULL: no such key. */
struct etcd_kv {
	char *value;
	size_t len;
	int64_t mod_revision, create_revision, version;
};

struct etcd *etcd_new(const struct etcd_opts *o, struct nv_err *err);
void etcd_free(struct etcd *e);  /* etcd_free(NULL) does nothing */

/* How many endpoints; a client of endpoint i alone, with the same
 * credentials and TLS files (doctor asks each member in turn). */
size_t etcd_endpoint_count(const struct etcd *e);
struct etcd *etcd_one(const struct etcd *e, size_t i, struct nv_err *err);

/* The endpoint the last successful call used (for messages and metrics). */
void etcd_endpoint(struct etcd *e, char *out, size_t cap);

void etcd_kv_clear(struct etcd_kv *kv);

/* Read key. *revision (may be NULL) gets the cluster revision of the read.
 * serializable: answer from the member's local copy without a quorum
 * round trip (may be stale; what degraded mode reads). */
int etcd_get(struct etcd *e, const char *key, int serializable, struct etcd_kv *out, int64_t *revision,
	     struct nv_err *err);

/* The highest mod_revision of any key under prefix (0: none), read
 * through the quorum: what a watch on prefix must have delivered by now. */
int etcd_newest(struct etcd *e, const char *prefix, int64_t *mod_revision, struct nv_err *err);

/* Every key under prefix: cb(key, kv, arg) for each, in key order; a
 * non-zero return from cb stops and is returned. Read in pages, all at the
 * first page's revision (*revision, may be NULL). */
int etcd_list(struct etcd *e, const char *prefix, int keys_only,
	      int (*cb)(const char *key, const struct etcd_kv *kv, void *arg), void *arg,
	      int64_t *revision, struct nv_err *err);

/* Write value iff key's mod_revision is still expect (0: the key must not
 * exist) and, when fence is non-NULL, the key fence exists (a lock key:
 * a write by a lock holder whose lease died is refused). On success
 * *new_revision (may be NULL) is the write's revision. -ESTALE when the
 * comparison failed: *current (may be NULL) then holds the key as it is;
 * otherwise *current is left empty (etcd_kv_clear it either way). */
int etcd_cas(struct etcd *e, const char *key, const void *value, size_t len, int64_t expect,
	     const char *fence, int64_t *new_revision, struct etcd_kv *current, struct nv_err *err);

/* Delete key iff its mod_revision is still expect (0: whatever it is). */
int etcd_delete(struct etcd *e, const char *key, int64_t expect, struct nv_err *err);

/* Leases: a lock held under a lease is released by etcd when the lease's
 * TTL passes without a keepalive (a dead host's lock expires). */
int etcd_lease_grant(struct etcd *e, long ttl_s, int64_t *id, struct nv_err *err);
int etcd_lease_keepalive(struct etcd *e, int64_t id, struct nv_err *err);  /* -ENOENT: lease gone */
int etcd_lease_revoke(struct etcd *e, int64_t id, struct nv_err *err);

/* etcd's lock service: wait up to wait_ms for the lock called name, held
 * under lease; *key (cap bytes) gets the lock's key, the fence for writes
 * made while holding it. -ETIMEDOUT when still held by someone else. */
int etcd_lock(struct etcd *e, const char *name, int64_t lease, long wait_ms, char *key, size_t cap,
	      struct nv_err *err);
int etcd_unlock(struct etcd *e, const char *key, struct nv_err *err);

/* One watch event: a put (kv.value set) or a delete (kv.value NULL). */
struct etcd_event {
	const char *key;
	const struct etcd_kv *kv;
	int deleted;
};

/* Watch every key under prefix from start_revision (0: from now), calling
 * cb for each event in revision order, until stop(arg) says so (polled at
 * least once a second), cb returns non-zero, or the stream ends. Returns
 * 0 when stopped, -ECONNRESET when the stream broke (resume from
 * *next_revision on any endpoint), -EXDEV when start_revision was
 * compacted (re-read everything, then watch from the revision of that
 * read), or another error. *next_revision is always the revision to
 * resume from. created(arg, revision), if set, is called once the watch is
 * in place, with the revision it starts after. */
struct etcd_watch_cb {
	int (*event)(const struct etcd_event *ev, int64_t revision, void *arg);
	int (*stop)(void *arg);
	void (*created)(void *arg, int64_t revision);
	void *arg;
};
int etcd_watch(struct etcd *e, const char *prefix, int64_t start_revision, const struct etcd_watch_cb *cb,
	       int64_t *next_revision, struct nv_err *err);

#endif
