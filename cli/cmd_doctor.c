/* nova-engine doctor [--fix] [--yes] [--non-interactive] [--json]. */
#include "cli/cli.h"
#include "cli/commands.h"
#include "store/doctor.h"

#include <string.h>
#include <unistd.h>

static const char *field(const cJSON *f, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(f, k));
}

static void print_findings(const cJSON *findings)
{
	int n = cJSON_GetArraySize(findings);
	if (!n) {
		printf("Healthy: no problems found.\n");
		return;
	}
	const cJSON *f;
	cJSON_ArrayForEach(f, findings) {
		char tag[16];
		snprintf(tag, sizeof(tag), "[%s]", field(f, "severity"));
		printf("%-10s %s\n", tag, cli_vis(field(f, "problem")));
		if (*field(f, "fix"))
			printf("%-10s fix: %s%s\n", "", cli_vis(field(f, "fix")), cJSON_IsTrue(cJSON_GetObjectItem(f, "fixable")) ? "  (doctor --fix does this)" : "");
	}
}

/* Apply the fixable findings, asking on a terminal unless told not to. */
static cJSON *apply(struct home *h, const cJSON *findings, int ask)
{
	cJSON *fixed = cJSON_CreateArray();
	const cJSON *f;
	cJSON_ArrayForEach(f, findings) {
		if (!cJSON_IsTrue(cJSON_GetObjectItem(f, "fixable")))
			continue;
		char q[700];
		snprintf(q, sizeof(q), "Fix: %s?", cli_vis(field(f, "fix")));
		if (ask && !ask_yes(q))
			continue;
		struct nv_err err = { 0 };
		if (doctor_fix(h, f, &err) < 0)
			cli_fail(&err);
		else
			cJSON_AddItemToArray(fixed, cJSON_CreateString(field(f, "problem")));
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
