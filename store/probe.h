/* Live checks of credentials against their provider (SPEC 8): the cheapest
 * authenticated request per provider, run in parallel with curl multi,
 * sorted into result buckets. No caching here (see probe_cache.h). */
#ifndef NV_PROBE_H
#define NV_PROBE_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "store/profile.h"
#include "store/provider.h"

struct probe_job {
	char id[PROFILE_ID_MAX + 1];   /* profile id, or "env:VAR" */
	char provider[PROVIDER_MAX + 1];
	enum cred_type type;
	char secret[SECRET_MAX + 1];   /* wiped by probe_job_wipe */
	char url[1024];                /* set by probe_prepare */
	cJSON *result;                 /* out: see probe_run */
};

/* Fill job->url from the provider table or config models.providers.<p>.baseUrl. */
void probe_prepare(const cJSON *config, struct probe_job *job);

/* Without a chosen concurrency, every check runs at once up to this many:
 * a check is mostly waiting on the provider, so n checks take the time of
 * one; the bound keeps sockets and file descriptors in reason. */
#define PROBE_CONCURRENCY_AUTO_MAX 64

/* Run the jobs, at most concurrency at a time (0: min(n, 64)), each
 * bounded by timeout_ms.
 * stop(arg), polled every 50 ms, ends unfinished jobs as "interrupted".
 * Each job gets result = {"result": bucket, "http", "latency_ms",
 * "checked_at", "message", "advice", "retry_after", "ratelimit", ...}.
 * Returns 0, or -EINTR when stopped. */
int probe_run(struct probe_job *jobs, size_t n, int concurrency, long timeout_ms,
	      int (*stop)(void *), void *stop_arg);

/* Sort one answer into a bucket and add what a person needs to act.
 * curl_code 0 means an HTTP answer with status http arrived. */
void probe_classify(cJSON *result, const char *provider, int curl_code, long http,
		    const char *body, size_t len, const char *secret);

void probe_job_wipe(struct probe_job *job);

/* A probe result as the faces show it. */
struct probe_outcome {
	char result[32];    /* the SPEC 8 bucket; "" when there is no result */
	char advice[256];   /* what to do; "" when nothing */
	double latency_ms;
	int refused;        /* the provider refused the credential (auth, forbidden, restricted) */
};
void probe_outcome_of(const cJSON *result, struct probe_outcome *out);

/* Check one secret live before it is stored (onboard): no cache, at most
 * timeout_ms; the provider's address from h's config. */
struct home;
void probe_key(struct home *h, const char *provider, const char *secret, enum cred_type type, long timeout_ms,
	       struct probe_outcome *out);

#endif
