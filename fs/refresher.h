/* The daemon's refresher thread: proactive OAuth refresh (store/refresh)
 * over the mount's --agent list (else the default agent) and every agent
 * whose store the mount holds open, waking when the next credential falls due, at
 * least every auth.refreshScanSeconds (30), or when kicked by a change. */
#ifndef NV_FS_REFRESHER_H
#define NV_FS_REFRESHER_H

#include "fs/tree.h"

int fs_refresher_start(struct fs *fs);
void fs_refresher_stop(void);
/* Look again now (a credential changed). */
void fs_refresher_kick(void);

#endif
