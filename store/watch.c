/* The etcd watch loop: watch, and on a broken stream wait a little and
 * resume from the next revision; on a compaction list every store key (a
 * full re-read: each agent is announced, then "every agent" for the ones
 * deleted meanwhile) and watch on from the revision of that list.
 *
 * A stream can also hang without breaking: its member frozen or cut off
 * while the socket stays open. Then nothing tells the daemon, and its
 * cache (trusted while the watch is up) would stay old for ever. So a
 * second thread asks the quorum once a second for the newest revision
 * under the prefix; one the stream has not delivered makes reads ask etcd
 * at once, and if the stream has still not delivered it a second later,
 * the stream is dropped and resumed on a member that answers. */
#include "store/watch.h"
#include "store/backend_impl.h"
#include "store/timefmt.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000
#define CHECK_MS 1000

struct store_watch {
	struct home *h;
	struct backend *_Atomic b;         /* the home's, as of generation gen */
	unsigned gen;
	char agents[ETCD_PREFIX_MAX + 16];  /* <prefix>/agents/ (the loop's: the checker makes its own) */
	store_watch_fn fn;
	void *arg;
	pthread_t thread, checker;
	int checking;                      /* the checker runs (started with the first etcd backend) */
	atomic_int stop, up, kick;         /* kick: the checker says the stream hangs */
	pthread_mutex_t pause_mu;          /* with wake: a pause ends at once on stop */
	pthread_cond_t wake;
	_Atomic int64_t revision, last_event_ms;
	_Atomic int64_t seen;              /* the stream has delivered up to here */
	atomic_ulong reconnects, rereads;
};

/* The agent id of <prefix>/agents/<id>/store, into out; 0 if not one. */
static int agent_of(const struct store_watch *w, const char *key, char *out, size_t cap)
{
	size_t n = strlen(w->agents);
	const char *id = key + n, *slash = strncmp(key, w->agents, n) ? NULL : strchr(id, '/');
	if (!slash || strcmp(slash, "/store") != 0 || slash == id || (size_t)(slash - id) >= cap)
		return 0;
	memcpy(out, id, (size_t)(slash - id));
	out[slash - id] = 0;
	return 1;
}

static void announce(struct store_watch *w, const char *key, int exists, int64_t rev)
{
	char agent[AGENT_MAX + 1];
	if (agent_of(w, key, agent, sizeof(agent)))
		w->fn(w->arg, agent, exists, rev);
	if (rev > w->revision)
		w->revision = rev;
	if (rev > w->seen)
		w->seen = rev;
	w->last_event_ms = now_ms();
}

static int on_event(const struct etcd_event *ev, int64_t rev, void *arg)
{
	announce(arg, ev->key, !ev->deleted, rev);
	return 0;
}

static int on_stop(void *arg)
{
	struct store_watch *w = arg;
	return w->stop || w->kick || backend_generation(w->h) != w->gen;
}

static void on_created(void *arg, int64_t revision)
{
	struct store_watch *w = arg;
	w->seen = revision;
	w->up = 1;
	w->b->watched = 1;
}

static int on_listed(const char *key, const struct etcd_kv *kv, void *arg)
{
	announce(arg, key, 1, kv->mod_revision);
	return 0;
}

/* After a compaction: everything, then watch from the list's revision. */
static int reread(struct store_watch *w, int64_t *next)
{
	int64_t rev = 0;
	int rc = etcd_list(w->b->etcd, w->agents, 1, on_listed, w, &rev, NULL);
	if (rc < 0)
		return rc;
	w->fn(w->arg, NULL, 1, rev);
	w->rereads++;
	*next = rev + 1;
	return 0;
}

/* Sleep ms, or less if the watch is stopped meanwhile (no polling: an idle
 * daemon's threads wake once per pause, and unmount does not wait). */
static void pause_ms(struct store_watch *w, long ms)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->pause_mu);
	while (!w->stop && pthread_cond_timedwait(&w->wake, &w->pause_mu, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&w->pause_mu);
}

static void *check_loop(void *arg);

/* Take the home's backend if the config changed it (store migrate, an
 * edit): 1 when it did. The stores follow by themselves; the daemon is told
 * that any agent may read differently now. */
static int adopt(struct store_watch *w)
{
	unsigned gen = backend_generation(w->h);
	struct backend *b;
	if (w->b && gen == w->gen)
		return 0;
	if (backend_of(w->h, &b, NULL) < 0)
		return 0;
	int switched = w->b != NULL;
	w->gen = gen;
	snprintf(w->agents, sizeof(w->agents), "%s/agents/", b->prefix);
	w->seen = 0;
	w->b = b;
	if (b->etcd && !w->checking)
		w->checking = pthread_create(&w->checker, NULL, check_loop, w) == 0;
	if (switched)
		w->fn(w->arg, NULL, 1, 0);
	return 1;
}

static void *loop(void *arg)
{
	struct store_watch *w = arg;
	struct etcd_watch_cb cb = { on_event, on_stop, on_created, w };
	int64_t next = 0;
	long backoff = BACKOFF_MIN_MS;
	while (!w->stop) {
		if (adopt(w)) {
			next = 0;  /* another cluster or prefix: from now */
			backoff = BACKOFF_MIN_MS;
		}
		if (!w->b->etcd) {  /* the file backend: nothing to follow here */
			pause_ms(w, CHECK_MS);
			continue;
		}
		int rc = etcd_watch(w->b->etcd, w->agents, next, &cb, &next, NULL);
		w->up = 0;
		w->b->watched = 0;  /* until it is back, reads ask etcd */
		if (w->stop)
			break;
		if (backend_generation(w->h) != w->gen)
			continue;  /* a switch, not a failure */
		if (w->kick) {
			w->kick = 0;
			rc = -ECONNRESET;
		}
		if (rc == -EXDEV)
			rc = reread(w, &next);
		if (rc == 0) {
			backoff = BACKOFF_MIN_MS;
			continue;
		}
		w->reconnects++;
		pause_ms(w, backoff);
		backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
	}
	return NULL;
}

/* Once a second: has the stream delivered the newest change under the
 * prefix? (Deletions are not seen this way; a stream that hangs is found
 * by the next put.) */
static void *check_loop(void *arg)
{
	struct store_watch *w = arg;
	int64_t owed = 0;  /* a revision the stream owed at the last look */
	while (!w->stop) {
		pause_ms(w, CHECK_MS);
		struct backend *b = w->b;
		char agents[sizeof(w->agents)];
		int64_t newest;
		snprintf(agents, sizeof(agents), "%s/agents/", b->prefix);
		if (w->stop || !w->up || !b->etcd || etcd_newest(b->etcd, agents, &newest, NULL) < 0) {
			owed = 0;
			continue;
		}
		if (owed && w->seen < owed) {
			w->kick = 1;  /* a second late: the stream hangs */
			owed = 0;
		} else if (newest > w->seen) {
			b->watched = 0;  /* maybe just in flight, but meanwhile reads ask etcd */
			owed = newest;
		} else if (owed) {
			owed = 0;
			b->watched = w->up;
		}
	}
	return NULL;
}

int store_watch_start(struct home *h, store_watch_fn fn, void *arg, struct store_watch **out, struct nv_err *err)
{
	struct backend *b;
	int rc = backend_of(h, &b, err);
	*out = NULL;
	if (rc < 0)
		return rc;
	struct store_watch *w = calloc(1, sizeof(*w));
	if (!w)
		return nv_fail(err, ENOMEM, "out of memory");
	w->h = h;
	w->fn = fn;
	w->arg = arg;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&w->pause_mu, NULL);
	if (pthread_create(&w->thread, NULL, loop, w) != 0) {
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->pause_mu);
		free(w);
		return nv_fail(err, EAGAIN, "cannot start the etcd watch thread");
	}
	*out = w;
	return 0;
}

void store_watch_stop(struct store_watch *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->pause_mu);
	w->stop = 1;
	pthread_cond_broadcast(&w->wake);
	pthread_mutex_unlock(&w->pause_mu);
	pthread_join(w->thread, NULL);
	if (w->checking)
		pthread_join(w->checker, NULL);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->pause_mu);
	free(w);
}

void store_watch_stats(struct store_watch *w, struct store_watch_stats *out)
{
	memset(out, 0, sizeof(*out));
	struct backend *b = w ? w->b : NULL;
	if (!b || !b->etcd)
		return;
	out->active = 1;
	out->up = w->up;
	out->revision = w->revision;
	out->last_event_ms = w->last_event_ms;
	out->reconnects = w->reconnects;
	out->rereads = w->rereads;
}
