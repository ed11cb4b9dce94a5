/* Following another host's changes (SPEC 14): with the etcd backend, one
 * watch per daemon on <prefix>/agents/, resumed from its last revision
 * after a broken stream (on any member), and after a compaction a full
 * re-read of the keys before watching on from that read's revision. The
 * daemon passes each change on to its caches and the kernel's. A thread of
 * its own; nothing here blocks a caller. */
#ifndef NV_WATCH_H
#define NV_WATCH_H

#include <stdint.h>

#include "store/error.h"
#include "store/home.h"

struct store_watch;

/* agent NULL: any agent may have changed (after a compaction); exists 0:
 * the store was deleted. Runs on the watch thread. */
typedef void (*store_watch_fn)(void *arg, const char *agent, int exists, int64_t revision);

/* Start following h's backend: with etcd, watch it; with the file backend
 * (which needs no watch) wait, and when a config change moves the stores
 * to etcd (store migrate, an edit, SIGHUP), watch that; the other way
 * round stop watching. On each switch fn(arg, NULL, 1, 0): any agent may
 * read differently now. */
int store_watch_start(struct home *h, store_watch_fn fn, void *arg, struct store_watch **out, struct nv_err *err);
/* Stop and join (within about a second); NULL does nothing. */
void store_watch_stop(struct store_watch *w);

struct store_watch_stats {
	int active;               /* the backend is etcd (else all is 0) */
	int up;                   /* a watch stream is open now */
	int64_t revision;         /* the newest revision seen */
	int64_t last_event_ms;    /* when the last change arrived (0: none yet) */
	unsigned long reconnects, rereads;
};
void store_watch_stats(struct store_watch *w, struct store_watch_stats *out);

#endif
