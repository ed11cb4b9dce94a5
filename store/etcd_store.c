/* One agent's sealed store in etcd: read and open, change by CAS with
 * retry, change under the fleet lock. See etcd_store.h for the promises. */
#include "store/etcd_store.h"
#include "store/secmem.h"
#include "store/store.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX (ETCD_PREFIX_MAX + 128)

void etcd_store_key(const char *prefix, const char *agent, char *out, size_t cap)
{
	snprintf(out, cap, "%s/agents/%s/store", prefix, agent);
}

void etcd_store_lock_name(const char *prefix, const char *agent, char *out, size_t cap)
{
	snprintf(out, cap, "%s/locks/%s/refresh", prefix, agent);
}

int etcd_prefix_check(const char *prefix, struct nv_err *err)
{
	size_t n = strlen(prefix);
	int ok = n >= 2 && n < ETCD_PREFIX_MAX && prefix[0] == '/' && prefix[n - 1] != '/';
	for (size_t i = 0; ok && i < n; i++)
		ok = isgraph((unsigned char)prefix[i]);
	return ok ? 0 : nv_fail(err, EINVAL, "store.etcd.prefix must start with '/', not end with one, and have no spaces "
				 "(e.g. %s)", ETCD_PREFIX_DEFAULT);
}

/* The associated data's "agent" part: the agent id and the etcd key. */
static void ad_name(const char *agent, const char *key, char *out, size_t cap)
{
	snprintf(out, cap, "%s\n%s", agent, key);
}

static int open_value(const struct etcd_kv *kv, const char *agent, const char *ekey, const struct seal_key *key,
		      cJSON **doc, struct nv_err *err)
{
	char where[KEY_MAX + 8], ad[KEY_MAX + 80], keyid[SEAL_KEYID_LEN + 1] = "";
	snprintf(where, sizeof(where), "etcd:%s", ekey);
	if (!seal_is_envelope(kv->value, kv->len))
		return nv_fail(err, EBADMSG, "%s is not a sealed store: only sealed envelopes belong in etcd", where);
	seal_envelope_keyid(kv->value, kv->len, keyid);
	if (strcmp(keyid, key->id) != 0)
		return nv_fail(err, ENOKEY, "%s is sealed with key %s but this host's store key is %s: every host needs the same store.key",
			       where, keyid, key->id);
	char *plain = NULL;
	size_t plen = 0;
	ad_name(agent, ekey, ad, sizeof(ad));
	int rc = seal_open(key, ad, where, kv->value, kv->len, &plain, &plen, err);
	if (rc < 0)
		return rc;
	*doc = cJSON_ParseWithLength(plain, plen);
	secmem_free(plain);
	if (!*doc)
		return nv_fail(err, EBADMSG, "%s opened but holds no JSON document", where);
	if ((rc = store_doc_check(*doc, where, err)) < 0) {
		cJSON_Delete(*doc);
		*doc = NULL;
	}
	return rc;
}

static cJSON *empty_doc(void)
{
	return cJSON_Parse("{\"version\":1,\"profiles\":{}}");
}

/* Read and open; also hands back the raw kv's revision. */
static int read_doc(struct etcd *e, const char *ekey, const char *agent, const struct seal_key *key,
		    cJSON **doc, int64_t *revision, struct nv_err *err)
{
	struct etcd_kv kv;
	int rc = etcd_get(e, ekey, 0, &kv, NULL, err);
	*doc = NULL;
	*revision = kv.mod_revision;
	if (rc == 0 && kv.value)
		rc = open_value(&kv, agent, ekey, key, doc, err);
	else if (rc == 0 && !(*doc = empty_doc()))
		rc = nv_fail(err, ENOMEM, "out of memory");
	etcd_kv_clear(&kv);
	return rc;
}

int etcd_store_read(struct etcd *e, const char *prefix, const char *agent, const struct seal_key *key,
		    cJSON **doc, int64_t *revision, struct nv_err *err)
{
	char ekey[KEY_MAX];
	etcd_store_key(prefix, agent, ekey, sizeof(ekey));
	return read_doc(e, ekey, agent, key, doc, revision, err);
}

/* Seal doc for ekey and CAS it over expect (fenced when fence). */
static int write_doc(struct etcd *e, const char *ekey, const char *agent, const struct seal_key *key,
		     const cJSON *doc, int64_t expect, const char *fence, int64_t *revision, struct nv_err *err)
{
	char ad[KEY_MAX + 80], *sealed = NULL, *plain = cJSON_PrintUnformatted(doc);
	if (!plain)
		return nv_fail(err, ENOMEM, "out of memory");
	ad_name(agent, ekey, ad, sizeof(ad));
	int rc = seal_close(key, ad, plain, strlen(plain), &sealed, err);
	cJSON_free(plain);
	if (rc == 0)
		rc = etcd_cas(e, ekey, sealed, strlen(sealed), expect, fence, revision, NULL, err);
	cJSON_free(sealed);
	return rc;
}

/* Read, fn, CAS; again on a fresh copy while another host wins. */
static int cas_loop(struct etcd *e, const char *ekey, const char *agent, const struct seal_key *key,
		    etcd_store_fn fn, void *arg, const char *fence, int64_t *revision, struct nv_err *err)
{
	int rc = -ESTALE;
	for (int tries = 0; rc == -ESTALE && tries < ETCD_CAS_TRIES; tries++) {
		cJSON *doc;
		int64_t rev, now = 0;
		rc = read_doc(e, ekey, agent, key, &doc, &rev, err);
		int result = rc == 0 ? fn(doc, arg, err) : rc;
		if (result == 0)
			rc = write_doc(e, ekey, agent, key, doc, rev, fence, &now, err);
		else
			rc = result, now = rev;
		cJSON_Delete(doc);
		if (rc >= 0 && revision)
			*revision = now;
	}
	if (rc == -ESTALE)
		nv_fail(err, EBUSY, "etcd:%s changed under %d tries in a row: too many hosts writing at once, try again",
			ekey, ETCD_CAS_TRIES);
	return rc == -ESTALE ? -EBUSY : rc;
}

int etcd_store_change(struct etcd *e, const char *prefix, const char *agent, const struct seal_key *key,
		      etcd_store_fn fn, void *arg, int64_t *revision, struct nv_err *err)
{
	char ekey[KEY_MAX];
	etcd_store_key(prefix, agent, ekey, sizeof(ekey));
	return cas_loop(e, ekey, agent, key, fn, arg, NULL, revision, err);
}

struct fleet_lock {
	int64_t lease;
	char key[KEY_MAX + 64];
};

static int fleet_lock(struct etcd *e, const char *prefix, const char *agent, long wait_ms, struct fleet_lock *l,
		      struct nv_err *err)
{
	char name[KEY_MAX];
	etcd_store_lock_name(prefix, agent, name, sizeof(name));
	int rc = etcd_lease_grant(e, ETCD_LOCK_TTL_S, &l->lease, err);
	if (rc == 0 && (rc = etcd_lock(e, name, l->lease, wait_ms, l->key, sizeof(l->key), err)) < 0)
		etcd_lease_revoke(e, l->lease, NULL);
	return rc;
}

/* Unlock by revoking the lease: it deletes the lock key with it. */
static void fleet_unlock(struct etcd *e, struct fleet_lock *l)
{
	if (etcd_lease_revoke(e, l->lease, NULL) < 0)
		etcd_unlock(e, l->key, NULL);  /* the lease will expire anyway */
}

int etcd_store_locked_change(struct etcd *e, const char *prefix, const char *agent, const struct seal_key *key,
			     long wait_ms, etcd_store_fn prepare, etcd_store_fn apply, void *arg, struct nv_err *err)
{
	struct fleet_lock l;
	int rc = fleet_lock(e, prefix, agent, wait_ms, &l, err);
	if (rc < 0)
		return rc;
	char ekey[KEY_MAX];
	etcd_store_key(prefix, agent, ekey, sizeof(ekey));
	cJSON *doc;
	int64_t rev;
	rc = read_doc(e, ekey, agent, key, &doc, &rev, err);
	if (rc == 0)
		rc = prepare(doc, arg, err);
	cJSON_Delete(doc);
	/* plain writes (usage stats, a pasted token) may land meanwhile: the
	 * prepared change is re-applied to each fresh copy, every try fenced */
	if (rc == 0)
		rc = cas_loop(e, ekey, agent, key, apply, arg, l.key, NULL, err);
	fleet_unlock(e, &l);
	return rc;
}
