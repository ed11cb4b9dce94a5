/* The metrics file's renderer. */
#ifndef NV_FS_METRICS_H
#define NV_FS_METRICS_H

#include "fs/tree.h"

int render_metrics(struct fs *fs, const struct node *n, struct out *o);

#endif
