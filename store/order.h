/* Which credential is used (SPEC 6) and the cooldown math. Works on a
 * store document and a config; no I/O. */
#ifndef NV_ORDER_H
#define NV_ORDER_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "store/error.h"

struct id_list {
	const char **ids;  /* borrowed from the document / config */
	size_t n, cap;
	int explicit_order;/* the base list came from an order override */
};

void id_list_free(struct id_list *l);

/* The ids as a JSON array of strings (empty when there are none: an empty
 * order is an answer, not an error). NULL only when out of memory. */
cJSON *id_list_json(const struct id_list *l);

/* The effective order for provider: base list, filtered, sorted; pin (may
 * be NULL) first when usable. Ids point into doc/config: keep them alive. */
int order_resolve(const cJSON *doc, const cJSON *config, const char *provider,
		  const char *pin, int64_t now, struct id_list *out);

/* Count stored profiles of provider, and how many of them are expired
 * tokens (to tell ENOKEY from EKEYEXPIRED). */
void order_count(const cJSON *doc, const char *provider, int64_t now, int *stored, int *expired);

/* When a profile becomes available again (max of cooldownUntil and
 * disabledUntil), or 0 when it is available at now. */
int64_t usage_unavailable_until(const cJSON *usage, int64_t now);

/* Failure reasons for reports. */
enum failure_reason { FAIL_RATE_LIMIT, FAIL_TIMEOUT, FAIL_AUTH, FAIL_BILLING, FAIL_FORMAT, FAIL_UNKNOWN, FAIL_NONE = -1 };
enum failure_reason failure_parse(const char *s);
const char *failure_name(enum failure_reason r);

/* Cooldown after the n-th failure in the window: min(1h, 60s * 5^min(n-1,3)). */
int64_t cooldown_ms(int n);
/* Billing disable: min(max_h, backoff_h * 2^min(n-1,10)) hours, in ms. */
int64_t billing_ms(int n, double backoff_h, double max_h);

/* Apply a usage report to doc.usageStats[id] (and lastGood on success). */
int usage_report_good(cJSON *doc, const char *id, const char *provider, int64_t now);
int usage_report_failure(cJSON *doc, const cJSON *config, const char *id,
			 enum failure_reason reason, int64_t now);

/* Order overrides in the store document. ids: n canonical ids. */
int order_set(cJSON *doc, const char *provider, const char *const *ids, size_t n);
int order_clear(cJSON *doc, const char *provider);  /* 1 when there was none */

/* Remove a profile and every reference to it from doc. 1 if absent. */
int profile_remove(cJSON *doc, const char *id);

#endif
