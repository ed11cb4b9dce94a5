/* The status of a provider's credentials (or one profile) as JSON: what
 * `cat status` and `status.json` show. Local facts only for now; a live
 * probe result is merged into each entry under "probe". */
#ifndef NV_STATUS_H
#define NV_STATUS_H

#include <cjson/cJSON.h>

#include "store/store.h"

/* Entries for provider, in effective order, then stored profiles that are
 * not usable, then the env credential. id: only that profile. */
int status_build(struct store *st, const char *provider, const char *id, cJSON **out, struct nv_err *err);

/* Usage facts of one profile (cooldown, lastUsed, failures) as JSON. */
int usage_build(struct store *st, const char *id, cJSON **out, struct nv_err *err);

/* Render an array of flat objects as "key: value" blocks separated by a
 * blank line (nested values as compact JSON). Caller frees with cJSON_free. */
char *status_text(const cJSON *entries);

#endif
