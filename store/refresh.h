/* Proactive OAuth refresh (SPEC 13): a long-lived process (the mount
 * daemon) refreshes each OAuth credential before it expires, so no reader
 * ever waits on a token endpoint. A profile falls due at expires -
 * auth.refreshSkewSeconds (default 600) or at 80% of its lifetime as this
 * process has seen it (from when it first saw that expiry), whichever is
 * sooner. The token endpoint gets auth.refreshTimeoutMs (2000) per try,
 * since the agent's store lock is held meanwhile (a reader's own refresh
 * still waits its 15 s). A failed refresh is retried with backoff (30 s
 * doubling, at most 10 min); one the provider rejected waits for a new
 * credential. The
 * schedule is process-wide; refresh_pass runs from one thread (the
 * daemon's refresher), the readers of the schedule from any. */
#ifndef NV_REFRESH_H
#define NV_REFRESH_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "store/store.h"

#define REFRESH_SKEW_DEFAULT_S 600
#define REFRESH_TIMEOUT_DEFAULT_MS 2000
#define REFRESH_BACKOFF_MIN_MS (30LL * 1000)
#define REFRESH_BACKOFF_MAX_MS (10LL * 60 * 1000)

/* What happened to one profile in a pass (for the daemon's log). */
typedef void (*refresh_note_fn)(const char *agent, const char *id, int rc, const char *msg, void *arg);

/* Refresh every due OAuth profile of st. Returns the ms from now until the
 * next one falls due (INT64_MAX when none will). note may be NULL. */
int64_t refresh_pass(struct store *st, refresh_note_fn note, void *arg);

/* The schedule of one profile, as status and metrics show it. */
struct refresh_info {
	char agent[AGENT_MAX + 1];
	char id[256];
	int64_t due_at;      /* when the next refresh is planned (ms) */
	int64_t retry_at;    /* after a failure: not before (ms), else 0 */
	int failures;        /* in a row */
	int rejected;        /* the provider refused it: a new login is needed */
	char error[256];     /* the last failure's message */
};

/* Copy the schedule of agent/id; 0 when tracked, -ENOENT when not. */
int refresh_info_of(const char *agent, const char *id, struct refresh_info *out);

/* 1 when this process's last proactive refresh of agent/id, while it
 * expired at expires, failed and waits out its backoff (the provider did
 * not reject it): readers serve its access token meanwhile instead of
 * asking the endpoint again. 0 in a process that runs no schedule. */
int refresh_backing_off(const char *agent, const char *id, int64_t expires);

/* Call fn for every tracked profile (metrics). */
void refresh_each(void (*fn)(const struct refresh_info *info, void *arg), void *arg);

/* Add refresh_* fields to the status entries (objects with "profile") of
 * agent. Does nothing in a process that runs no schedule. */
void refresh_annotate(const char *agent, cJSON *entries);

/* Refreshes made ahead of time by this process, and failures. */
unsigned long refresh_done_count(void);
unsigned long refresh_failed_count(void);

#endif
