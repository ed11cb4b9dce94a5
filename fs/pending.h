/* Directories made with mkdir that hold nothing stored yet: a provider
 * directory, or a profile directory before its token is written. They
 * live as long as the mount. Callers hold no lock; these take fs->mu. */
#ifndef NV_FS_PENDING_H
#define NV_FS_PENDING_H

#include "fs/tree.h"

int pending_add(struct fs *fs, const char *agent, const char *provider, const char *name);
int pending_has(struct fs *fs, const char *agent, const char *provider, const char *name);
int pending_del(struct fs *fs, const char *agent, const char *provider, const char *name);
/* Call fn for each pending child of agent (name NULL: providers) or of
 * agent/provider (its profile names). */
void pending_each(struct fs *fs, const char *agent, const char *provider, entry_fn fn, void *arg);
void pending_free_all(struct fs *fs);

#endif
