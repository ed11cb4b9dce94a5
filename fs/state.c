/* Per-mount state: a store handle per agent (opened lazily, so mounting
 * 10,000 agents decrypts none of them) and directories made by mkdir. */
#include "fs/tree.h"
#include "fs/pending.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct agent_slot {
	struct agent_slot *next;
	struct store *store;
	char agent[AGENT_MAX + 1];
};

#define N_SLOTS 4096

int fs_init(struct fs *fs, struct home *h, const struct fs_options *opt)
{
	memset(fs, 0, sizeof(*fs));
	fs->home = h;
	fs->opt = *opt;
	fs->started = time(NULL);
	pthread_mutex_init(&fs->mu, NULL);
	fs->n_slots = N_SLOTS;
	fs->slots = calloc(N_SLOTS, sizeof(*fs->slots));
	return fs->slots ? 0 : -1;
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

struct store *fs_store(struct fs *fs, const char *agent)
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
	return s ? s->store : NULL;
}
