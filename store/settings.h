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

/* One of hooks.onChange: a string runs as /bin/sh -c <it>, an array of
 * strings as it is. argv[0] is NULL when the entry is neither (or has
 * more than HOOK_ARGS_MAX words): the caller says so and skips it. */
#define HOOK_ARGS_MAX 63
struct hook_cmd {
	char *argv[HOOK_ARGS_MAX + 1]; /* NULL-terminated */
	int shell;                     /* given as one string (argv[2]) */
};

/* The hooks the config declares, copied (the config may change while
 * they run). */
struct hook_settings {
	struct hook_cmd *cmds;         /* hooks.onChange */
	size_t n_cmds;
	char **pass_env;               /* hooks.passEnv, its strings */
	size_t n_pass;
};

/* 0 or -ENOMEM (nothing allocated then). */
int hook_settings_get(struct home *h, struct hook_settings *out);
void hook_settings_free(struct hook_settings *s);

#endif
