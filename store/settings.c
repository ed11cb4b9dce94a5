/* The mount's numeric settings. */
#include "store/settings.h"
#include "store/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

static int copy_cmd(const cJSON *c, struct hook_cmd *out)
{
	static const char *const sh[] = { "/bin/sh", "-c" };
	int argc = 0;
	memset(out, 0, sizeof(*out));
	if (cJSON_IsString(c)) {
		out->shell = 1;
		out->argv[0] = strdup(sh[0]), out->argv[1] = strdup(sh[1]), out->argv[2] = strdup(c->valuestring);
		return out->argv[0] && out->argv[1] && out->argv[2] ? 0 : -ENOMEM;
	}
	const cJSON *a;
	cJSON_ArrayForEach(a, c)
		if (!cJSON_IsString(a) || argc == HOOK_ARGS_MAX)
			return 0; /* argv[0] stays NULL as the caller checks it */
	cJSON_ArrayForEach(a, c)
		if (!(out->argv[argc++] = strdup(a->valuestring)))
			return -ENOMEM;
	return 0;
}

static int copy_hooks(const cJSON *json, struct hook_settings *out)
{
	const cJSON *cmds = config_array(json, "hooks.onChange"), *pass = config_array(json, "hooks.passEnv"), *e;
	size_t nc = (size_t)cJSON_GetArraySize(cmds), np = (size_t)cJSON_GetArraySize(pass);
	out->cmds = nc ? calloc(nc, sizeof(*out->cmds)) : NULL;
	out->pass_env = np ? calloc(np, sizeof(*out->pass_env)) : NULL;
	if ((nc && !out->cmds) || (np && !out->pass_env))
		return -ENOMEM;
	cJSON_ArrayForEach(e, cmds)
		if (copy_cmd(e, &out->cmds[out->n_cmds++]) < 0)
			return -ENOMEM;
	cJSON_ArrayForEach(e, pass)
		if (cJSON_IsString(e) && !(out->pass_env[out->n_pass++] = strdup(e->valuestring)))
			return -ENOMEM;
	return 0;
}

int hook_settings_get(struct home *h, struct hook_settings *out)
{
	struct config_snap *c = home_config_get(h);
	memset(out, 0, sizeof(*out));
	int rc = copy_hooks(c->json, out);
	config_snap_put(c);
	if (rc < 0)
		hook_settings_free(out);
	return rc;
}

void hook_settings_free(struct hook_settings *s)
{
	for (size_t i = 0; i < s->n_cmds; i++)
		for (int k = 0; k <= HOOK_ARGS_MAX; k++)
			free(s->cmds[i].argv[k]);
	for (size_t i = 0; i < s->n_pass; i++)
		free(s->pass_env[i]);
	free(s->cmds);
	free(s->pass_env);
	memset(s, 0, sizeof(*s));
}
