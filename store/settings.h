/* The mount's numeric settings, read from the config in one place with
 * their defaults and bounds, so fs/ never names a config key. */
#ifndef NV_SETTINGS_H
#define NV_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "store/home.h"

/* Stores a mount keeps open at once unless fs.openAgentsMax says. */
#define OPEN_AGENTS_DEFAULT 256

struct mount_settings {
	int64_t probe_ttl_ms;     /* fs.probeTtlSeconds (60) */
	long probe_timeout_ms;    /* fs.probeTimeoutMs (8000) */
	size_t open_agents_max;   /* fs.openAgentsMax (OPEN_AGENTS_DEFAULT), at least 1 */
	int64_t refresh_scan_ms;  /* auth.refreshScanSeconds (30), at least 1 s */
	long hook_timeout_ms;     /* hooks.timeoutMs (30000; 30000 when not above 0) */
	int64_t hook_debounce_ms; /* hooks.debounceMs (500), at least 0 */
};

/* The settings of the config as it is now. This can't fail. */
void mount_settings(struct home *h, struct mount_settings *out);

#endif
