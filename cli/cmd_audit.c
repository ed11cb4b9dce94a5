/* nova-engine audit: who read which secret, from <state>/audit.jsonl. */
#include "cli/cli.h"
#include "cli/commands.h"
#include "store/audit.h"
#include "store/timefmt.h"

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
 * characters made visible. */
static const char *field(const cJSON *row, const char *key, char *buf, size_t cap)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, key);
	if (cJSON_IsNumber(v))
		snprintf(buf, cap, "%.0f", v->valuedouble);
	else
		snprintf(buf, cap, "%s", cli_vis(cJSON_IsString(v) ? v->valuestring : "-"));
	return buf;
}

static void print_row(const cJSON *row)
{
	char t[64], a[80], p[300], how[64], uid[32], pid[32], comm[64], exe[4096], pcomm[64];
	printf("%s  %-10s %-28s %-18s uid=%s pid=%s comm=%s exe=%s parent=%s\n", field(row, "time", t, sizeof(t)),
	       field(row, "agent", a, sizeof(a)), field(row, "profile", p, sizeof(p)), field(row, "how", how, sizeof(how)),
	       field(row, "uid", uid, sizeof(uid)), field(row, "pid", pid, sizeof(pid)),
	       field(row, "comm", comm, sizeof(comm)), field(row, "exe", exe, sizeof(exe)),
	       field(row, "pcomm", pcomm, sizeof(pcomm)));
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
	cJSON *rows, *row;
	if (home_open(&h, &err) < 0)
		return cli_fail(&err);
	rc = audit_read(h, o.agent, since, 0, &rows, &err);
	home_free(h);
	if (rc < 0)
		return cli_fail(&err);
	if (json) {
		cli_print_json(rows);
	} else if (!cJSON_GetArraySize(rows)) {
		printf("No secret reads recorded%s.\n", o.agent || since ? " that match" : "");
	} else {
		cJSON_ArrayForEach(row, rows)
			print_row(row);
	}
	cJSON_Delete(rows);
	return 0;
}
