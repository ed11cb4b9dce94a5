/* Directories made with mkdir that hold nothing stored yet: a provider
 * directory, or a profile directory before its token is written. They
 * live as long as the mount. A hash set: lookups and mkdir cost the same
 * with 20,000 of them as with one. Callers hold no lock; these take
 * fs->mu. */
#ifndef NV_FS_PENDING_H
#define NV_FS_PENDING_H

#include "fs/tree.h"

struct pending *pending_new(void);
void pending_free(struct pending *p);   /* NULL does nothing */

/* 0, -EEXIST when present, -ENOMEM. */
int pending_add(struct fs *fs, const char *agent, const char *provider, const char *name);
int pending_has(struct fs *fs, const char *agent, const char *provider, const char *name);
/* 0 or -ENOENT. */
int pending_del(struct fs *fs, const char *agent, const char *provider, const char *name);
/* Call fn for each pending child of agent (provider NULL: the provider
 * directories) or of agent/provider (its profile names), without the
 * lock held. 0 or -ENOMEM. */
int pending_each(struct fs *fs, const char *agent, const char *provider, entry_fn fn, void *arg);

#endif
