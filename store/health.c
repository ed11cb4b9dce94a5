/* The SPEC 7 table. */
#include "store/health.h"
#include "store/profile.h"

#include <string.h>

static int refresh_failed(const cJSON *usage)
{
	const char *r = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(usage, "disabledReason"));
	return r && strcmp(r, "auth") == 0;
}

struct health health_of(const cJSON *cred, const cJSON *usage, int64_t now)
{
	struct health h = { HEALTH_STATIC, 0, 0 };
	enum cred_type t = cred_type_of(cred);
	if (t == CRED_API_KEY)
		return h;
	int64_t exp = cred_expires(cred);
	if (exp == 0) {
		h.state = t == CRED_OAUTH ? HEALTH_MISSING : HEALTH_STATIC;
		return h;
	}
	h.left_ms = exp - now;
	if (h.left_ms <= 0)
		h.state = HEALTH_EXPIRED;
	else if (h.left_ms <= EXPIRING_WINDOW_MS)
		h.state = HEALTH_EXPIRING;
	else
		h.state = HEALTH_OK;
	const char *refresh = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cred, "refresh"));
	if (t == CRED_OAUTH && refresh && *refresh && h.state != HEALTH_OK && !refresh_failed(usage))
		h.refreshable = 1;
	return h;
}

const char *health_name(enum health_state s)
{
	static const char *const names[] = { "static", "ok", "expiring", "expired", "missing" };
	return names[s];
}

const char *health_label(const struct health *h)
{
	return h->refreshable ? "ok (refreshable)" : health_name(h->state);
}

int health_severity(const struct health *h)
{
	if (h->refreshable)
		return 0;
	if (h->state == HEALTH_EXPIRED || h->state == HEALTH_MISSING)
		return 1;
	return h->state == HEALTH_EXPIRING ? 2 : 0;
}
