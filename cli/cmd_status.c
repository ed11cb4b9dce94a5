/* nova-engine models status: text, --json or --plain from one view. */
#include "cli/cli.h"
#include "cli/commands.h"
#include "store/config.h"
#include "store/overview.h"
#include "store/status.h"
#include "store/vis.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *str(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static const cJSON *get(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static void print_models(const cJSON *v)
{
	const cJSON *e;
	printf("Config        : %s\n", str(v, "configPath"));
	printf("Agent         : %s\n", str(v, "agent"));
	printf("Agent dir     : %s\n", str(v, "agentDir"));
	printf("Default model : %s\n", str(v, "defaultModel") ? str(v, "defaultModel") : "(not set)");
	printf("Fallbacks (%d) :", cJSON_GetArraySize(get(v, "fallbacks")));
	cJSON_ArrayForEach(e, get(v, "fallbacks"))
		printf(" %s%s", e->valuestring, e->next ? "," : "");
	printf("%s\nAliases (%d)   :", cJSON_GetArraySize(get(v, "fallbacks")) ? "" : " -", cJSON_GetArraySize(get(v, "aliases")));
	cJSON_ArrayForEach(e, get(v, "aliases"))
		printf(" %s -> %s%s", e->string, cJSON_IsString(e) ? e->valuestring : "?", e->next ? "," : "");
	printf("%s\n", cJSON_GetArraySize(get(v, "aliases")) ? "" : " -");
}

static void print_provider(const cJSON *p)
{
	int counts[3] = { 0 };
	const cJSON *e;
	cJSON_ArrayForEach(e, get(p, "profiles")) {
		const char *t = str(e, "type");
		counts[strcmp(t, "oauth") == 0 ? 0 : strcmp(t, "token") == 0 ? 1 : 2]++;
	}
	printf("- %-12s effective=%s | profiles=%d (oauth=%d, token=%d, api_key=%d)", str(p, "provider"),
	       str(p, "effective"), counts[0] + counts[1] + counts[2], counts[0], counts[1], counts[2]);
	cJSON_ArrayForEach(e, get(p, "profiles"))
		printf(" | %s=%s", str(e, "id"), str(e, "secret"));
	const cJSON *env = get(p, "env");
	if (env)
		printf(" | env=%s:%s", str(env, "var"), str(env, "secret"));
	printf("\n");
}

static void print_auth(const cJSON *auth)
{
	const cJSON *e;
	printf("\nAuth overview\n");
	printf("Auth store    : %s\n", str(auth, "storePath"));
	if (get(auth, "staleSince"))
		printf("Store state   : stale since %s (etcd has no quorum or cannot be reached: this is the last copy "
		       "this host saw; changes are refused until it is back)\n", str(auth, "staleSince"));
	printf("Shell env     : %s\n", str(auth, "shellEnv"));
	if (!cJSON_IsTrue(get(auth, "anyCredential")))
		printf("No credentials found\n");
	cJSON_ArrayForEach(e, get(auth, "providers"))
		if (strcmp(str(e, "effective"), "none") != 0 || cJSON_GetArraySize(get(e, "profiles")))
			print_provider(e);
	if (cJSON_GetArraySize(get(auth, "missing"))) {
		printf("\nMissing auth\n");
		cJSON_ArrayForEach(e, get(auth, "missing")) {
			const cJSON *why;
			printf("- %s (used by", str(e, "provider"));
			cJSON_ArrayForEach(why, get(e, "usedBy"))
				printf(" %s%s", why->valuestring, why->next ? "," : "");
			printf("): run `%s`\n", str(e, "fix"));
		}
	}
	if (cJSON_GetArraySize(get(auth, "unusable"))) {
		printf("\nNot usable\n");
		cJSON_ArrayForEach(e, get(auth, "unusable"))
			printf("- %s (%s): %s\n  fix: %s\n", str(e, "id"), str(e, "type"), str(e, "reason"), str(e, "fix"));
	}
	if (cJSON_GetArraySize(get(auth, "oauth"))) {
		printf("\nOAuth/token status\n");
		cJSON_ArrayForEach(e, get(auth, "oauth")) {
			printf("- %s %s %s", str(e, "id"), str(e, "type"), str(e, "state"));
			/* "expired 3h ago", never "expired expired" */
			if (str(e, "expiredAgo"))
				printf(strcmp(str(e, "state"), "expired") ? ", expired %s ago" : " %s ago", str(e, "expiredAgo"));
			else if (str(e, "expiresIn"))
				printf(" %s", str(e, "expiresIn"));
			if (str(e, "unavailable"))
				printf(", %s", str(e, "unavailable"));
			printf("\n");
		}
	}
}

#define MAX_FILTER 64

struct probe_opts {
	int on;
	const char *providers[MAX_FILTER], *profiles[MAX_FILTER];
	char provider_buf[MAX_FILTER][PROVIDER_MAX + 1], profile_buf[MAX_FILTER][PROFILE_ID_MAX + 1];
	size_t n_providers, n_profiles;
	long timeout_ms;
	int concurrency;
};

/* Split a repeatable, comma-separated option into normalised values. */
static int add_filter(const char *cmd, struct probe_opts *p, int profile, const char *arg)
{
	char *copy = strdup(arg), *save = NULL;
	int rc = 0;
	for (char *w = strtok_r(copy, ",", &save); w && rc == 0; w = strtok_r(NULL, ",", &save)) {
		struct nv_err err = { 0 };
		size_t *n = profile ? &p->n_profiles : &p->n_providers;
		if (*n == MAX_FILTER) {
			rc = cli_usage(cmd, "too many probe filters (at most %d)", MAX_FILTER);
		} else if (profile) {
			if (profile_id_parse(w, NULL, p->profile_buf[*n], NULL, &err) < 0)
				rc = cli_fail(&err);
			p->profiles[*n] = p->profile_buf[*n];
			(*n)++;
		} else {
			if (provider_normalize(w, p->provider_buf[*n], &err) < 0)
				rc = cli_fail(&err);
			p->providers[*n] = p->provider_buf[*n];
			(*n)++;
		}
	}
	free(copy);
	return rc;
}

static void print_probe(const cJSON *e)
{
	const char *res = str(e, "probe");
	printf("- %-28s %-12s", str(e, "profile"), res ? res : "-");
	const cJSON *http = get(e, "probe_http");
	if (cJSON_IsNumber(http))
		printf(" http %d", (int)http->valuedouble);
	const cJSON *lat = get(e, "probe_latency_ms");
	if (cJSON_IsNumber(lat))
		printf(" %dms", (int)lat->valuedouble);
	if (str(e, "retry_after"))
		printf(" retry-after %ss", str(e, "retry_after"));
	const cJSON *rem = get(e, "limit_remaining");
	if (cJSON_IsNumber(rem))
		printf(" limit_remaining %g", rem->valuedouble);
	if (cJSON_IsTrue(get(e, "probe_stale")))
		printf(" (stale, %ds old)", (int)cJSON_GetNumberValue(get(e, "probe_age_s")));
	if (str(e, "probe_message"))
		printf(" \"%s\"", str(e, "probe_message"));
	printf("\n");
	if (str(e, "probe_advice"))
		printf("  -> %s\n", str(e, "probe_advice"));
}

static int run_probes(struct cli_ctx *ctx, const struct probe_opts *p, cJSON *view, int json)
{
	struct status_probe probe = { NULL, { 0, p->timeout_ms, NULL, NULL, 0 }, p->concurrency };
	struct status_request req = { .providers = p->n_providers ? p->providers : NULL, .n_providers = p->n_providers,
				      .ids = p->n_profiles ? p->profiles : NULL, .n_ids = p->n_profiles, .probe = &probe };
	struct nv_err err = { 0 };
	cJSON *entries;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (status_build(ctx->store, &req, &entries, &err) < 0)
		return cli_fail(&err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	if (json) {
		cJSON_AddItemToObject(view, "probes", entries);
		cJSON_AddNumberToObject(view, "probeMs", (double)ms);
		return 0;
	}
	vis_json(entries); /* a provider's message may carry escape sequences */
	printf("\nLive checks (%d, %ld ms)\n", cJSON_GetArraySize(entries), ms);
	if (!cJSON_GetArraySize(entries))
		printf("(nothing to check)\n");
	const cJSON *e;
	cJSON_ArrayForEach(e, entries)
		print_probe(e);
	cJSON_Delete(entries);
	return 0;
}

int status_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "plain", no_argument, NULL, 'p' },
		{ "check", no_argument, NULL, 'c' },
		{ "probe", no_argument, NULL, 'R' },
		{ "probe-provider", required_argument, NULL, 'V' },
		{ "probe-profile", required_argument, NULL, 'F' },
		{ "probe-timeout", required_argument, NULL, 'T' },
		{ "probe-concurrency", required_argument, NULL, 'N' },
		{ 0 },
	};
	struct cli_opts o = { .cmd = argv[0] };
	struct probe_opts *po = calloc(1, sizeof(*po));
	int json = 0, plain = 0, check = 0, c, rc = 0, probe_args = 0;
	long conc = 0; /* sized to the work: see probe_run */
	po->timeout_ms = 8000;
	while (rc == 0 && (c = cli_getopt(&o, argc, argv, opts, "")) != -1) {
		json |= c == 'j';
		plain |= c == 'p';
		check |= c == 'c';
		po->on |= c == 'R';
		probe_args |= c == 'V' || c == 'F' || c == 'T' || c == 'N';
		if (c == 'V' || c == 'F')
			rc = add_filter(o.cmd, po, c == 'F', optarg);
		else if (c == 'T')
			rc = cli_number(o.cmd, "--probe-timeout", optarg, 1, 600000, &po->timeout_ms);
		else if (c == 'N')
			rc = cli_number(o.cmd, "--probe-concurrency", optarg, 1, 256, &conc);
	}
	po->concurrency = (int)conc;
	if (rc == 0 && probe_args && !po->on)
		rc = cli_usage(o.cmd, "the --probe-* options go with --probe");
	if (rc) {
		free(po);
		return rc;
	}
	if (optind < argc || (json && plain)) {
		free(po);
		return optind < argc ? cli_unexpected(o.cmd, argv[optind])
				     : cli_usage(o.cmd, "--json and --plain cannot be combined");
	}
	struct cli_ctx ctx;
	if (cli_open(&ctx, o.agent)) {
		free(po);
		return 1;
	}
	struct nv_err err = { 0 };
	cJSON *view;
	if (overview_build(ctx.store, &view, &err) < 0) {
		cli_close(&ctx);
		free(po);
		return cli_fail(&err);
	}
	if (po->on && json)
		rc = run_probes(&ctx, po, view, 1);
	if (json) {
		cli_print_json(view);
	} else if (plain) {
		vis_json(view); /* text views: control bytes made visible */
		const char *dm = str(view, "defaultModel");
		if (dm)
			printf("%s\n", dm);
	} else {
		vis_json(view);
		print_models(view);
		print_auth(get(view, "auth"));
		if (po->on)
			rc = run_probes(&ctx, po, view, 0);
	}
	int verdict = (int)cJSON_GetNumberValue(get(view, "check"));
	cJSON_Delete(view);
	cli_close(&ctx);
	free(po);
	return rc ? rc : check ? verdict : 0;
}
