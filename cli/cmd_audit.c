/* nova-engine audit: who read which secret, from <state>/audit.jsonl. */
#include "cli/cli.h"
#include "cli/commands.h"
#include "store/audit.h"
#include "store/timefmt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* --since: a duration back from now (90m, 2h, 7d; a bare number is days)
 * or a UTC time 2026-11-27T04:00:00Z. */
static int since_arg(const char *cmd, const char *s, int64_t *ms)
{
	struct nv_err err = { 0 };
	int64_t back;
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end && (*end == '\0' || strcmp(end, "Z") == 0)) {
		*ms = (int64_t)timegm(&tm) * 1000;
		return 0;
	}
	if (duration_parse(s, &back, &err) < 0)
		return cli_usage(cmd, "invalid --since \"%.40s\": give a duration (90m, 2h, 7d) or a UTC time (2026-11-27T04:00:00Z)", s);
	*ms = now_ms() - back;
	return 0;
}

/* Text from a file anyone with the user's rights can edit: control
 * characters made visible (cli_vis keeps 8 at a time: two printfs). */
static void print_row(const struct audit_row *r)
{
	printf("%s  %-10s %-28s %-20s ", cli_vis(r->time), cli_vis(r->agent), cli_vis(r->profile), cli_vis(r->how));
	printf("uid=%s pid=%s comm=%s exe=%s parent=%s\n", cli_vis(r->uid), cli_vis(r->pid), cli_vis(r->comm),
	       cli_vis(r->exe), cli_vis(r->pcomm));
}

int audit_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' }, { "json", no_argument, NULL, 'j' }, { 0 } };
	struct cli_opts o = { .cmd = argv[0] };
	int c, json = 0, rc;
	int64_t since = 0;
	while ((c = cli_getopt(&o, argc, argv, opts, "")) != -1) {
		if (c == 'j')
			json = 1;
		else if (c == 's' && (rc = since_arg(o.cmd, optarg, &since)))
			return rc;
	}
	if (optind < argc)
		return cli_unexpected(o.cmd, argv[optind]);
	struct nv_err err = { 0 };
	struct home *h;
	cJSON *rows;
	struct audit_row *row = malloc(sizeof(*row)); /* 5 KiB of fields */
	if (home_open(&h, &err) < 0)
		return cli_fail(&err);
	rc = row ? audit_read(h, o.agent, since, 0, &rows, &err) : nv_fail(&err, ENOMEM, "out of memory");
	home_free(h);
	if (rc < 0) {
		free(row);
		return cli_fail(&err);
	}
	if (json) {
		cli_print_json(rows);
	} else if (audit_row_at(rows, 0, row) < 0) {
		printf("No secret reads recorded%s.\n", o.agent || since ? " that match" : "");
	} else {
		for (int i = 0; audit_row_at(rows, i, row) == 0; i++)
			print_row(row);
	}
	free(row);
	cJSON_Delete(rows);
	return 0;
}
