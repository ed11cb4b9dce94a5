/* A command-line driver for store/etcd.c, so the integration tests can
 * exercise the client against a real cluster (tests/integration/
 * test_etcd_client.py). Options come from the environment: ETCD_ENDPOINTS,
 * ETCD_USER, ETCD_PASSWORD, ETCD_CA, ETCD_CERT, ETCD_KEY, ETCD_TIMEOUT_MS.
 * Errors print "Error: <message>" and exit with the errno, so tests can
 * assert both. Test data only: values are printed as they are. */
#include "store/etcd.h"
#include "store/secmem.h"

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

static void on_created(void *arg, int64_t revision)
{
	(void)revision;
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

static const struct {
	const char *name;
	int args;
	int (*run)(struct etcd *, int, char **);
} cmds[] = {
	{ "get", 1, cmd_get }, { "cas", 3, cmd_cas }, { "incr", 2, cmd_incr }, { "list", 1, cmd_list },
	{ "del", 1, cmd_del }, { "lock", 4, cmd_lock }, { "lease", 1, cmd_lease }, { "watch", 4, cmd_watch },
	{ "poll", 3, cmd_poll },
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
