/* Probe results kept for a while, with at most one probe in flight per
 * profile: 100 readers of a cold status cause one upstream request. */
#ifndef NV_PROBE_CACHE_H
#define NV_PROBE_CACHE_H

#include <stdint.h>

#include "store/probe.h"

struct probe_cache;

struct probe_cache *probe_cache_new(void);
void probe_cache_free(struct probe_cache *c);   /* NULL does nothing */

struct probe_policy {
	int64_t ttl_ms;        /* a result younger than this is reused */
	long timeout_ms;       /* one probe's deadline */
	int (*stop)(void *);   /* polled while waiting; true ends the wait */
	void *stop_arg;
	int no_wait;           /* cache only: start no probe, wait for none */
};

/* Give every job a result: a fresh cached one, the one another thread is
 * fetching now, or a new probe (all new ones run in parallel). When the
 * provider does not answer in time and an older answer exists, that answer
 * comes back with "stale": true and its "age_s". scope separates agents.
 * With policy->no_wait nothing is started or waited for: a profile with
 * no answer yet gets {"result": "pending"}. Returns 0 or -EINTR when
 * stop() said so. */
int probe_cache_get(struct probe_cache *c, const char *scope, struct probe_job *jobs, size_t n,
		    const struct probe_policy *policy);

/* The last result for scope/id, without probing: 1 and out, or 0 when
 * there is none. */
int probe_cache_last(struct probe_cache *c, const char *scope, const char *id, struct probe_outcome *out);

#endif
