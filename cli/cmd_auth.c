/* models auth list | logout | token | report: one profile at a time. */
#include "cli/cli.h"
#include "cli/commands.h"
#include "store/audit.h"
#include "store/creds.h"
#include "store/health.h"
#include "store/rows.h"
#include "store/timefmt.h"
#include "store/vis.h"

#include <string.h>
#include <unistd.h>

/* Parse a PROFILE_ID argument, printing the error. */
static int profile_arg(const char *cmd, const char *text, char *id)
{
	struct nv_err err = { 0 };
	if (!text)
		return cli_usage(cmd, "a profile id is required (e.g. anthropic:default)");
	if (profile_id_parse(text, NULL, id, NULL, &err) < 0)
		return cli_fail(&err);
	return 0;
}

static void print_rows_json(const struct cred_row *rows, size_t n)
{
	cJSON *out = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++) {
		cJSON *r = cJSON_CreateObject();
		cJSON_AddStringToObject(r, "id", rows[i].id);
		cJSON_AddStringToObject(r, "provider", rows[i].provider);
		cJSON_AddStringToObject(r, "type", cred_type_name(rows[i].type));
		cJSON_AddStringToObject(r, "secret", rows[i].mask);
		cJSON_AddStringToObject(r, "state", health_label(&rows[i].health));
		cJSON_AddItemToArray(out, r);
	}
	cli_print_json(out);
	cJSON_Delete(out);
}

int list_main(int argc, char **argv)
{
	struct cli_opts o = { .cmd = argv[0] };
	const char *prov_arg;
	int json, rc;
	cli_provider_json(&o, argc, argv, &prov_arg, &json);
	char prov[PROVIDER_MAX + 1] = "";
	if (prov_arg && (rc = cli_provider(o.cmd, prov_arg, prov)))
		return rc;
	struct cli_ctx ctx;
	if (cli_open(&ctx, o.agent))
		return 1;
	struct nv_err err = { 0 };
	struct cred_row *rows;
	size_t n;
	struct cred_filter f = { *prov ? prov : NULL, NULL, 1 };
	if (creds_list(ctx.store, &f, &rows, &n, &err) < 0) {
		cli_close(&ctx);
		return cli_fail(&err);
	}
	if (json)
		print_rows_json(rows, n);
	else if (!n)
		printf("No auth profiles stored for agent %s.\n", ctx.agent);
	for (size_t i = 0; !json && i < n; i++) /* a legacy store's ids may hold anything */
		printf("%-32s %-8s %-20s %s\n", cli_vis(rows[i].id), cred_type_name(rows[i].type), cli_vis(rows[i].mask),
		       health_label(&rows[i].health));
	cred_rows_free(rows, n);
	cli_close(&ctx);
	return 0;
}

int logout_main(int argc, char **argv)
{
	static const struct option opts[] = { { "yes", no_argument, NULL, 'y' }, { 0 } };
	struct cli_opts o = { .cmd = argv[0] };
	int yes = 0, c, rc;
	while ((c = cli_getopt(&o, argc, argv, opts, "")) != -1)
		yes |= c == 'y';
	char id[PROFILE_ID_MAX + 1];
	if (optind + 1 < argc)
		return cli_unexpected(o.cmd, argv[optind + 1]);
	if ((rc = profile_arg(o.cmd, optind < argc ? argv[optind] : NULL, id)))
		return rc;
	struct cli_ctx ctx;
	if (cli_open(&ctx, o.agent))
		return 1;
	char q[PROFILE_ID_MAX + 64];
	snprintf(q, sizeof(q), "Delete auth profile %s?", id);
	struct nv_err err = { 0 };
	if (!yes && isatty(0) && !ask_yes(q))
		rc = cli_failf("nothing deleted");
	else if (creds_delete(ctx.store, id, &err) < 0)
		rc = cli_fail(&err);
	else
		printf("Deleted auth profile %s.\n", cli_vis(id));
	cli_close(&ctx);
	return rc;
}

int token_main(int argc, char **argv)
{
	static const struct option opts[] = { { "provider", required_argument, NULL, 'P' }, { 0 } };
	struct cli_opts o = { .cmd = argv[0] };
	const char *prov_arg = NULL;
	int c, rc = 0;
	while ((c = cli_getopt(&o, argc, argv, opts, "")) != -1)
		if (c == 'P')
			prov_arg = optarg;
	char id[PROFILE_ID_MAX + 1] = "", prov[PROVIDER_MAX + 1];
	if (!prov_arg == !(optind < argc))
		return cli_usage(o.cmd, "give either --provider P or a PROFILE_ID");
	if (prov_arg ? (rc = cli_provider(o.cmd, prov_arg, prov)) : (rc = profile_arg(o.cmd, argv[optind], id)))
		return rc;
	struct cli_ctx ctx;
	if (cli_open(&ctx, o.agent))
		return 1;
	struct selection sel;
	struct nv_err err = { 0 };
	rc = *id ? creds_get(ctx.store, id, &sel, &err) : creds_select(ctx.store, prov, NULL, &sel, &err);
	if (rc < 0) {
		rc = cli_fail(&err);
	} else {
		struct audit_event ev = { ctx.agent, sel.id[0] ? sel.id : sel.env_var, "cli:token", NULL, 0, 0 };
		if (audit_record(ctx.home, &ev, &err) < 0)
			fprintf(stderr, "Warning: audit: %s\n", err.msg);
		printf("%s\n", sel.secret);
	}
	selection_wipe(&sel);
	cli_close(&ctx);
	return rc;
}

int report_main(int argc, char **argv)
{
	struct cli_opts o = { .cmd = argv[0] };
	int rc;
	while (cli_getopt(&o, argc, argv, NULL, "") != -1)
		;
	char id[PROFILE_ID_MAX + 1], report[64];
	int n = argc - optind;
	if (n < 2 || n > 3)
		return cli_usage(o.cmd, "expected PROFILE_ID good, or PROFILE_ID failure REASON");
	if ((rc = profile_arg(o.cmd, argv[optind], id)))
		return rc;
	snprintf(report, sizeof(report), "%s%s%s", argv[optind + 1], n == 3 ? " " : "", n == 3 ? argv[optind + 2] : "");
	struct cli_ctx ctx;
	if (cli_open(&ctx, o.agent))
		return 1;
	struct nv_err err = { 0 };
	if (creds_report(ctx.store, id, report, &err) < 0)
		rc = cli_fail(&err);
	else
		printf("Recorded %s for %s.\n", cli_vis(report), cli_vis(id));
	cli_close(&ctx);
	return rc;
}
