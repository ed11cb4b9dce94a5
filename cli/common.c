/* Helpers shared by every command: opening the store, errors, options. */
#include "cli/cli.h"
#include "store/provider.h"
#include "store/secmem.h"
#include "store/vis.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Messages quote what a user, a config or a provider gave: printed with
 * control bytes made visible (store/vis.h). */
static void print_error(const char *msg)
{
	fprintf(stderr, "Error: %s\n", cli_vis(msg));
}

static void print_errorv(const char *fmt, va_list ap)
{
	struct out o = { 0 };
	print_error(out_vprintf(&o, fmt, ap) == 0 ? o.p : "out of memory");
	out_free(&o);
}

int cli_fail(const struct nv_err *err)
{
	print_error(err->msg[0] ? err->msg : "unknown failure");
	return 1;
}

int cli_failf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	print_errorv(fmt, ap);
	va_end(ap);
	return 1;
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	print_errorv(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Run 'nova-engine %s --help' for usage.\n", cmd);
	return EXIT_USAGE;
}

const char *cli_vis(const char *s)
{
	static char *ring[8]; /* the CLI prints from one thread */
	static unsigned next;
	char **slot = &ring[next++ % 8];
	secmem_free(*slot);
	*slot = vis_dup(s ? s : "");
	return *slot ? *slot : "?";
}

int cli_print_json(const cJSON *v)
{
	char *t = vis_json_print(v, 1);
	if (!t)
		return cli_failf("out of memory");
	printf("%s\n", t);
	cJSON_free(t);
	return 0;
}

void cli_help(const struct command *c, FILE *out)
{
	fprintf(out, "Usage: nova-engine %s %s\n\n%s\n", c->name, c->args, c->summary);
	if (c->help)
		fprintf(out, "\n%s", c->help);
	fprintf(out, "\nCommon options:\n");
	/* a command that gives --agent a meaning of its own (mount) lists it */
	if (!c->help || !strstr(c->help, "  --agent "))
		fprintf(out, "  --agent ID   act on agent ID (default: agents.default, else main)\n");
	fprintf(out, "  --help       show this help\n");
}

int cli_open(struct cli_ctx *ctx, const char *agent)
{
	struct nv_err err = { 0 };
	memset(ctx, 0, sizeof(*ctx));
	if (home_open(&ctx->home, &err) < 0 ||
	    home_agent_resolve(ctx->home, agent, ctx->agent, &err) < 0 ||
	    store_open(ctx->home, ctx->agent, &ctx->store, &err) < 0) {
		cli_close(ctx);
		return cli_fail(&err);
	}
	return 0;
}

void cli_close(struct cli_ctx *ctx)
{
	store_free(ctx->store);
	home_free(ctx->home);
	memset(ctx, 0, sizeof(*ctx));
}

int cli_getopt(struct cli_opts *o, int argc, char **argv, const struct option *extra, const char *shortopts)
{
	struct option all[32] = {
		{ "agent", required_argument, NULL, 0x100 },
		{ "help", no_argument, NULL, 0x101 },
	};
	size_t n = 2;
	for (; extra && extra[n - 2].name && n < 31; n++)
		all[n] = extra[n - 2];
	char so[32];
	snprintf(so, sizeof(so), ":%s", shortopts ? shortopts : "");
	for (;;) {
		int c = getopt_long(argc, argv, so, all, NULL);
		if (c == 0x100) {
			if (o->n_agents && !o->many_agents)
				exit(cli_usage(o->cmd, "--agent given more than once"));
			if (o->n_agents < 64)
				o->agents[o->n_agents++] = optarg;
			o->agent = optarg;
			continue;
		}
		if (c == 0x101) {
			cli_help(command_find(o->cmd), stdout);
			exit(0);
		}
		if (c == '?') {
			exit(cli_usage(o->cmd, "unknown option \"%s\"", argv[optind - 1]));
		}
		if (c == ':')
			exit(cli_usage(o->cmd, "option \"%s\" needs a value", argv[optind - 1]));
		return c;
	}
}

int cli_provider(const char *cmd, const char *given, char *out)
{
	struct nv_err err = { 0 };
	if (!given)
		return cli_usage(cmd, "--provider is required (e.g. --provider anthropic)");
	if (provider_normalize(given, out, &err) < 0)
		return cli_fail(&err);
	/* a typo must not store a key under a provider nobody uses: known
	 * ones, or ones the config declares (SPEC 12) */
	struct home *h;
	if (home_open(&h, &err) < 0)
		return cli_fail(&err);
	int rc = home_provider(h, given, out, &err);
	home_free(h);
	return rc < 0 ? cli_fail(&err) : 0;
}

int cli_number(const char *cmd, const char *opt, const char *s, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || !*s || *end || v < lo || v > hi)
		return cli_usage(cmd, "%s takes a number from %ld to %ld, got \"%s\"", opt, lo, hi, s);
	*out = v;
	return 0;
}

void cli_provider_json(struct cli_opts *o, int argc, char **argv, const char **provider, int *json)
{
	static const struct option opts[] = {
		{ "provider", required_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'j' },
		{ 0 },
	};
	int c;
	*provider = NULL;
	*json = 0;
	while ((c = cli_getopt(o, argc, argv, opts, "")) != -1) {
		if (c == 'P')
			*provider = optarg;
		*json |= c == 'j';
	}
}

void cli_shown_arg(const char *arg, char out[MASK_MAX])
{
	/* a short word of letters and dashes (a mistyped command) is shown as
	 * typed; anything that may be a secret typed in the wrong place is
	 * masked (SPEC 12) */
	size_t n = strlen(arg), i = 0;
	while (i < n && (isalpha((unsigned char)arg[i]) || arg[i] == '-' || arg[i] == '_'))
		i++;
	if (n > 0 && n <= 24 && i == n)
		snprintf(out, MASK_MAX, "%s", arg);
	else
		secret_mask(arg, out);
}

int cli_unexpected(const char *cmd, const char *arg)
{
	char shown[MASK_MAX];
	cli_shown_arg(arg, shown);
	return cli_usage(cmd, "unexpected argument \"%s\"", shown);
}
