/* One agent's sealed store kept in etcd (SPEC 14): the envelope under
 * <prefix>/agents/<id>/store, its associated data binding the agent id
 * AND that key (an envelope copied to another key or out to a file fails to
 * open), writes by compare-and-swap on mod_revision retried by re-reading
 * and re-applying the change, and changes that wait on the network (OAuth
 * refresh) made under etcd's lock service with a lease, their write fenced
 * by the lock key. The backend seam of struct store builds on this; it is
 * usable on its own (tests/drivers/etcd_driver.c). */
#ifndef NV_ETCD_STORE_H
#define NV_ETCD_STORE_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "store/error.h"
#include "store/etcd.h"
#include "store/seal.h"

#define ETCD_PREFIX_DEFAULT "/nova-engine"
#define ETCD_PREFIX_MAX 256
/* How long a refresh may hold the fleet lock before etcd frees it (a dead
 * host's lock expires): longer than one OAuth call (15 s) plus margins. */
#define ETCD_LOCK_TTL_S 30
#define ETCD_CAS_TRIES 64

/* The key of agent's store and of its refresh lock, into out[cap]. */
void etcd_store_key(const char *prefix, const char *agent, char *out, size_t cap);
void etcd_store_lock_name(const char *prefix, const char *agent, char *out, size_t cap);

/* A prefix is '/' then printable characters without a trailing '/':
 * 0 or -EINVAL naming store.etcd.prefix. */
int etcd_prefix_check(const char *prefix, struct nv_err *err);

/* The document of agent's store: *doc (caller frees) is an empty store
 * when the key does not exist; *revision its mod_revision (0: absent). */
int etcd_store_read(struct etcd *e, const char *prefix, const char *agent, const struct seal_key *key,
		    cJSON **doc, int64_t *revision, struct nv_err *err);

/* fn edits doc in place: 0 to write, 1 for "nothing changed", < 0 abort.
 * Called again on a fresh copy each time another host wrote first, so it
 * must be a pure function of the document it is given. Returns fn's last
 * result when >= 0; *revision (may be NULL) the store's revision after. */
typedef int (*etcd_store_fn)(cJSON *doc, void *arg, struct nv_err *err);
int etcd_store_change(struct etcd *e, const char *prefix, const char *agent, const struct seal_key *key,
		      etcd_store_fn fn, void *arg, int64_t *revision, struct nv_err *err);

/* A change that calls the network (OAuth refresh), under the agent's
 * fleet-wide lock (at most one holder across every host, freed by etcd if
 * the holder dies): prepare runs once, on the document as it is once the
 * lock is held (so a refresh another host made is seen and not repeated),
 * and keeps what it fetched in arg: 0 to go on, 1 nothing to do, < 0
 * abort. apply then puts that into the document, re-applied on a fresh
 * copy if a plain write landed meanwhile; every write is fenced by the
 * lock key (-ENOLCK, nothing written, if the lock was lost). wait_ms
 * bounds the wait for the lock (-ETIMEDOUT). */
int etcd_store_locked_change(struct etcd *e, const char *prefix, const char *agent, const struct seal_key *key,
			     long wait_ms, etcd_store_fn prepare, etcd_store_fn apply, void *arg, struct nv_err *err);

#endif
