/* Expiry states of a credential (SPEC 7). */
#ifndef NV_HEALTH_H
#define NV_HEALTH_H

#include <cjson/cJSON.h>
#include <stdint.h>

#define EXPIRING_WINDOW_MS (24LL * 3600 * 1000)

enum health_state { HEALTH_STATIC, HEALTH_OK, HEALTH_EXPIRING, HEALTH_EXPIRED, HEALTH_MISSING };

struct health {
	enum health_state state;
	int refreshable;   /* oauth with refresh token, expiring/expired, last refresh fine */
	int64_t left_ms;   /* expires - now, when there is an expiry */
};

/* usage is the profile's usageStats entry (may be NULL): a failed last
 * refresh (disabledReason "auth") cancels refreshable. */
struct health health_of(const cJSON *cred, const cJSON *usage, int64_t now_ms);

const char *health_name(enum health_state s);

/* The display text: "ok (refreshable)" or the plain name. */
const char *health_label(const struct health *h);

/* A problem for `models status --check`: 1 expired/missing, 2 expiring, 0 none. */
int health_severity(const struct health *h);

#endif
