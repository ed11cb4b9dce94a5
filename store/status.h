/* The status of a provider's credentials (or one profile) as JSON: what
 * `cat status` and `status.json` show. Local facts only for now; a live
 * probe result is merged into each entry under "probe". */
#ifndef NV_STATUS_H
#define NV_STATUS_H

#include <cjson/cJSON.h>

#include "store/textbuf.h"

#include "store/probe_cache.h"
#include "store/store.h"

/* Live checks to add to the entries. cache NULL: probe afresh. */
struct status_probe {
	struct probe_cache *cache;
	struct probe_policy policy;
	int concurrency;
};

struct status_request {
	const char *provider;            /* NULL: every provider with a credential */
	const char *const *providers;    /* with provider NULL: only these (NULL: all) */
	size_t n_providers;
	const char *const *ids;          /* only these profiles (NULL: all) */
	size_t n_ids;
	const struct status_probe *probe;/* NULL: local facts only, no network */
};

/* Entries per provider: in effective order, then stored profiles that are
 * not usable, then the env credential. With req->probe, each entry gets
 * "probe" (the SPEC 8 bucket) and its details ("probe_http", "retry_after",
 * "probe_message", "probe_advice", "probe_age_s", ...). -EINTR when the
 * probe was stopped. */
int status_build(struct store *st, const struct status_request *req, cJSON **out, struct nv_err *err);

/* Usage facts of one profile (cooldown, lastUsed, failures) as JSON. */
int usage_build(struct store *st, const char *id, cJSON **out, struct nv_err *err);

/* Append an array of flat objects (or one) to o as "key: value" blocks
 * separated by a blank line, nested values as compact JSON, control
 * bytes made visible (store/vis.h); 0 or -ENOMEM. */
int status_text(const cJSON *entries, struct out *o);

#endif
