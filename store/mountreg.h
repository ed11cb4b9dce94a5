/* The mounts this state dir's daemons made: <state>/mounts/<hash of the
 * mountpoint>, holding the mountpoint. doctor judges these (and
 * fs.mountpoint) only: a dead or hung mount of another state dir or user
 * elsewhere on the host is not ours to report, wait on, or clear. */
#ifndef NV_MOUNTREG_H
#define NV_MOUNTREG_H

#include "store/home.h"

/* Record mountpoint (an absolute path) as ours; 0 or -errno. */
int mountreg_add(struct home *h, const char *mountpoint, struct nv_err *err);
/* Forget it (a clean unmount, or doctor --fix cleared it). */
void mountreg_remove(struct home *h, const char *mountpoint);
/* 1 when one of ours, else 0. */
int mountreg_has(struct home *h, const char *mountpoint);

#endif
