/* A command-line driver for store/etcd.c, so the integration tests can
 * exercise the client against a real cluster (tests/integration/
 * test_etcd_client.py). Options come from the environment: ETCD_ENDPOINTS,
 * ETCD_USER, ETCD_PASSWORD, ETCD_CA, ETCD_CERT, ETCD_KEY, ETCD_TIMEOUT_MS,
 * and for the sealed-store commands ETCD_STORE_KEY (a store key file,
 * made when missing) and ETCD_PREFIX.
 * Errors print "Error: <message>" and exit with the errno, so tests can
 * assert both. Test data only: values are printed as they are. */
#include "store/etcd.h"
#include "store/etcd_store.h"
#include "store/oauth.h"
#include "store/secmem.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct nv_err err;

static int fail(int rc)
{
	fprintf(stderr, "Error: %s\n", err.msg);
	return -rc;
}

static int print_kv(const char *key, const struct etcd_kv *kv, void *arg)
{
	(void)arg;
	printf("%s mod=%lld %s\n", key, (long long)kv->mod_revision, kv->value ? kv->value : "");
	return 0;
}

static int cmd_get(struct etcd *e, int argc, char **argv)
{
	struct etcd_kv kv;
	int64_t rev;
	int rc = etcd_get(e, argv[0], argc > 1 && !strcmp(argv[1], "--serializable"), &kv, &rev, &err);
	if (rc < 0)
		return fail(rc);
	if (kv.value)
		printf("mod=%lld value=%s\n", (long long)kv.mod_revision, kv.value);
	else
		printf("absent rev=%lld\n", (long long)rev);
	etcd_kv_clear(&kv);
	return 0;
}

static int cmd_cas(struct etcd *e, int argc, char **argv)
{
	int64_t rev;
	struct etcd_kv cur;
	int rc = etcd_cas(e, argv[0], argv[2], strlen(argv[2]), atoll(argv[1]), argc > 3 ? argv[3] : NULL, &rev, &cur, &err);
	if (rc == -ESTALE)
		printf("current mod=%lld\n", (long long)cur.mod_revision);
	etcd_kv_clear(&cur);
	if (rc < 0)
		return fail(rc);
	printf("rev=%lld\n", (long long)rev);
	return 0;
}

/* Add 1 to the number at key, n times, by read-modify-CAS with retry. */
static int cmd_incr(struct etcd *e, int argc, char **argv)
{
	(void)argc;
	long n = atol(argv[1]), conflicts = 0;
	for (long i = 0; i < n; i++) {
		struct etcd_kv kv;
		int rc = etcd_get(e, argv[0], 0, &kv, NULL, &err);
		for (;;) {
			if (rc < 0)
				return fail(rc);
			char v[32];
			snprintf(v, sizeof(v), "%ld", (kv.value ? atol(kv.value) : 0) + 1);
			int64_t expect = kv.mod_revision;
			etcd_kv_clear(&kv);
			rc = etcd_cas(e, argv[0], v, strlen(v), expect, NULL, NULL, &kv, &err);
			if (rc != -ESTALE)
				break;
			conflicts++;
			rc = 0;
		}
		etcd_kv_clear(&kv);
		if (rc < 0)
			return fail(rc);
	}
	printf("conflicts=%ld\n", conflicts);
	return 0;
}

static int cmd_list(struct etcd *e, int argc, char **argv)
{
	(void)argc;
	int rc = etcd_list(e, argv[0], 0, print_kv, NULL, NULL, &err);
	return rc < 0 ? fail(rc) : 0;
}

static int cmd_del(struct etcd *e, int argc, char **argv)
{
	int rc = etcd_delete(e, argv[0], argc > 1 ? atoll(argv[1]) : 0, &err);
	return rc < 0 ? fail(rc) : 0;
}

static void sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&t, NULL);
}

/* lock NAME TTL WAIT_MS HOLD_MS [die|revoke-then-write KEY]:
 * take the lock, say so, hold it, then unlock (or exit without unlocking,
 * or let the lease go and try a fenced write). */
static int cmd_lock(struct etcd *e, int argc, char **argv)
{
	int64_t lease;
	char key[512];
	int rc = etcd_lease_grant(e, atol(argv[1]), &lease, &err);
	if (rc == 0)
		rc = etcd_lock(e, argv[0], lease, atol(argv[2]), key, sizeof(key), &err);
	if (rc < 0)
		return fail(rc);
	printf("locked %s\n", key);
	fflush(stdout);
	sleep_ms(atol(argv[3]));
	if (argc > 4 && !strcmp(argv[4], "die"))
		_exit(0);
	if (argc > 5 && !strcmp(argv[4], "revoke-then-write")) {
		etcd_lease_revoke(e, lease, &err);
		rc = etcd_cas(e, argv[5], "x", 1, 0, key, NULL, NULL, &err);
		return rc < 0 ? fail(rc) : 0;
	}
	rc = etcd_unlock(e, key, &err);
	if (rc == 0)
		rc = etcd_lease_revoke(e, lease, &err);
	if (rc < 0)
		return fail(rc);
	printf("unlocked\n");
	return 0;
}

static int cmd_lease(struct etcd *e, int argc, char **argv)
{
	(void)argc;
	int64_t id;
	int rc = etcd_lease_grant(e, atol(argv[0]), &id, &err);
	if (rc == 0)
		rc = etcd_lease_keepalive(e, id, &err);
	if (rc == 0)
		rc = etcd_lease_revoke(e, id, &err);
	if (rc == 0)
		rc = etcd_lease_keepalive(e, id, &err);
	printf("after revoke: %d\n", rc);
	return rc == -ENOENT ? 0 : fail(rc ? rc : -EPROTO);
}

/* poll KEY N MS: read key N times, MS apart, in one client (one token),
 * printing each outcome; exit as the last one. */
static int cmd_poll(struct etcd *e, int argc, char **argv)
{
	(void)argc;
	int rc = 0;
	for (long i = 0; i < atol(argv[1]); i++) {
		struct etcd_kv kv;
		rc = etcd_get(e, argv[0], 0, &kv, NULL, &err);
		printf("%s\n", rc < 0 ? err.msg : kv.value ? kv.value : "(absent)");
		fflush(stdout);
		etcd_kv_clear(&kv);
		sleep_ms(atol(argv[2]));
	}
	return rc < 0 ? fail(rc) : 0;
}

struct watch_state {
	long want, seen;
	time_t until;
};

static int on_event(const struct etcd_event *ev, int64_t rev, void *arg)
{
	struct watch_state *w = arg;
	printf("%s %s rev=%lld %s\n", ev->deleted ? "delete" : "put", ev->key, (long long)rev,
	       ev->kv->value ? ev->kv->value : "");
	fflush(stdout);
	return ++w->seen >= w->want;
}

static int on_stop(void *arg)
{
	return time(NULL) >= ((struct watch_state *)arg)->until;
}

static void on_created(void *arg)
{
	(void)arg;
	printf("created\n");
	fflush(stdout);
}

/* watch PREFIX FROM COUNT SECONDS */
static int cmd_watch(struct etcd *e, int argc, char **argv)
{
	(void)argc;
	struct watch_state w = { atol(argv[2]), 0, time(NULL) + atol(argv[3]) };
	struct etcd_watch_cb cb = { on_event, on_stop, on_created, &w };
	int64_t next;
	int rc = etcd_watch(e, argv[0], atoll(argv[1]), &cb, &next, &err);
	printf("next=%lld\n", (long long)next);
	return rc < 0 ? fail(rc) : 0;
}

/* --- one agent's sealed store in etcd (store/etcd_store.c) --- */

static struct seal_key *store_key(void)
{
	struct seal_key *k = NULL;
	const char *path = getenv("ETCD_STORE_KEY");
	if (!path || seal_key_load(path, 1, &k, &err) < 0)
		return NULL;
	return k;
}

static const char *prefix(void)
{
	const char *p = getenv("ETCD_PREFIX");
	return p ? p : ETCD_PREFIX_DEFAULT;
}

struct add { const char *writer; long i; };

static int add_profile(cJSON *doc, void *arg, struct nv_err *e)
{
	(void)e;
	struct add *a = arg;
	char id[64], secret[64];
	snprintf(id, sizeof(id), "%s:p%ld", a->writer, a->i);
	snprintf(secret, sizeof(secret), "made-up-%s-%ld-0123456789abcdef", a->writer, a->i);
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "type", "api_key");
	cJSON_AddStringToObject(c, "provider", a->writer);
	cJSON_AddStringToObject(c, "key", secret);
	cJSON_AddItemToObject(cJSON_GetObjectItemCaseSensitive(doc, "profiles"), id, c);
	return 0;
}

/* sealed-add AGENT WRITER N: N profiles WRITER:p0.. added one CAS each. */
static int cmd_sealed_add(struct etcd *e, int argc, char **argv)
{
	(void)argc;
	struct seal_key *k = store_key();
	int rc = k ? 0 : -err.code;
	struct add a = { argv[1], 0 };
	for (long n = atol(argv[2]); rc == 0 && a.i < n; a.i++)
		rc = etcd_store_change(e, prefix(), argv[0], k, add_profile, &a, NULL, &err);
	seal_key_free(k);
	return rc < 0 ? fail(rc) : 0;
}

static int put_json(cJSON *doc, void *arg, struct nv_err *e)
{
	cJSON *c = cJSON_Parse(((char **)arg)[1]);
	if (!c)
		return nv_fail(e, EINVAL, "not JSON");
	cJSON *profiles = cJSON_GetObjectItemCaseSensitive(doc, "profiles");
	cJSON_DeleteItemFromObjectCaseSensitive(profiles, ((char **)arg)[0]);
	cJSON_AddItemToObject(profiles, ((char **)arg)[0], c);
	return 0;
}

/* sealed-put AGENT ID JSON: store credential JSON as profile ID. */
static int cmd_sealed_put(struct etcd *e, int argc, char **argv)
{
	(void)argc;
	struct seal_key *k = store_key();
	int rc = k ? etcd_store_change(e, prefix(), argv[0], k, put_json, argv + 1, NULL, &err) : -err.code;
	seal_key_free(k);
	return rc < 0 ? fail(rc) : 0;
}

/* sealed-get AGENT: the document (test data only). */
static int cmd_sealed_get(struct etcd *e, int argc, char **argv)
{
	(void)argc;
	struct seal_key *k = store_key();
	cJSON *doc = NULL;
	int64_t rev;
	int rc = k ? etcd_store_read(e, prefix(), argv[0], k, &doc, &rev, &err) : -err.code;
	char *t = rc == 0 ? cJSON_PrintUnformatted(doc) : NULL;
	if (t)
		printf("%s\n", t);
	cJSON_free(t);
	cJSON_Delete(doc);
	seal_key_free(k);
	return rc < 0 ? fail(rc) : 0;
}

struct refresh {
	const char *id;
	struct oauth_endpoint ep;
	cJSON *fresh;
};

/* Under the fleet lock: refresh only if still due (another host may have). */
static int refresh_prepare(cJSON *doc, void *arg, struct nv_err *e)
{
	struct refresh *r = arg;
	const cJSON *cred = doc_profile(doc, r->id);
	if (!cred || !oauth_due(cred, (int64_t)time(NULL) * 1000))
		return 1;
	const char *refresh = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cred, "refresh"));
	const char *fields[] = { "grant_type", "refresh_token", "refresh_token", refresh ? refresh : "",
				 "client_id", "test-client", NULL };
	long http = 0;
	cJSON *answer = NULL;
	int rc = oauth_post(&r->ep, fields, &http, &answer, e);
	if (rc == 0 && http != 200)
		rc = nv_fail(e, EKEYREJECTED, "the token endpoint answered HTTP %ld", http);
	if (rc == 0 && !(r->fresh = oauth_credential("anthropic", answer, "test-client")))
		rc = nv_fail(e, EPROTO, "no credential in the answer");
	cJSON_Delete(answer);
	return rc;
}

static int refresh_apply(cJSON *doc, void *arg, struct nv_err *e)
{
	(void)e;
	struct refresh *r = arg;
	cJSON *profiles = cJSON_GetObjectItemCaseSensitive(doc, "profiles");
	cJSON_DeleteItemFromObjectCaseSensitive(profiles, r->id);
	cJSON_AddItemToObject(profiles, r->id, cJSON_Duplicate(r->fresh, 1));
	return 0;
}

/* refresh AGENT ID TOKEN_URL: prints "refreshed" or "fresh". */
static int cmd_refresh(struct etcd *e, int argc, char **argv)
{
	(void)argc;
	struct seal_key *k = store_key();
	struct refresh r = { .id = argv[1] };
	snprintf(r.ep.token_url, sizeof(r.ep.token_url), "%s", argv[2]);
	r.ep.json_body = 1;
	int rc = k ? etcd_store_locked_change(e, prefix(), argv[0], k, 20000, refresh_prepare, refresh_apply, &r, &err)
		   : -err.code;
	if (rc >= 0)
		printf("%s\n", rc == 0 ? "refreshed" : "fresh");
	cJSON_Delete(r.fresh);
	seal_key_free(k);
	return rc < 0 ? fail(rc) : 0;
}

static const struct {
	const char *name;
	int args;
	int (*run)(struct etcd *, int, char **);
} cmds[] = {
	{ "get", 1, cmd_get }, { "cas", 3, cmd_cas }, { "incr", 2, cmd_incr }, { "list", 1, cmd_list },
	{ "del", 1, cmd_del }, { "lock", 4, cmd_lock }, { "lease", 1, cmd_lease }, { "watch", 4, cmd_watch },
	{ "poll", 3, cmd_poll }, { "sealed-add", 3, cmd_sealed_add }, { "sealed-put", 3, cmd_sealed_put },
	{ "sealed-get", 1, cmd_sealed_get }, { "refresh", 3, cmd_refresh },
};

int main(int argc, char **argv)
{
	if (secmem_init() < 0 || argc < 2)
		return 2;
	const char *t = getenv("ETCD_TIMEOUT_MS");
	struct etcd_opts o = { getenv("ETCD_ENDPOINTS"), getenv("ETCD_USER"), getenv("ETCD_PASSWORD"),
			       getenv("ETCD_CA"), getenv("ETCD_CERT"), getenv("ETCD_KEY"), t ? atol(t) : 0 };
	struct etcd *e = etcd_new(&o, &err);
	if (!e)
		return fail(-err.code);
	int rc = 2;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name) && argc - 2 >= cmds[i].args)
			rc = cmds[i].run(e, argc - 2, argv + 2);
	etcd_free(e);
	return rc;
}
