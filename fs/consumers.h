/* The files other programs read (SPEC 13): agents/<id>/env, the
 * provider-native files under agents/<id>/native/, and .nova-engine/audit;
 * and the audit record of every read of a secret through the mount. */
#ifndef NV_FS_CONSUMERS_H
#define NV_FS_CONSUMERS_H

#include "fs/tree.h"

/* native/<app>/ directories, in listing order. */
extern const char *const native_apps[];
extern const size_t n_native_apps;

int render_env(struct fs *fs, const struct node *n, struct out *o);
int render_audit(struct fs *fs, const struct node *n, struct out *o);
/* The audit file's source (file_def.source): the trail's stamp now. */
int audit_source(struct fs *fs, struct file_stamp *out);
extern const struct file_def native_files[];
extern const size_t n_native_files;

/* What the render of this thread served (profile ids or env variables,
 * a comma list), for the audit line that follows it. */
void fs_served_set(const char *what);

/* Record a read of n's secret by the process of the current FUSE request. */
void fs_audit_read(struct fs *fs, const struct node *n, const char *path);

#endif
