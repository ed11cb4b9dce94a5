/* Per-mount state: a store handle per agent (opened lazily, so mounting
 * 10,000 agents decrypts none of them) and directories made by mkdir. */
#include "fs/tree.h"
#include "fs/pending.h"

#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct agent_slot {
	struct agent_slot *next;
	struct store *store;
	char agent[AGENT_MAX + 1];
	_Atomic unsigned long counters[FS_COUNTERS];
};

#define N_SLOTS 4096
#define N_SIZES 1024

/* A hint table, not a map: a collision only costs a stale size, and
 * direct_io reads never depend on st_size. */
struct size_memo {
	uint64_t key[N_SIZES];
	size_t len[N_SIZES];
};

int fs_init(struct fs *fs, struct home *h, const struct fs_options *opt)
{
	memset(fs, 0, sizeof(*fs));
	fs->home = h;
	fs->opt = *opt;
	fs->started = time(NULL);
	pthread_mutex_init(&fs->mu, NULL);
	fs->n_slots = N_SLOTS;
	fs->slots = calloc(N_SLOTS, sizeof(*fs->slots));
	fs->probes = probe_cache_new();
	fs->sizes = calloc(1, sizeof(*fs->sizes));
	return fs->slots && fs->probes && fs->sizes ? 0 : -1;
}

void fs_release(struct fs *fs)
{
	for (size_t i = 0; fs->slots && i < fs->n_slots; i++) {
		struct agent_slot *s = fs->slots[i];
		while (s) {
			struct agent_slot *next = s->next;
			store_free(s->store);
			free(s);
			s = next;
		}
	}
	free(fs->slots);
	free(fs->sizes);
	probe_cache_free(fs->probes);
	pending_free_all(fs);
	pthread_mutex_destroy(&fs->mu);
}

static size_t hash(const char *s)
{
	size_t h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static struct agent_slot *slot_of(struct fs *fs, const char *agent);

struct store *fs_store(struct fs *fs, const char *agent)
{
	struct agent_slot *s = slot_of(fs, agent);
	return s ? s->store : NULL;
}

void fs_count(struct fs *fs, const char *agent, enum fs_counter which)
{
	struct agent_slot *s = slot_of(fs, agent);
	if (s)
		s->counters[which]++;
}

unsigned long fs_counted(struct fs *fs, const char *agent, enum fs_counter which)
{
	struct agent_slot *s = slot_of(fs, agent);
	return s ? s->counters[which] : 0;
}

static struct agent_slot *slot_of(struct fs *fs, const char *agent)
{
	size_t b = hash(agent) % fs->n_slots;
	pthread_mutex_lock(&fs->mu);
	struct agent_slot *s = fs->slots[b];
	while (s && strcmp(s->agent, agent) != 0)
		s = s->next;
	if (!s && (s = calloc(1, sizeof(*s)))) {
		snprintf(s->agent, sizeof(s->agent), "%s", agent);
		if (store_open(fs->home, agent, &s->store, NULL) < 0) {
			free(s);
			s = NULL;
		} else {
			s->next = fs->slots[b];
			fs->slots[b] = s;
		}
	}
	pthread_mutex_unlock(&fs->mu);
	return s;
}

static uint64_t node_key(const struct node *n)
{
	uint64_t h = 1469598103934665603ULL;
	const char *parts[] = { n->agent, n->provider, n->name, n->file ? n->file->name : "" };
	for (int i = 0; i < 4; i++) {
		for (const char *c = parts[i]; *c; c++)
			h = (h ^ (unsigned char)*c) * 1099511628211ULL;
		h = (h ^ '/') * 1099511628211ULL;
	}
	return h | 1;
}

size_t fs_size_get(struct fs *fs, const struct node *n)
{
	uint64_t k = node_key(n);
	pthread_mutex_lock(&fs->mu);
	size_t len = fs->sizes->key[k % N_SIZES] == k ? fs->sizes->len[k % N_SIZES] : 0;
	pthread_mutex_unlock(&fs->mu);
	return len;
}

void fs_size_put(struct fs *fs, const struct node *n, size_t len)
{
	uint64_t k = node_key(n);
	pthread_mutex_lock(&fs->mu);
	fs->sizes->key[k % N_SIZES] = k;
	fs->sizes->len[k % N_SIZES] = len;
	pthread_mutex_unlock(&fs->mu);
}
