/* paste-token, paste-api-key and setup-token: a secret from stdin into a
 * profile, plus the config bookkeeping SPEC 10 asks for. */
#include "cli/cli.h"
#include "cli/commands.h"
#include "store/creds.h"
#include "store/timefmt.h"

#include <sodium.h>
#include <string.h>
#include <unistd.h>

#define INPUT_CAP (SECRET_MAX + 64)

struct paste {
	const char *provider_arg, *profile_arg, *expires_arg;
	int yes;
	struct cli_opts o;
};

static int parse(struct paste *p, int argc, char **argv, int with_expires, int with_yes)
{
	static const struct option opts[] = {
		{ "provider", required_argument, NULL, 'P' },
		{ "profile-id", required_argument, NULL, 'I' },
		{ "expires-in", required_argument, NULL, 'E' },
		{ "yes", no_argument, NULL, 'y' },
		{ 0 },
	};
	memset(p, 0, sizeof(*p));
	p->o.cmd = argv[0];
	int c;
	while ((c = cli_getopt(&p->o, argc, argv, opts, "")) != -1) {
		if (c == 'P')
			p->provider_arg = optarg;
		else if (c == 'I')
			p->profile_arg = optarg;
		else if (c == 'E' && with_expires)
			p->expires_arg = optarg;
		else if (c == 'y' && with_yes)
			p->yes = 1;
		else
			return cli_usage(p->o.cmd, "unknown option \"%s\"", argv[optind - 1]);
	}
	if (optind < argc)
		return cli_usage(p->o.cmd, "unexpected argument: secrets are read from stdin, not arguments");
	return 0;
}

/* Everything that can be checked before reading the secret. */
struct target {
	char provider[PROVIDER_MAX + 1];
	char id[PROFILE_ID_MAX + 1];
	int64_t expires_ms;
};

static int resolve_target(const struct paste *p, struct target *t)
{
	struct nv_err err = { 0 };
	int rc = cli_provider(p->o.cmd, p->provider_arg, t->provider);
	if (rc)
		return rc;
	char prov[PROVIDER_MAX + 1];
	if (profile_id_new(p->profile_arg ? p->profile_arg : "default", t->provider, t->id, prov, &err) < 0)
		return cli_fail(&err);
	if (strcmp(prov, t->provider) != 0)
		return cli_failf("profile id \"%s\" is for %s, not %s", t->id, prov, t->provider);
	t->expires_ms = 0;
	if (p->expires_arg) {
		int64_t d;
		if (duration_parse(p->expires_arg, &d, &err) < 0)
			return cli_fail(&err);
		t->expires_ms = now_ms() + d;
	}
	return 0;
}

static int save(struct cli_ctx *ctx, const struct target *t, enum cred_type type, const char *secret)
{
	struct nv_err err = { 0 };
	cJSON *cred;
	if (cred_from_text(t->provider, secret, strlen(secret), type, &cred, &err) < 0)
		return cli_fail(&err);
	if (t->expires_ms && cred_set_expires(cred, t->expires_ms) < 0) {
		cJSON_Delete(cred);
		return cli_failf("out of memory");
	}
	if (creds_save(ctx->store, t->id, t->provider, cred, &type, &err) < 0)
		return cli_fail(&err);
	printf("Updated %s\n", cli_vis(home_config_path(ctx->home)));
	printf("Auth profile: %s (%s/%s)\n", t->id, t->provider, cred_type_name(type));
	return 0;
}

static int paste(int argc, char **argv, enum cred_type type)
{
	struct paste p;
	struct target t;
	int rc = parse(&p, argc, argv, type == CRED_TOKEN, 0);
	if (rc || (rc = resolve_target(&p, &t)))
		return rc;
	struct cli_ctx ctx;
	if (cli_open(&ctx, p.o.agent))
		return 1;
	const char *what = type == CRED_TOKEN ? "token" : "API key";
	char prompt[128];
	snprintf(prompt, sizeof(prompt), "Paste %s %s (input hidden): ", t.provider, what);
	char *buf = sodium_malloc(INPUT_CAP);
	size_t len;
	struct nv_err err = { 0 };
	if (read_secret(prompt, what, buf, INPUT_CAP, &len, &err) < 0)
		rc = cli_fail(&err);
	else
		rc = save(&ctx, &t, type, buf);
	sodium_free(buf);
	cli_close(&ctx);
	return rc;
}

int paste_token_main(int argc, char **argv) { return paste(argc, argv, CRED_TOKEN); }
int paste_api_key_main(int argc, char **argv) { return paste(argc, argv, CRED_API_KEY); }

#define SETUP_PREFIX "sk-ant-oat01-"
#define SETUP_MIN_LEN 80

int setup_token_main(int argc, char **argv)
{
	struct paste p;
	struct target t;
	int rc = parse(&p, argc, argv, 0, 1);
	if (rc)
		return rc;
	if (!isatty(0))
		return cli_failf("setup-token requires an interactive TTY.");
	if ((rc = resolve_target(&p, &t)))
		return rc;
	if (strcmp(t.provider, "anthropic") != 0)
		return cli_failf("setup-token supports only --provider anthropic; use paste-token for %s", t.provider);
	if (!p.yes && !ask_yes("Have you run `claude setup-token` and copied the token it printed?")) {
		fprintf(stderr, "Run `claude setup-token` in another terminal, then run this command again.\n");
		return 1;
	}
	struct cli_ctx ctx;
	if (cli_open(&ctx, p.o.agent))
		return 1;
	char *buf = sodium_malloc(INPUT_CAP);
	size_t len;
	struct nv_err err = { 0 };
	if (read_secret("Paste the setup-token (input hidden): ", "token", buf, INPUT_CAP, &len, &err) < 0 ||
	    secret_unquoted(buf, len, "token", &err) < 0)
		rc = cli_fail(&err);
	else if (strncmp(buf, SETUP_PREFIX, strlen(SETUP_PREFIX)) != 0)
		rc = cli_failf("Expected token starting with " SETUP_PREFIX);
	else if (len < SETUP_MIN_LEN)
		rc = cli_failf("Token looks too short; paste the full setup-token");
	else
		rc = save(&ctx, &t, CRED_TOKEN, buf);
	sodium_free(buf);
	cli_close(&ctx);
	return rc;
}
