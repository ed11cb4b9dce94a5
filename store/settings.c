/* The mount's numeric settings. */
#include "store/settings.h"
#include "store/config.h"

void mount_settings(struct home *h, struct mount_settings *out)
{
	struct config_snap *c = home_config_get(h);
	const cJSON *j = c->json;
	int64_t open = config_int(j, "fs.openAgentsMax", OPEN_AGENTS_DEFAULT);
	int64_t scan = config_int(j, "auth.refreshScanSeconds", 30);
	int64_t hook = config_int(j, "hooks.timeoutMs", 30000);
	int64_t debounce = config_int(j, "hooks.debounceMs", 500);
	out->probe_ttl_ms = config_int(j, "fs.probeTtlSeconds", 60) * 1000;
	out->probe_timeout_ms = (long)config_int(j, "fs.probeTimeoutMs", 8000);
	out->open_agents_max = open >= 1 ? (size_t)open : 1;
	out->refresh_scan_ms = (scan < 1 ? 1 : scan) * 1000;
	out->hook_timeout_ms = hook > 0 ? (long)hook : 30000;
	out->hook_debounce_ms = debounce < 0 ? 0 : debounce;
	config_snap_put(c);
}
