/* Per-mount state: the open agent stores (opened lazily, so mounting
 * 10,000 agents decrypts none of them, and at most FS_STORES_MAX at once,
 * least recently used closed first, so walking them all keeps memory
 * flat), per-agent counters, and what the mount knows of each file's
 * content (its last length and when it last changed). */
#include "fs/tree.h"
#include "fs/pending.h"
#include "store/settings.h"

#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* An open store. In the hash chain and the LRU list while open; refs
 * counts the requests using it, and only an unreferenced one is closed. */
struct agent_slot {
	struct agent_slot *hnext;
	struct agent_slot *newer, *older;
	struct store *store;
	int refs;
	struct file_stamp seen;     /* the store file as the watcher last saw it */
	char agent[AGENT_MAX + 1];
};

/* Counters outlive the store handle: a Prometheus counter must not reset
 * while the daemon runs. A few bytes per agent that was ever read. */
struct counter_slot {
	struct counter_slot *next;
	char agent[AGENT_MAX + 1];
	_Atomic unsigned long n[FS_COUNTERS];
};

#define N_BUCKETS 4096
#define N_MEMO 4096

/* A hint table, not a map: a collision only forgets what was known (the
 * length goes back to "never rendered", the time to the source's). */
struct content_memo {
	uint64_t key[N_MEMO];
	uint64_t hash[N_MEMO];
	size_t len[N_MEMO];
	struct timespec changed[N_MEMO];   /* when the content last changed */
	struct source source[N_MEMO];      /* the source it was rendered from */
	struct timespec rendered[N_MEMO];  /* when (CLOCK_MONOTONIC) */
};

struct slots {
	struct agent_slot *bucket[N_BUCKETS];
	struct agent_slot *newest, *oldest;
	size_t open, max_open;      /* config fs.openAgentsMax (FS_STORES_MAX) */
	struct counter_slot *counters[N_BUCKETS];
};

int fs_init(struct fs *fs, struct home *h, const struct fs_options *opt)
{
	memset(fs, 0, sizeof(*fs));
	fs->home = h;
	fs->opt = *opt;
	fs->started = time(NULL);
	pthread_mutex_init(&fs->mu, NULL);
	fs->slots = calloc(1, sizeof(*fs->slots));
	if (fs->slots) {
		struct mount_settings s;
		mount_settings(h, &s);
		fs->slots->max_open = s.open_agents_max;
	}
	fs->probes = probe_cache_new();
	fs->memo = calloc(1, sizeof(*fs->memo));
	fs->pending = pending_new();
	return fs->slots && fs->probes && fs->memo && fs->pending ? 0 : -1;
}

void fs_release(struct fs *fs)
{
	for (size_t i = 0; fs->slots && i < N_BUCKETS; i++) {
		for (struct agent_slot *s = fs->slots->bucket[i], *next; s; s = next) {
			next = s->hnext;
			store_free(s->store);
			free(s);
		}
		for (struct counter_slot *c = fs->slots->counters[i], *next; c; c = next) {
			next = c->next;
			free(c);
		}
	}
	free(fs->slots);
	free(fs->memo);
	probe_cache_free(fs->probes);
	pending_free(fs->pending);
	pthread_mutex_destroy(&fs->mu);
}

static size_t hash(const char *s)
{
	size_t h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static void lru_unlink(struct slots *sl, struct agent_slot *s)
{
	if (s->newer)
		s->newer->older = s->older;
	else
		sl->newest = s->older;
	if (s->older)
		s->older->newer = s->newer;
	else
		sl->oldest = s->newer;
	s->newer = s->older = NULL;
}

static void lru_push(struct slots *sl, struct agent_slot *s)
{
	s->older = sl->newest;
	s->newer = NULL;
	if (sl->newest)
		sl->newest->newer = s;
	sl->newest = s;
	if (!sl->oldest)
		sl->oldest = s;
}

/* Close the least recently used stores nobody holds until there is room.
 * Caller holds fs->mu; the closed handles are returned through *dead (to
 * be freed without the lock: freeing wipes the decrypted document). */
static void evict(struct fs *fs, struct agent_slot **dead)
{
	struct slots *sl = fs->slots;
	for (struct agent_slot *s = sl->oldest, *newer; s && sl->open > sl->max_open; s = newer) {
		newer = s->newer;
		if (s->refs)
			continue;
		struct agent_slot **pp = &sl->bucket[hash(s->agent) % N_BUCKETS];
		while (*pp != s)
			pp = &(*pp)->hnext;
		*pp = s->hnext;
		lru_unlink(sl, s);
		sl->open--;
		s->hnext = *dead;
		*dead = s;
	}
}

struct store *fs_store(struct fs *fs, const char *agent)
{
	struct slots *sl = fs->slots;
	size_t b = hash(agent) % N_BUCKETS;
	struct agent_slot *dead = NULL;
	pthread_mutex_lock(&fs->mu);
	struct agent_slot *s = sl->bucket[b];
	while (s && strcmp(s->agent, agent) != 0)
		s = s->hnext;
	if (s) {
		lru_unlink(sl, s);
	} else if ((s = calloc(1, sizeof(*s)))) {
		snprintf(s->agent, sizeof(s->agent), "%s", agent);
		if (store_open(fs->home, agent, &s->store, NULL) < 0) {
			free(s);
			s = NULL;
		} else {
			s->hnext = sl->bucket[b];
			sl->bucket[b] = s;
			sl->open++;
			store_stamp(s->store, &s->seen);
		}
	}
	if (s) {
		lru_push(sl, s);
		s->refs++;
		evict(fs, &dead);
	}
	pthread_mutex_unlock(&fs->mu);
	while (dead) {
		struct agent_slot *next = dead->hnext;
		store_free(dead->store);
		free(dead);
		dead = next;
	}
	return s ? s->store : NULL;
}

void fs_store_put(struct fs *fs, struct store *st)
{
	if (!st)
		return;
	const char *agent = store_agent(st);
	pthread_mutex_lock(&fs->mu);
	/* a held slot is never evicted, so the name finds this one */
	struct agent_slot *s = fs->slots->bucket[hash(agent) % N_BUCKETS];
	while (s && s->store != st)
		s = s->hnext;
	if (s)
		s->refs--;
	pthread_mutex_unlock(&fs->mu);
}

size_t fs_stores_open(struct fs *fs)
{
	pthread_mutex_lock(&fs->mu);
	size_t n = fs->slots->open;
	pthread_mutex_unlock(&fs->mu);
	return n;
}

size_t fs_stores_changed(struct fs *fs, char (*agents)[AGENT_MAX + 1], size_t cap)
{
	size_t n = 0;
	pthread_mutex_lock(&fs->mu);
	/* past cap, the rest keep their old stamp: the next call reports them */
	for (struct agent_slot *s = fs->slots->newest; s && n < cap; s = s->older) {
		struct file_stamp now;
		if (store_stamp(s->store, &now) < 0 || file_stamp_same(&now, &s->seen))
			continue;
		s->seen = now;
		snprintf(agents[n++], AGENT_MAX + 1, "%s", s->agent);
	}
	pthread_mutex_unlock(&fs->mu);
	return n;
}

size_t fs_stores_list(struct fs *fs, char (*agents)[AGENT_MAX + 1], size_t cap)
{
	size_t n = 0;
	pthread_mutex_lock(&fs->mu);
	for (struct agent_slot *s = fs->slots->newest; s && n < cap; s = s->older)
		snprintf(agents[n++], AGENT_MAX + 1, "%s", s->agent);
	pthread_mutex_unlock(&fs->mu);
	return n;
}

void fs_store_seen(struct fs *fs, const char *agent)
{
	pthread_mutex_lock(&fs->mu);
	struct agent_slot *s = fs->slots->bucket[hash(agent) % N_BUCKETS];
	while (s && strcmp(s->agent, agent) != 0)
		s = s->hnext;
	if (s)
		store_stamp(s->store, &s->seen);
	pthread_mutex_unlock(&fs->mu);
}

static struct counter_slot *counter_of(struct fs *fs, const char *agent, int make)
{
	struct counter_slot **head = &fs->slots->counters[hash(agent) % N_BUCKETS];
	pthread_mutex_lock(&fs->mu);
	struct counter_slot *c = *head;
	while (c && strcmp(c->agent, agent) != 0)
		c = c->next;
	if (!c && make && (c = calloc(1, sizeof(*c)))) {
		snprintf(c->agent, sizeof(c->agent), "%s", agent);
		c->next = *head;
		*head = c;
	}
	pthread_mutex_unlock(&fs->mu);
	return c;
}

void fs_count(struct fs *fs, const char *agent, enum fs_counter which)
{
	struct counter_slot *c = counter_of(fs, agent, 1);
	if (c)
		c->n[which]++;
}

unsigned long fs_counted(struct fs *fs, const char *agent, enum fs_counter which)
{
	struct counter_slot *c = counter_of(fs, agent, 0);
	return c ? c->n[which] : 0;
}

static uint64_t fnv(uint64_t h, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

static uint64_t node_key(const struct node *n)
{
	uint64_t h = 1469598103934665603ULL;
	const char *parts[] = { n->agent, n->provider, n->name, n->session, n->file ? n->file->name : "" };
	for (int i = 0; i < 5; i++)
		h = fnv(fnv(h, parts[i], strlen(parts[i])), "/", 1);
	return h | 1;
}

static int ts_after(struct timespec a, struct timespec b)
{
	return a.tv_sec != b.tv_sec ? a.tv_sec > b.tv_sec : a.tv_nsec > b.tv_nsec;
}

uint64_t source_tag(uint64_t tag, const struct file_stamp *s)
{
	const uint64_t parts[] = { (uint64_t)s->exists, (uint64_t)s->dev, (uint64_t)s->ino, (uint64_t)s->size,
				   (uint64_t)s->mtime.tv_sec, (uint64_t)s->mtime.tv_nsec,
				   (uint64_t)s->ctime.tv_sec, (uint64_t)s->ctime.tv_nsec };
	return fnv(tag ? tag : 1469598103934665603ULL, (const char *)parts, sizeof(parts));
}

static long ms_since(struct timespec t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t.tv_sec) * 1000 + (now.tv_nsec - t.tv_nsec) / 1000000;
}

void fs_content_note(struct fs *fs, const struct node *n, const char *p, size_t len, struct source source)
{
	uint64_t k = node_key(n), h = fnv(1469598103934665603ULL, p ? p : "", len);
	size_t i = k % N_MEMO;
	struct content_memo *m = fs->memo;
	struct timespec now, mono;
	clock_gettime(CLOCK_REALTIME, &now);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	pthread_mutex_lock(&fs->mu);
	if (m->key[i] != k) {
		/* first sight: it changed when its source last did */
		m->key[i] = k;
		m->changed[i] = source.when;
	} else if (m->hash[i] != h) {
		/* a newer source explains the change; else time or a probe did */
		m->changed[i] = ts_after(source.when, m->source[i].when) ? source.when : now;
	}
	m->hash[i] = h;
	m->len[i] = len;
	m->source[i] = source;
	m->rendered[i] = mono;
	pthread_mutex_unlock(&fs->mu);
}

int fs_content_get(struct fs *fs, const struct node *n, struct source source, struct content_info *ci)
{
	uint64_t k = node_key(n);
	size_t i = k % N_MEMO;
	struct content_memo *m = fs->memo;
	pthread_mutex_lock(&fs->mu);
	int known = m->key[i] == k;
	if (known) {
		ci->len = m->len[i];
		ci->current = source.tag == m->source[i].tag;
		ci->age_ms = ms_since(m->rendered[i]);
		ci->changed = ts_after(source.when, m->changed[i]) ? source.when : m->changed[i];
	}
	pthread_mutex_unlock(&fs->mu);
	if (!known) {
		ci->len = 0;
		ci->current = 0;
		ci->age_ms = 0;
		ci->changed = source.when;
	}
	return known;
}
