/* nova-engine store import FILE | export | rekey | migrate --to etcd|file. */
#include "cli/cli.h"
#include "cli/commands.h"
#include "store/creds.h"
#include "store/keyring.h"
#include "store/migrate.h"
#include "store/transfer.h"

#include <string.h>
#include <unistd.h>

static int export_store(struct cli_ctx *ctx)
{
	struct nv_err err = { 0 };
	cJSON *doc;
	if (creds_snapshot(ctx->store, &doc, &err) < 0)
		return cli_fail(&err);
	if (isatty(1))
		fprintf(stderr, "Warning: printing the store of agent %s in plaintext, secrets included.\n", ctx->agent);
	cli_print_json(doc);
	cJSON_Delete(doc);
	return 0;
}

/* Every agent to the other backend, then config store.backend. */
static int migrate(struct cli_ctx *ctx, const char *to)
{
	struct nv_err err = { 0 };
	struct migrate_result r;
	if (!to)
		return cli_usage("store", "store migrate needs --to etcd or --to file");
	if (store_migrate(ctx->home, to, &r, &err) < 0)
		return cli_fail(&err);
	printf("Moved %d store%s to %s (%d already there, identical); store.backend is now \"%s\" in %s.\n", r.moved,
	       r.moved == 1 ? "" : "s", to, r.same, to, cli_vis(home_config_path(ctx->home)));
	return 0;
}

int store_main(int argc, char **argv)
{
	static const struct option opts[] = { { "to", required_argument, NULL, 't' }, { 0 } };
	struct cli_opts o = { .cmd = argv[0] };
	const char *to = NULL;
	int c;
	while ((c = cli_getopt(&o, argc, argv, opts, "")) != -1)
		if (c == 't')
			to = optarg;
	const char *verb = optind < argc ? argv[optind++] : NULL;
	int want = verb && strcmp(verb, "import") == 0 ? 1 : 0;
	if (!verb || (strcmp(verb, "import") && strcmp(verb, "export") && strcmp(verb, "rekey") && strcmp(verb, "migrate")))
		return cli_usage(o.cmd, "expected import FILE, export, rekey or migrate --to etcd|file");
	if (argc - optind != want)
		return want ? cli_usage(o.cmd, "store import needs one FILE") : cli_unexpected(o.cmd, argv[optind]);
	struct cli_ctx ctx;
	if (cli_open(&ctx, o.agent))
		return 1;
	struct nv_err err = { 0 };
	int rc = 0, count;
	if (strcmp(verb, "migrate") == 0) {
		rc = migrate(&ctx, to);
	} else if (strcmp(verb, "export") == 0) {
		rc = export_store(&ctx);
	} else if (strcmp(verb, "import") == 0) {
		if (store_import(ctx.store, argv[optind], &count, &err) < 0)
			rc = cli_fail(&err);
		else
			printf("Imported %d auth profile%s into %s (sealed).\n", count, count == 1 ? "" : "s", cli_vis(store_path(ctx.store)));
	} else if (store_rekey(ctx.home, &count, &err) < 0) {
		rc = cli_fail(&err);
	} else {
		printf("Resealed %d store%s with a new key in %s.\n", count, count == 1 ? "" : "s", cli_vis(keyring_path(home_keyring(ctx.home))));
	}
	cli_close(&ctx);
	return rc;
}
