/* The pending set: chained hash buckets that double as it grows. */
#include "fs/pending.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	struct entry *next;
	char agent[AGENT_MAX + 1];
	char provider[PROVIDER_MAX + 1];
	char name[PROFILE_NAME_MAX + 1];   /* "" for a provider directory */
};

struct pending {
	struct entry **bucket;
	size_t n_buckets, count;
};

struct pending *pending_new(void)
{
	struct pending *p = calloc(1, sizeof(*p));
	if (p && !(p->bucket = calloc(p->n_buckets = 64, sizeof(*p->bucket)))) {
		free(p);
		p = NULL;
	}
	return p;
}

void pending_free(struct pending *p)
{
	for (size_t i = 0; p && i < p->n_buckets; i++)
		for (struct entry *e = p->bucket[i], *next; e; e = next) {
			next = e->next;
			free(e);
		}
	if (p)
		free(p->bucket);
	free(p);
}

static size_t key_hash(const char *a, const char *pr, const char *n)
{
	size_t h = 5381;
	const char *parts[] = { a, pr, n };
	for (int i = 0; i < 3; i++) {
		for (const char *c = parts[i]; *c; c++)
			h = h * 33 + (unsigned char)*c;
		h = h * 33 + '/';
	}
	return h;
}

/* The link that points at the entry (or at the NULL ending its chain). */
static struct entry **slot(struct pending *p, const char *a, const char *pr, const char *n)
{
	struct entry **pp = &p->bucket[key_hash(a, pr, n) % p->n_buckets];
	while (*pp && !(strcmp((*pp)->agent, a) == 0 && strcmp((*pp)->provider, pr) == 0 && strcmp((*pp)->name, n) == 0))
		pp = &(*pp)->next;
	return pp;
}

/* Double the buckets when chains grow past two on average. */
static void grow(struct pending *p)
{
	if (p->count < 2 * p->n_buckets)
		return;
	size_t nb = p->n_buckets * 2;
	struct entry **b = calloc(nb, sizeof(*b));
	if (!b)
		return; /* longer chains, still correct */
	for (size_t i = 0; i < p->n_buckets; i++)
		for (struct entry *e = p->bucket[i], *next; e; e = next) {
			next = e->next;
			size_t k = key_hash(e->agent, e->provider, e->name) % nb;
			e->next = b[k];
			b[k] = e;
		}
	free(p->bucket);
	p->bucket = b;
	p->n_buckets = nb;
}

int pending_has(struct fs *fs, const char *agent, const char *provider, const char *name)
{
	pthread_mutex_lock(&fs->mu);
	int found = *slot(fs->pending, agent, provider, name ? name : "") != NULL;
	pthread_mutex_unlock(&fs->mu);
	return found;
}

int pending_add(struct fs *fs, const char *agent, const char *provider, const char *name)
{
	struct entry *e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	snprintf(e->agent, sizeof(e->agent), "%s", agent);
	snprintf(e->provider, sizeof(e->provider), "%s", provider);
	snprintf(e->name, sizeof(e->name), "%s", name ? name : "");
	pthread_mutex_lock(&fs->mu);
	struct entry **pp = slot(fs->pending, e->agent, e->provider, e->name);
	int rc = *pp ? -EEXIST : 0;
	if (rc == 0) {
		*pp = e;
		fs->pending->count++;
		grow(fs->pending);
	}
	pthread_mutex_unlock(&fs->mu);
	if (rc < 0)
		free(e);
	return rc;
}

int pending_del(struct fs *fs, const char *agent, const char *provider, const char *name)
{
	pthread_mutex_lock(&fs->mu);
	struct entry **pp = slot(fs->pending, agent, provider, name ? name : "");
	struct entry *e = *pp;
	if (e) {
		*pp = e->next;
		fs->pending->count--;
	}
	pthread_mutex_unlock(&fs->mu);
	free(e);
	return e ? 0 : -ENOENT;
}

static int is_child(const struct entry *e, const char *agent, const char *provider)
{
	if (strcmp(e->agent, agent) != 0)
		return 0;
	return provider ? e->name[0] && strcmp(e->provider, provider) == 0 : !e->name[0];
}

int pending_each(struct fs *fs, const char *agent, const char *provider, entry_fn fn, void *arg)
{
	/* copy the names out first: fn may call back into the tree */
	char (*names)[PROFILE_NAME_MAX + 1] = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	pthread_mutex_lock(&fs->mu);
	struct pending *p = fs->pending;
	for (size_t i = 0; rc == 0 && i < p->n_buckets; i++)
		for (struct entry *e = p->bucket[i]; rc == 0 && e; e = e->next) {
			if (!is_child(e, agent, provider))
				continue;
			if (n == cap) {
				void *g = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof(*names));
				if (!g) {
					rc = -ENOMEM;
					break;
				}
				names = g;
			}
			snprintf(names[n++], sizeof(names[0]), "%s", provider ? e->name : e->provider);
		}
	pthread_mutex_unlock(&fs->mu);
	for (size_t i = 0; rc == 0 && i < n; i++)
		fn(arg, names[i], 1);
	free(names);
	return rc;
}
