/* nova-engine models session SID [COMMAND]: answers exactly as the chat
 * command would (/model, /model list, /model status, /model m[@profile],
 * /new, /reset). Without COMMAND: /model status. */
#include "cli/cli.h"
#include "cli/commands.h"
#include "store/secmem.h"
#include "store/session.h"

#include <string.h>

int session_main(int argc, char **argv)
{
	struct cli_opts o = { .cmd = argv[0] };
	while (cli_getopt(&o, argc, argv, NULL, "") != -1)
		;
	if (optind >= argc)
		return cli_usage(o.cmd, "a session id is required");
	const char *sid = argv[optind++];
	char line[1024] = "";
	for (int i = optind; i < argc; i++)
		snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s%s", i > optind ? " " : "", argv[i]);
	if (!line[0])
		snprintf(line, sizeof(line), "/model status");
	struct nv_err err = { 0 };
	if (session_id_check(sid, &err) < 0)
		return cli_fail(&err);
	struct cli_ctx ctx;
	if (cli_open(&ctx, o.agent))
		return 1;
	char *reply = NULL;
	int rc = session_command(ctx.store, sid, line, &reply, &err) < 0 ? cli_fail(&err) : 0;
	if (reply)
		fputs(reply, stdout);
	secmem_free(reply);
	cli_close(&ctx);
	return rc;
}
