/* The etcd backend (SPEC 14): <prefix>/agents/<id>/store holds the same
 * sealed envelope as the file would, its associated data binding the etcd
 * key too; writes are CAS on mod_revision; the lock for a change that waits
 * on the network is etcd's lock service under a lease. */
#include "store/backend_impl.h"
#include "store/config.h"
#include "store/fileio.h"
#include "store/keyring.h"
#include "store/seal.h"
#include "store/secmem.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PASSWORD_MAX 1024
#define PREFIX_DEFAULT "/nova-engine"
/* How long a refresh may hold the fleet lock before etcd frees it (a dead
 * host's lock expires): longer than one OAuth call (15 s) plus margins. */
#define LOCK_TTL_S 30

static int prefix_check(const char *prefix, struct nv_err *err)
{
	size_t n = strlen(prefix);
	int ok = n >= 2 && n < ETCD_PREFIX_MAX && prefix[0] == '/' && prefix[n - 1] != '/';
	for (size_t i = 0; ok && i < n; i++)
		ok = isgraph((unsigned char)prefix[i]);
	return ok ? 0 : nv_fail(err, EINVAL, "store.etcd.prefix must start with '/', not end with one, and have no spaces "
				 "(e.g. %s)", PREFIX_DEFAULT);
}

static void object(const struct backend *b, struct home *h, const char *agent, struct be_obj *o)
{
	snprintf(o->agent, sizeof(o->agent), "%s", agent);
	home_agent_dir(h, agent, o->dir, sizeof(o->dir));
	snprintf(o->key, sizeof(o->key), "%s/agents/%s/store", b->prefix, agent);
	snprintf(o->path, sizeof(o->path), "etcd:%s", o->key);
	snprintf(o->seal_name, sizeof(o->seal_name), "%s\n%s", agent, o->key);
	o->lock_path[0] = 0;
}

static void stamp(struct store_ver *v, int exists, int64_t rev, size_t len)
{
	memset(v, 0, sizeof(*v));
	v->f.exists = exists;
	v->rev = rev;
	v->f.ino = (ino_t)rev;
	v->f.size = (off_t)len;
	clock_gettime(CLOCK_REALTIME, &v->f.mtime);
	v->f.ctime = v->f.mtime;
}

static int etcd_read(const struct backend *b, const struct be_obj *o, const struct store_ver *have, char **text,
		     size_t *len, struct store_ver *now, struct nv_err *err)
{
	struct etcd_kv kv;
	memset(now, 0, sizeof(*now));
	int rc = etcd_get(b->etcd, o->key, 0, &kv, NULL, err);
	if (rc < 0)
		return rc;
	stamp(now, kv.value != NULL, kv.mod_revision, kv.len);
	if (have && have->f.exists == now->f.exists && have->rev == now->rev) {
		*now = *have;  /* keeps when it was first seen */
		etcd_kv_clear(&kv);
		return 1;
	}
	if (!kv.value)
		return -ENOENT;
	*text = kv.value;  /* secmem, NUL-terminated: handed over */
	*len = kv.len;
	return 0;
}

static int etcd_write(const struct backend *b, const struct be_obj *o, const char *text, size_t len,
		      const struct store_ver *expect, const struct be_lock *l, struct store_ver *now, struct nv_err *err)
{
	int64_t rev = 0;
	struct etcd_kv cur;
	memset(now, 0, sizeof(*now));
	int rc = etcd_cas(b->etcd, o->key, text, len, expect && expect->f.exists ? expect->rev : 0,
			  l ? l->key : NULL, &rev, &cur, err);
	if (rc == 0)
		stamp(now, 1, rev, len);
	else if (rc == -ESTALE)  /* what won: the caller's cache is behind it */
		stamp(now, cur.value != NULL, cur.mod_revision, cur.len);
	etcd_kv_clear(&cur);
	return rc;
}

static int etcd_lock_store(const struct backend *b, const struct be_obj *o, struct be_lock *l, struct nv_err *err)
{
	char name[PATH_MAX];
	snprintf(name, sizeof(name), "%s/locks/%s/refresh", b->prefix, o->agent);
	l->fd = -1;
	int rc = etcd_lease_grant(b->etcd, LOCK_TTL_S, &l->lease, err);
	if (rc == 0 && (rc = etcd_lock(b->etcd, name, l->lease, LOCK_WAIT_MS, l->key, sizeof(l->key), err)) < 0)
		etcd_lease_revoke(b->etcd, l->lease, NULL);
	return rc;
}

/* Revoking the lease deletes the lock key with it. */
static void etcd_unlock_store(const struct backend *b, struct be_lock *l)
{
	if (etcd_lease_revoke(b->etcd, l->lease, NULL) < 0)
		etcd_unlock(b->etcd, l->key, NULL);  /* else the lease expires by itself */
	l->lease = 0;
	l->key[0] = 0;
}

static int is_store_key(const char *key, const struct etcd_kv *kv, void *arg)
{
	(void)kv, (void)arg;
	size_t n = strlen(key);
	return n > 6 && strcmp(key + n - 6, "/store") == 0; /* 1 stops the listing */
}

static int etcd_sealed_any(const struct backend *b, struct home *h, struct nv_err *err)
{
	(void)h;
	char agents[ETCD_PREFIX_MAX + 16];
	snprintf(agents, sizeof(agents), "%s/agents/", b->prefix);
	return etcd_list(b->etcd, agents, 1, is_store_key, NULL, NULL, err);
}

static void etcd_check(const struct backend *b, struct home *h, backend_report_fn report, void *arg);

const struct backend_ops backend_etcd_ops = {
	"etcd", 1, 1, object, etcd_read, etcd_write, etcd_lock_store, etcd_unlock_store, etcd_sealed_any, etcd_check,
};

static const char *cfg_str(const cJSON *config, const char *dotted)
{
	return cJSON_GetStringValue(config_get(config, dotted));
}

/* store.etcd.endpoints (a list) or NOVA_ENGINE_ETCD_ENDPOINTS (wins). */
static int endpoints_of(const cJSON *config, char *out, size_t cap, struct nv_err *err)
{
	const char *env = getenv("NOVA_ENGINE_ETCD_ENDPOINTS");
	const cJSON *list = config_get(config, "store.etcd.endpoints"), *ep;
	size_t len = 0;
	out[0] = 0;
	if (env && *env) {
		snprintf(out, cap, "%s", env);
		return 0;
	}
	if (cJSON_IsString(list)) {
		snprintf(out, cap, "%s", list->valuestring);
		return 0;
	}
	if (list && !cJSON_IsArray(list))
		return nv_fail(err, EINVAL, "store.etcd.endpoints must be a list of URLs");
	cJSON_ArrayForEach(ep, list) {
		if (!cJSON_IsString(ep))
			return nv_fail(err, EINVAL, "store.etcd.endpoints must be a list of URLs");
		len += (size_t)snprintf(out + len, len < cap ? cap - len : 0, "%s%s", len ? "," : "", ep->valuestring);
	}
	return len < cap ? 0 : nv_fail(err, EINVAL, "store.etcd.endpoints is too long");
}

static int password_of(const char *file, char **out, struct nv_err *err)
{
	size_t len;
	int rc = file_read(file, PASSWORD_MAX, out, &len, err);
	if (rc == -ENOENT)
		return nv_fail(err, ENOENT, "store.etcd.passwordFile %s does not exist", file);
	while (rc == 0 && len && ((*out)[len - 1] == '\n' || (*out)[len - 1] == '\r'))
		(*out)[--len] = 0;
	return rc;
}

int backend_etcd_open(struct backend *b, const cJSON *config, struct nv_err *err)
{
	char endpoints[ETCD_MAX_ENDPOINTS * 256];
	const char *prefix = cfg_str(config, "store.etcd.prefix"), *pwfile = cfg_str(config, "store.etcd.passwordFile");
	char *password = NULL;
	snprintf(b->prefix, sizeof(b->prefix), "%s", prefix ? prefix : PREFIX_DEFAULT);
	int rc = prefix_check(b->prefix, err);
	if (rc == 0)
		rc = endpoints_of(config, endpoints, sizeof(endpoints), err);
	if (rc == 0 && pwfile)
		rc = password_of(pwfile, &password, err);
	if (rc < 0)
		return rc;
	struct etcd_opts o = {
		endpoints, cfg_str(config, "store.etcd.username"), password, cfg_str(config, "store.etcd.caFile"),
		cfg_str(config, "store.etcd.certFile"), cfg_str(config, "store.etcd.keyFile"),
		(long)config_int(config, "store.etcd.timeoutMs", 0),
	};
	b->etcd = etcd_new(&o, err);
	secmem_free(password);
	return b->etcd ? 0 : -err->code;
}

struct agents_args {
	size_t skip;   /* strlen("<prefix>/agents/") */
	int (*cb)(const char *agent, void *arg);
	void *arg;
};

static int each_agent(const char *key, const struct etcd_kv *kv, void *arg)
{
	struct agents_args *a = arg;
	char agent[AGENT_MAX + 1];
	const char *id = key + a->skip, *slash = strchr(id, '/');
	(void)kv;
	if (!slash || strcmp(slash, "/store") != 0 || (size_t)(slash - id) > AGENT_MAX || slash == id)
		return 0;
	memcpy(agent, id, (size_t)(slash - id));
	agent[slash - id] = 0;
	return a->cb(agent, a->arg);
}

int backend_agents(const struct backend *b, int (*cb)(const char *agent, void *arg), void *arg, struct nv_err *err)
{
	if (!b->etcd)
		return 0;
	char agents[ETCD_PREFIX_MAX + 16];
	snprintf(agents, sizeof(agents), "%s/agents/", b->prefix);
	struct agents_args a = { strlen(agents), cb, arg };
	return etcd_list(b->etcd, agents, 1, each_agent, &a, NULL, err);
}

static void check_members(const struct backend *b, backend_report_fn report, void *arg)
{
	for (size_t i = 0; i < etcd_endpoint_count(b->etcd); i++) {
		struct nv_err err = { 0 };
		struct etcd *one = etcd_one(b->etcd, i, &err);
		struct etcd_kv kv;
		char url[256];
		if (one && etcd_get(one, b->prefix, 1, &kv, NULL, &err) == 0) {
			etcd_kv_clear(&kv);
		} else if (one) {
			/* one member that takes the request and never answers is
			 * "no quorum" to a client of it alone: not the cluster's state */
			etcd_endpoint(one, url, sizeof(url));
			report(arg, "etcd-member", "warning", url, "start that member again, or take it out of store.etcd.endpoints",
			       err.code == EROFS ? "it took a read but did not answer it in time: stopped, paused or cut off "
						   "(the other members may still have a quorum)" : err.msg);
		}
		etcd_free(one);
	}
}

struct store_keys {
	const struct seal_key *key;
	backend_report_fn report;
	void *arg;
	int n;
};

/* Each store under the prefix must be sealed with this host's key. */
static int check_store(const char *ekey, const struct etcd_kv *kv, void *arg)
{
	struct store_keys *k = arg;
	char keyid[SEAL_KEYID_LEN + 1] = "", problem[600], subject[PATH_MAX];
	size_t n = strlen(ekey);
	if (n < 6 || strcmp(ekey + n - 6, "/store") != 0)
		return 0;
	k->n++;
	snprintf(subject, sizeof(subject), "etcd:%s", ekey);
	if (!kv->value || !seal_is_envelope(kv->value, kv->len)) {
		k->report(k->arg, "etcd-store", "error", subject, "restore it with nova-engine store migrate or store import",
			  "not a sealed store: only sealed envelopes belong in etcd");
		return 0;
	}
	seal_envelope_keyid(kv->value, kv->len, keyid);
	if (!keyid[0]) {
		k->report(k->arg, "etcd-store", "error", subject, "restore it with nova-engine store migrate or store import",
			  "a damaged envelope: it names no key");
		return 0;
	}
	if (k->key && strcmp(keyid, k->key->id) != 0) {
		snprintf(problem, sizeof(problem), "sealed with key %s but this host's store key is %s", keyid, k->key->id);
		k->report(k->arg, "etcd-key", "error", subject, "copy store.key from a host that opens the stores: every host needs the same key",
			  problem);
	}
	return 0;
}

static void etcd_check(const struct backend *b, struct home *h, backend_report_fn report, void *arg)
{
	check_members(b, report, arg);
	const struct seal_key *key = NULL;
	struct nv_err err = { 0 };
	keyring_get(home_keyring(h), NULL, &key, NULL);
	struct store_keys k = { key, report, arg, 0 };
	char agents[ETCD_PREFIX_MAX + 16];
	snprintf(agents, sizeof(agents), "%s/agents/", b->prefix);
	int rc = etcd_list(b->etcd, agents, 0, check_store, &k, NULL, &err);
	if (rc == -EROFS)
		report(arg, "etcd-quorum", "error", b->prefix, "bring a majority of the members back (reads go on from this host's copies meanwhile)",
		       err.msg);
	else if (rc < 0)
		report(arg, "etcd", "error", b->prefix, "check store.etcd.endpoints and the etcd credentials", err.msg);
	else if (k.n == 0)
		report(arg, "etcd-empty", "warning", b->prefix,
		       "check store.etcd.prefix, or move the stores there with nova-engine store migrate --to etcd",
		       "no agent store under this prefix in etcd");
}
