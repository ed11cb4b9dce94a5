/* nova-engine doctor [--fix] [--yes] [--non-interactive] [--json]. */
#include "cli/cli.h"
#include "cli/commands.h"
#include "store/doctor.h"

#include <string.h>
#include <unistd.h>

static void print_findings(const cJSON *findings)
{
	struct finding f;
	if (doctor_finding(findings, 0, &f) < 0) {
		printf("Healthy: no problems found.\n");
		return;
	}
	for (int i = 0; doctor_finding(findings, i, &f) == 0; i++) {
		char tag[16];
		snprintf(tag, sizeof(tag), "[%s]", f.severity);
		printf("%-10s %s\n", tag, cli_vis(f.problem));
		if (*f.fix)
			printf("%-10s fix: %s%s\n", "", cli_vis(f.fix), f.fixable ? "  (doctor --fix does this)" : "");
	}
}

/* Apply the fixable findings, asking on a terminal unless told not to. */
static cJSON *apply(struct home *h, const cJSON *findings, int ask)
{
	cJSON *fixed = cJSON_CreateArray();
	struct finding f;
	for (int i = 0; doctor_finding(findings, i, &f) == 0; i++) {
		if (!f.fixable)
			continue;
		char q[700];
		snprintf(q, sizeof(q), "Fix: %s?", cli_vis(f.fix));
		if (ask && !ask_yes(q))
			continue;
		struct nv_err err = { 0 };
		if (doctor_fix(h, cJSON_GetArrayItem(findings, i), &err) < 0)
			cli_fail(&err);
		else
			cJSON_AddItemToArray(fixed, cJSON_CreateString(f.problem));
	}
	return fixed;
}

int doctor_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "fix", no_argument, NULL, 'f' },
		{ "yes", no_argument, NULL, 'y' },
		{ "non-interactive", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ 0 },
	};
	struct cli_opts o = { .cmd = argv[0] };
	int fix = 0, yes = 0, nonint = 0, json = 0, c;
	while ((c = cli_getopt(&o, argc, argv, opts, "")) != -1) {
		fix |= c == 'f';
		yes |= c == 'y';
		nonint |= c == 'n';
		json |= c == 'j';
	}
	if (optind < argc)
		return cli_unexpected(o.cmd, argv[optind]);
	struct home *h = NULL;
	struct nv_err cfg_err = { 0 };
	home_open_tolerant(&h, &cfg_err);
	if (h) /* a .env error: its own check reports it */
		nv_err_clear(&cfg_err);
	cJSON *findings = doctor_run(h, &cfg_err), *fixed = NULL;
	if (fix && h) {
		fixed = apply(h, findings, isatty(0) && !yes && !nonint && !json);
		cJSON_Delete(findings);
		findings = doctor_run(h, &cfg_err);
	}
	int sick = doctor_healthy(findings);
	if (json) {
		cJSON *out = cJSON_CreateObject();
		cJSON_AddBoolToObject(out, "healthy", !sick);
		cJSON_AddItemToObject(out, "findings", findings);
		if (fixed)
			cJSON_AddItemToObject(out, "fixed", fixed);
		cli_print_json(out);
		cJSON_Delete(out);
	} else {
		const cJSON *f;
		cJSON_ArrayForEach(f, fixed)
			printf("Fixed: %s\n", cli_vis(f->valuestring));
		print_findings(findings);
		cJSON_Delete(findings);
		cJSON_Delete(fixed);
	}
	home_free(h);
	return sick;
}
