/* A short list: people make a handful of directories by hand. */
#include "fs/pending.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pending {
	struct pending *next;
	char agent[AGENT_MAX + 1];
	char provider[PROVIDER_MAX + 1];
	char name[PROFILE_NAME_MAX + 1];   /* "" for a provider directory */
};

static int same(const struct pending *p, const char *a, const char *pr, const char *n)
{
	return strcmp(p->agent, a) == 0 && strcmp(p->provider, pr) == 0 && strcmp(p->name, n ? n : "") == 0;
}

int pending_has(struct fs *fs, const char *agent, const char *provider, const char *name)
{
	pthread_mutex_lock(&fs->mu);
	struct pending *p = fs->pending;
	while (p && !same(p, agent, provider, name))
		p = p->next;
	pthread_mutex_unlock(&fs->mu);
	return p != NULL;
}

int pending_add(struct fs *fs, const char *agent, const char *provider, const char *name)
{
	if (pending_has(fs, agent, provider, name))
		return -EEXIST;
	struct pending *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	snprintf(p->agent, sizeof(p->agent), "%s", agent);
	snprintf(p->provider, sizeof(p->provider), "%s", provider);
	snprintf(p->name, sizeof(p->name), "%s", name ? name : "");
	pthread_mutex_lock(&fs->mu);
	p->next = fs->pending;
	fs->pending = p;
	pthread_mutex_unlock(&fs->mu);
	return 0;
}

int pending_del(struct fs *fs, const char *agent, const char *provider, const char *name)
{
	pthread_mutex_lock(&fs->mu);
	struct pending **pp = &fs->pending;
	while (*pp && !same(*pp, agent, provider, name))
		pp = &(*pp)->next;
	struct pending *p = *pp;
	if (p)
		*pp = p->next;
	pthread_mutex_unlock(&fs->mu);
	free(p);
	return p ? 0 : -ENOENT;
}

void pending_each(struct fs *fs, const char *agent, const char *provider, entry_fn fn, void *arg)
{
	/* copy names out first: fn may call back into the tree */
	char names[64][PROFILE_NAME_MAX + 1];
	int n = 0;
	pthread_mutex_lock(&fs->mu);
	for (struct pending *p = fs->pending; p && n < 64; p = p->next) {
		if (strcmp(p->agent, agent) != 0)
			continue;
		if (!provider && !p->name[0])
			snprintf(names[n++], sizeof(names[0]), "%s", p->provider);
		else if (provider && p->name[0] && strcmp(p->provider, provider) == 0)
			snprintf(names[n++], sizeof(names[0]), "%s", p->name);
	}
	pthread_mutex_unlock(&fs->mu);
	for (int i = 0; i < n; i++)
		fn(arg, names[i], 1);
}

void pending_free_all(struct fs *fs)
{
	while (fs->pending) {
		struct pending *p = fs->pending;
		fs->pending = p->next;
		free(p);
	}
}
