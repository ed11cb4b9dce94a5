/* libfuse3, loaded when a mount starts. Every other command (and
 * `--version`) used to pay for mapping and relocating libfuse3 at process
 * start without calling it. fs/fuse_dl.c defines the fuse_* functions fs/
 * calls, with libfuse's own prototypes and the symbol versions the link
 * used to bind, and resolves them with dlopen("libfuse3.so.3") on first
 * use; the call sites keep using <fuse.h> unchanged. A fuse function the
 * shim does not define fails the link: add it there. */
#ifndef NV_FUSE_DL_H
#define NV_FUSE_DL_H

#include "store/error.h"

/* Load libfuse3, once per process, thread-safely; the mount calls it
 * before anything else of FUSE. 0, or -ELIBACC with a message saying what
 * to install; the fuse_* functions then fail the way libfuse reports
 * failure (NULL, -1) instead of crashing. */
int fs_fuse_load(struct nv_err *err);

#endif
