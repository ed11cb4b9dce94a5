/* The refresh schedule. A pass reads the store (no lock held but the
 * store's own), decides under the schedule mutex, and refreshes with no
 * lock of ours held: oauth_refresh_ahead takes the store's file lock, so
 * a reader or another process refreshing at the same time is harmless. */
#include "store/refresh.h"
#include "store/config.h"
#include "store/oauth.h"
#include "store/profile.h"
#include "store/timefmt.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	struct entry *next;
	struct refresh_info info;
	int64_t first_seen;     /* when this expiry was first seen */
	int64_t seen_expires;
	int seen_in_pass;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct entry *entries;   /* protected by mu */
static _Atomic unsigned long done, failed;

unsigned long refresh_done_count(void) { return done; }
unsigned long refresh_failed_count(void) { return failed; }

/* Caller holds mu. */
static struct entry *find(const char *agent, const char *id, int create)
{
	for (struct entry *e = entries; e; e = e->next)
		if (strcmp(e->info.agent, agent) == 0 && strcmp(e->info.id, id) == 0)
			return e;
	struct entry *e = create ? calloc(1, sizeof(*e)) : NULL;
	if (e) {
		snprintf(e->info.agent, sizeof(e->info.agent), "%s", agent);
		snprintf(e->info.id, sizeof(e->info.id), "%s", id);
		e->next = entries;
		entries = e;
	}
	return e;
}

/* One oauth profile as the pass saw it. */
struct seen {
	char id[PROFILE_ID_MAX + 1];
	int64_t expires;
	int refreshable;   /* has a refresh token and is not rejected */
};

struct collect {
	struct seen *v;
	size_t n, cap;
};

static int collect_in_doc(const cJSON *doc, void *arg, struct nv_err *err)
{
	struct collect *c = arg;
	const cJSON *p;
	(void)err;
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(doc, "profiles")) {
		if (cred_type_of(p) != CRED_OAUTH || !cred_expires(p) || strlen(p->string) > PROFILE_ID_MAX)
			continue;
		if (c->n == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 16;
			struct seen *g = realloc(c->v, cap * sizeof(*g));
			if (!g)
				return -ENOMEM;
			c->v = g;
			c->cap = cap;
		}
		struct seen *s = &c->v[c->n++];
		const char *refresh = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "refresh"));
		const char *why = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc_usage(doc, p->string), "disabledReason"));
		snprintf(s->id, sizeof(s->id), "%s", p->string);
		s->expires = cred_expires(p);
		s->refreshable = refresh && *refresh && !(why && strcmp(why, "auth") == 0);
	}
	return 0;
}

/* The skew, and the bound on a proactive refresh's wait for the token
 * endpoint: it holds the agent's store lock, so writers wait with it. */
static int64_t skew_ms(struct home *h, long *timeout)
{
	struct config_snap *c = home_config_get(h);
	int64_t s = config_int(c->json, "auth.refreshSkewSeconds", REFRESH_SKEW_DEFAULT_S);
	*timeout = (long)config_int(c->json, "auth.refreshTimeoutMs", REFRESH_TIMEOUT_DEFAULT_MS);
	config_snap_put(c);
	return (s < 0 ? 0 : s) * 1000;
}

/* Bring e up to date with what the store holds; returns 1 when the
 * profile should be refreshed now. Caller holds mu. */
static int plan(struct entry *e, const struct seen *s, int64_t now, int64_t skew)
{
	e->seen_in_pass = 1;
	if (e->seen_expires != s->expires) { /* a new credential: a new lifetime */
		e->seen_expires = s->expires;
		e->first_seen = now;
		e->info.failures = 0;
		e->info.retry_at = 0;
		e->info.rejected = 0;
		e->info.error[0] = '\0';
	}
	int64_t by_skew = s->expires - skew;
	int64_t by_life = e->first_seen + (s->expires - e->first_seen) * 8 / 10;
	e->info.due_at = by_skew < by_life ? by_skew : by_life;
	if (!s->refreshable)
		e->info.rejected = 1;
	return !e->info.rejected && now >= e->info.due_at && now >= e->info.retry_at;
}

/* Record how a refresh went. Caller holds mu. */
static void outcome(struct entry *e, int rc, const struct nv_err *err, int64_t now)
{
	if (rc == 0) {
		done++;
		e->seen_expires = 0; /* the next pass starts its new lifetime */
		return;
	}
	failed++;
	snprintf(e->info.error, sizeof(e->info.error), "%s", err->msg);
	if (rc == -EKEYREJECTED) {
		e->info.rejected = 1;
		return;
	}
	int n = ++e->info.failures;
	int64_t wait = REFRESH_BACKOFF_MIN_MS << (n - 1 < 5 ? n - 1 : 5);
	/* the provider's own word (a 429's Retry-After) when it asks for longer */
	int64_t asked = (int64_t)oauth_retry_after_s() * 1000;
	if (asked > wait)
		wait = asked;
	e->info.retry_at = now + (wait < REFRESH_BACKOFF_MAX_MS ? wait : REFRESH_BACKOFF_MAX_MS);
}

/* Forget profiles of agent the pass did not see (deleted). */
static void sweep(const char *agent)
{
	pthread_mutex_lock(&mu);
	for (struct entry **pp = &entries; *pp;) {
		struct entry *e = *pp;
		if (strcmp(e->info.agent, agent) == 0 && !e->seen_in_pass) {
			*pp = e->next;
			free(e);
			continue;
		}
		e->seen_in_pass = 0;
		pp = &e->next;
	}
	pthread_mutex_unlock(&mu);
}

static int64_t refresh_one(struct store *st, const struct seen *s, int64_t skew, refresh_note_fn note, void *arg)
{
	const char *agent = store_agent(st);
	int64_t now = now_ms();
	pthread_mutex_lock(&mu);
	struct entry *e = find(agent, s->id, 1);
	int go = e && plan(e, s, now, skew);
	pthread_mutex_unlock(&mu);
	if (!e)
		return INT64_MAX;
	if (go) {
		struct nv_err err = { 0 };
		int rc = oauth_refresh_ahead(st, s->id, s->expires, &err);
		pthread_mutex_lock(&mu);
		outcome(e, rc, &err, now_ms());
		pthread_mutex_unlock(&mu);
		if (note)
			note(agent, s->id, rc, err.msg, arg);
		if (rc == 0)
			return 0; /* look again at once: the new expiry plans the next */
	}
	pthread_mutex_lock(&mu);
	int64_t at = e->info.rejected ? INT64_MAX : e->info.due_at > e->info.retry_at ? e->info.due_at : e->info.retry_at;
	pthread_mutex_unlock(&mu);
	return at == INT64_MAX ? at : at - now;
}

int64_t refresh_pass(struct store *st, refresh_note_fn note, void *arg)
{
	struct collect c = { 0 };
	long timeout;
	int64_t next = INT64_MAX, skew = skew_ms(store_home(st), &timeout);
	oauth_set_timeout_ms(timeout > 0 ? timeout : REFRESH_TIMEOUT_DEFAULT_MS); /* this thread's refreshes */
	if (store_read(st, collect_in_doc, &c, NULL) < 0) {
		free(c.v);
		return next; /* a store that does not open is the reader's error to report */
	}
	for (size_t i = 0; i < c.n; i++) {
		int64_t in = refresh_one(st, &c.v[i], skew, note, arg);
		if (in < next)
			next = in;
	}
	sweep(store_agent(st));
	free(c.v);
	return next < 0 ? 0 : next;
}

int refresh_info_of(const char *agent, const char *id, struct refresh_info *out)
{
	pthread_mutex_lock(&mu);
	struct entry *e = find(agent, id, 0);
	if (e)
		*out = e->info;
	pthread_mutex_unlock(&mu);
	return e ? 0 : -ENOENT;
}

int refresh_backing_off(const char *agent, const char *id, int64_t expires)
{
	pthread_mutex_lock(&mu);
	struct entry *e = find(agent, id, 0);
	int yes = e && !e->info.rejected && e->seen_expires == expires && e->info.retry_at > now_ms();
	pthread_mutex_unlock(&mu);
	return yes;
}

void refresh_each(void (*fn)(const struct refresh_info *info, void *arg), void *arg)
{
	pthread_mutex_lock(&mu);
	for (struct entry *e = entries; e; e = e->next)
		fn(&e->info, arg);
	pthread_mutex_unlock(&mu);
}

void refresh_annotate(const char *agent, cJSON *entries_json)
{
	cJSON *o;
	char iso[32];
	cJSON_ArrayForEach(o, entries_json) {
		struct refresh_info ri;
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "profile"));
		if (!id || refresh_info_of(agent, id, &ri) < 0)
			continue;
		time_iso(ri.due_at, iso);
		cJSON_AddStringToObject(o, "refresh_at", ri.rejected ? "never (log in again)" : iso);
		cJSON_AddNumberToObject(o, "refresh_failures", ri.failures);
		if (ri.retry_at) {
			time_iso(ri.retry_at, iso);
			cJSON_AddStringToObject(o, "refresh_retry_at", iso);
		}
		if (ri.error[0])
			cJSON_AddStringToObject(o, "refresh_error", ri.error);
	}
}
