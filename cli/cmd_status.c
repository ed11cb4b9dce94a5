/* nova-engine models status: text, --json or --plain from one view. */
#include "cli/cli.h"
#include "cli/commands.h"
#include "store/overview.h"
#include "store/status.h"
#include "store/vis.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Print text store/ made (rc: how that went) and free it. */
static int print_out(struct out *o, int rc)
{
	if (rc == 0 && o->p)
		fputs(o->p, stdout);
	out_free(o);
	return rc < 0 ? cli_failf("out of memory") : 0;
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
	struct out o = { 0 };
	int rc = overview_probes_text(entries, &o);
	cJSON_Delete(entries);
	return print_out(&o, rc);
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
		const char *dm = overview_default_model(view);
		if (dm)
			printf("%s\n", dm);
	} else {
		vis_json(view);
		struct out text = { 0 };
		rc = print_out(&text, overview_text(view, &text));
		if (po->on && rc == 0)
			rc = run_probes(&ctx, po, view, 0);
	}
	int verdict = overview_check(view);
	cJSON_Delete(view);
	cli_close(&ctx);
	free(po);
	return rc ? rc : check ? verdict : 0;
}
