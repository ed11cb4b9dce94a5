/* The cache is keyed by scope, profile id and a hash of the secret, so a
 * new token is probed anew. Protected by c->mu; probes run without it. */
#include "store/probe_cache.h"
#include "store/timefmt.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* "<scope>/<profile id>": scope is an agent id */
#define CACHE_KEY_MAX (64 + 1 + PROFILE_ID_MAX + 1)

struct entry {
	struct entry *next;
	char key[CACHE_KEY_MAX];
	unsigned char fp[16];
	cJSON *answer;         /* the provider's last answer */
	int64_t answer_at;
	cJSON *failure;        /* the last timeout / unreachable */
	int64_t failure_at;
	int in_flight;
};

struct probe_cache {
	pthread_mutex_t mu;
	pthread_cond_t done;   /* broadcast when any probe lands */
	struct entry *entries;
};

struct probe_cache *probe_cache_new(void)
{
	struct probe_cache *c = calloc(1, sizeof(*c));
	if (c) {
		pthread_mutex_init(&c->mu, NULL);
		pthread_cond_init(&c->done, NULL);
	}
	return c;
}

void probe_cache_free(struct probe_cache *c)
{
	if (!c)
		return;
	while (c->entries) {
		struct entry *e = c->entries;
		c->entries = e->next;
		cJSON_Delete(e->answer);
		cJSON_Delete(e->failure);
		free(e);
	}
	pthread_cond_destroy(&c->done);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

static struct entry *entry_for(struct probe_cache *c, const char *scope, const struct probe_job *job)
{
	char key[CACHE_KEY_MAX];
	unsigned char fp[16];
	snprintf(key, sizeof(key), "%s/%s", scope, job->id);
	crypto_generichash(fp, sizeof(fp), (const unsigned char *)job->secret, strlen(job->secret), NULL, 0);
	struct entry *e = c->entries;
	while (e && strcmp(e->key, key) != 0)
		e = e->next;
	if (!e) {
		if (!(e = calloc(1, sizeof(*e))))
			return NULL;
		snprintf(e->key, sizeof(e->key), "%s", key);
		e->next = c->entries;
		c->entries = e;
	}
	if (memcmp(e->fp, fp, sizeof(fp)) != 0 && !e->in_flight) {
		cJSON_Delete(e->answer);
		cJSON_Delete(e->failure);
		e->answer = e->failure = NULL;
		e->answer_at = e->failure_at = 0;
		memcpy(e->fp, fp, sizeof(fp));
	}
	return e;
}

static int is_failure(const cJSON *r)
{
	const char *b = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "result"));
	return !b || strcmp(b, "timeout") == 0 || strcmp(b, "unreachable") == 0 || strcmp(b, "interrupted") == 0;
}

/* What to show for e now. */
static cJSON *present(const struct entry *e, int64_t now)
{
	cJSON *r;
	if (e->answer && e->failure_at > e->answer_at) {
		r = cJSON_Duplicate(e->answer, 1);
		cJSON_AddTrueToObject(r, "stale");
		const char *why = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e->failure, "result"));
		char note[160];
		snprintf(note, sizeof(note), "the provider could not be checked just now (%s): this is the last answer", why ? why : "failure");
		cJSON_AddStringToObject(r, "stale_reason", note);
	} else {
		r = cJSON_Duplicate(e->answer ? e->answer : e->failure, 1);
	}
	int64_t at = e->answer && e->failure_at > e->answer_at ? e->answer_at : (e->answer ? e->answer_at : e->failure_at);
	if (r)
		cJSON_AddNumberToObject(r, "age_s", (double)((now - at) / 1000));
	return r;
}

/* For a reader that may not wait: no answer yet. */
static cJSON *pending(const struct entry *e)
{
	cJSON *r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "result", "pending");
	cJSON_AddStringToObject(r, "message", e->in_flight ? "a live check is in progress: read again for its answer"
							   : "not checked yet: read again for a live check");
	return r;
}

static void store_result(struct entry *e, cJSON *r, int64_t now)
{
	const char *b = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "result"));
	if (b && strcmp(b, "interrupted") == 0)
		return;
	cJSON *copy = cJSON_Duplicate(r, 1);
	if (is_failure(r)) {
		cJSON_Delete(e->failure);
		e->failure = copy;
		e->failure_at = now;
	} else {
		cJSON_Delete(e->answer);
		e->answer = copy;
		e->answer_at = now;
	}
}

static void deadline_in(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Wait (c->mu held) until e has landed, the deadline passed, or stop. */
static int wait_for(struct probe_cache *c, struct entry *e, const struct probe_policy *p)
{
	long waited = 0;
	while (e->in_flight && waited < p->timeout_ms + 1000) {
		if (p->stop && p->stop(p->stop_arg))
			return -EINTR;
		struct timespec ts;
		deadline_in(&ts, 50);
		pthread_cond_timedwait(&c->done, &c->mu, &ts);
		waited += 50;
	}
	return 0;
}

int probe_cache_get(struct probe_cache *c, const char *scope, struct probe_job *jobs, size_t n,
		    const struct probe_policy *p)
{
	struct entry **es = calloc(n ? n : 1, sizeof(*es));
	struct probe_job *mine = calloc(n ? n : 1, sizeof(*mine));
	size_t *mine_of = calloc(n ? n : 1, sizeof(*mine_of)), m = 0;
	int rc = es && mine && mine_of ? 0 : -ENOMEM;
	int64_t now = now_ms();
	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct entry *e = es[i] = entry_for(c, scope, &jobs[i]);
		int64_t last = e && e->answer_at > e->failure_at ? e->answer_at : e ? e->failure_at : 0;
		if (!e || e->in_flight || p->no_wait || (last && now - last < p->ttl_ms))
			continue;
		e->in_flight = 1;
		mine[m] = jobs[i];
		mine[m].result = NULL;
		mine_of[m++] = i;
	}
	pthread_mutex_unlock(&c->mu);
	int prc = m ? probe_run(mine, m, 0, p->timeout_ms, p->stop, p->stop_arg) : 0;
	pthread_mutex_lock(&c->mu);
	now = now_ms();
	for (size_t k = 0; k < m; k++) {
		struct entry *e = es[mine_of[k]];
		store_result(e, mine[k].result, now);
		e->in_flight = 0;
		if (!e->answer && !e->failure) /* interrupted before any answer */
			jobs[mine_of[k]].result = cJSON_Duplicate(mine[k].result, 1);
		cJSON_Delete(mine[k].result);
		probe_job_wipe(&mine[k]);
	}
	pthread_cond_broadcast(&c->done);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (!es[i] || jobs[i].result)
			continue;
		if (p->no_wait && !es[i]->answer && !es[i]->failure) {
			jobs[i].result = pending(es[i]);
			continue;
		}
		if (!p->no_wait && (rc = wait_for(c, es[i], p)) < 0)
			break;
		jobs[i].result = present(es[i], now_ms());
	}
	pthread_mutex_unlock(&c->mu);
	free(es);
	free(mine);
	free(mine_of);
	return rc < 0 ? rc : prc;
}

static cJSON *peek(struct probe_cache *c, const char *scope, const char *id)
{
	char key[CACHE_KEY_MAX];
	snprintf(key, sizeof(key), "%s/%s", scope, id);
	pthread_mutex_lock(&c->mu);
	struct entry *e = c->entries;
	while (e && strcmp(e->key, key) != 0)
		e = e->next;
	cJSON *r = e && (e->answer || e->failure) ? present(e, now_ms()) : NULL;
	pthread_mutex_unlock(&c->mu);
	return r;
}

int probe_cache_last(struct probe_cache *c, const char *scope, const char *id, struct probe_outcome *out)
{
	cJSON *r = peek(c, scope, id);
	probe_outcome_of(r, out);
	cJSON_Delete(r);
	return *out->result != '\0';
}
