/* Change notices: the mount tells the kernel, and whoever listens, when
 * what it shows has changed, whoever made the change (a write through
 * the mount, the CLI or another process writing a store, an edit of the
 * config).
 *
 * fs_notify_change queues a notice and returns at once; it is safe in a
 * request handler. One thread of its own (never a request handler, which
 * could deadlock against the kernel) takes the notices and, for every
 * file and directory under the agent that the kernel knows, drops the
 * kernel's cached attributes (fuse_invalidate_path) and has it touched
 * through the mount (utimensat, by a child process: see notify.c), which
 * is what makes inotify watchers on the mount see IN_ATTRIB: the kernel
 * emits no inotify event for a FUSE invalidation. The same thread watches for changes made elsewhere: every
 * FS_WATCH_MS it compares the config file and the open agents' store
 * files with what it saw last (by file identity, as stores revalidate),
 * reloads a changed config, and queues notices for them.
 *
 * CONSUMERS ATTACH HERE: hooks (config hooks.onChange), audit and the
 * like register a listener with fs_notify_listen. It runs on the notify
 * thread after the kernel was told, one notice at a time, with the agent
 * (NULL: every agent, e.g. the config changed) and the profile id when
 * one profile changed (NULL: anything of the agent may have). A listener
 * that blocks delays later notices; it may read the mount's files. */
#ifndef NV_FS_NOTIFY_H
#define NV_FS_NOTIFY_H

#include "fs/tree.h"

#define FS_WATCH_MS 250

typedef void (*fs_change_fn)(void *arg, const char *agent, const char *profile_id);

/* Queue a notice: agent NULL means every agent; profile_id NULL means
 * anything of the agent. Never blocks on I/O; drops nothing (an overflow
 * of the queue turns into "every agent"). */
void fs_notify_change(struct fs *fs, const char *agent, const char *profile_id);

/* Add a listener (up to 8); 0 or -ENOSPC. */
int fs_notify_listen(struct fs *fs, fs_change_fn fn, void *arg);

/* Allocate the notifier (before the FUSE session starts): 0 or -ENOMEM. */
int fs_notify_init(struct fs *fs);
/* Start the thread once the daemon runs (after fuse_daemonize's fork);
 * root is the absolute mountpoint, used to touch files. */
int fs_notify_start(struct fs *fs, const char *root);
/* Stop and join it, and end the toucher. Call after fuse_unmount, so a
 * touch in progress ends (the kernel fails it) instead of waiting. */
void fs_notify_stop(struct fs *fs);
void fs_notify_free(struct fs *fs);

#endif
