/* nova-engine env get: one of nova-engine's own settings (NOVA_*) as
 * every command sees it after the environment chain of SPEC 5 (the
 * process, <state>/.env, config env.vars, the login shell when enabled;
 * never ./.env, which is untrusted). For scripts that run beside the
 * binary, e.g. the auth monitor, so that they read <state>/.env the way
 * the binary does instead of sourcing it as shell code. */
#include "cli/cli.h"
#include "cli/commands.h"
#include "store/env.h"

#include <stdlib.h>
#include <string.h>

#define VALUE_MAX 65536

/* Only our own settings: credentials have `models auth token`, and other
 * programs' variables are theirs. */
static int ours(const char *name)
{
	size_t n = strlen(name);
	return n > 5 && n < 128 && strncmp(name, "NOVA_", 5) == 0 &&
	       strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n;
}

int env_main(int argc, char **argv)
{
	struct cli_opts o = { .cmd = argv[0] };
	while (cli_getopt(&o, argc, argv, NULL, "") != -1)
		;
	if (optind >= argc || strcmp(argv[optind], "get") != 0 || optind + 2 != argc)
		return cli_usage(o.cmd, "give get and one setting name, e.g. env get NOVA_MONITOR_NTFY_URL");
	const char *name = argv[optind + 1];
	if (!ours(name))
		return cli_failf("\"%s\" is not a nova-engine setting: env get shows NOVA_* names only", cli_vis(name));
	struct home *h;
	struct nv_err err = { 0 };
	if (home_open(&h, &err) < 0)
		return cli_fail(&err);
	static char value[VALUE_MAX];
	int set = env_copy(name, value, sizeof(value));
	home_free(h);
	if (!set)
		return 1; /* unset: nothing printed, as `git config` does */
	printf("%s\n", value);
	return 0;
}
