/* models auth order get | set | clear. */
#include "cli/cli.h"
#include "cli/commands.h"
#include "store/creds.h"

#include <string.h>

static void print_ids(const cJSON *arr)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, arr)
		printf("%s%s", cli_vis(e->valuestring), e->next ? ", " : "");
}

static int get(struct cli_ctx *ctx, const char *prov, int json)
{
	struct nv_err err = { 0 };
	cJSON *over, *eff;
	if (creds_order_override(ctx->store, prov, &over, &err) < 0 ||
	    creds_order_effective(ctx->store, prov, &eff, &err) < 0)
		return cli_fail(&err);
	if (json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "agent", ctx->agent);
		cJSON_AddStringToObject(o, "provider", prov);
		cJSON_AddStringToObject(o, "storePath", store_path(ctx->store));
		cJSON_AddItemToObject(o, "order", over ? over : cJSON_CreateNull());
		cJSON_AddItemToObject(o, "effective", eff);
		cli_print_json(o);
		cJSON_Delete(o);
		return 0;
	}
	printf("Agent: %s\nProvider: %s\nAuth store: %s\nOrder override: ", ctx->agent, prov, cli_vis(store_path(ctx->store)));
	if (over && cJSON_GetArraySize(over))
		print_ids(over);
	else
		printf("(none)");
	printf("\nEffective order: ");
	if (cJSON_GetArraySize(eff))
		print_ids(eff);
	else
		printf("(no usable credential)");
	printf("\n");
	cJSON_Delete(over);
	cJSON_Delete(eff);
	return 0;
}

int order_main(int argc, char **argv)
{
	struct cli_opts o = { .cmd = argv[0] };
	const char *prov_arg;
	int json, rc;
	cli_provider_json(&o, argc, argv, &prov_arg, &json);
	const char *verb = optind < argc ? argv[optind++] : NULL;
	if (!verb || (strcmp(verb, "get") && strcmp(verb, "set") && strcmp(verb, "clear")))
		return cli_usage(o.cmd, "expected get, set or clear");
	char prov[PROVIDER_MAX + 1];
	if ((rc = cli_provider(o.cmd, prov_arg, prov)))
		return rc;
	if (strcmp(verb, "set") == 0 && optind >= argc)
		return cli_usage(o.cmd, "order set needs at least one profile id (to remove the override, use order clear)");
	if (strcmp(verb, "set") != 0 && optind < argc)
		return cli_unexpected(o.cmd, argv[optind]);
	struct cli_ctx ctx;
	if (cli_open(&ctx, o.agent))
		return 1;
	struct nv_err err = { 0 };
	if (strcmp(verb, "get") == 0) {
		rc = get(&ctx, prov, json);
	} else if (strcmp(verb, "clear") == 0) {
		rc = creds_order_clear(ctx.store, prov, &err) < 0 ? cli_fail(&err) : 0;
		if (!rc)
			printf("Cleared per-agent order override.\n");
	} else if (creds_order_set(ctx.store, prov, (const char *const *)argv + optind, (size_t)(argc - optind), &err) < 0) {
		rc = cli_fail(&err);
	} else {
		cJSON *over = NULL;
		creds_order_override(ctx.store, prov, &over, &err);
		printf("Order override: ");
		print_ids(over);
		printf("\n");
		cJSON_Delete(over);
	}
	cli_close(&ctx);
	return rc;
}
