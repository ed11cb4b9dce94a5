/* nova-engine models status: text, --json or --plain from one view. */
#include "cli/cli.h"
#include "cli/commands.h"
#include "store/overview.h"

#include <string.h>

static const char *str(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static const cJSON *get(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static void print_models(const cJSON *v)
{
	const cJSON *e;
	printf("Config        : %s\n", str(v, "configPath"));
	printf("Agent         : %s\n", str(v, "agent"));
	printf("Agent dir     : %s\n", str(v, "agentDir"));
	printf("Default model : %s\n", str(v, "defaultModel") ? str(v, "defaultModel") : "(not set)");
	printf("Fallbacks (%d) :", cJSON_GetArraySize(get(v, "fallbacks")));
	cJSON_ArrayForEach(e, get(v, "fallbacks"))
		printf(" %s%s", e->valuestring, e->next ? "," : "");
	printf("%s\nAliases (%d)   :", cJSON_GetArraySize(get(v, "fallbacks")) ? "" : " -", cJSON_GetArraySize(get(v, "aliases")));
	cJSON_ArrayForEach(e, get(v, "aliases"))
		printf(" %s -> %s%s", e->string, cJSON_IsString(e) ? e->valuestring : "?", e->next ? "," : "");
	printf("%s\n", cJSON_GetArraySize(get(v, "aliases")) ? "" : " -");
}

static void print_provider(const cJSON *p)
{
	int counts[3] = { 0 };
	const cJSON *e;
	cJSON_ArrayForEach(e, get(p, "profiles")) {
		const char *t = str(e, "type");
		counts[strcmp(t, "oauth") == 0 ? 0 : strcmp(t, "token") == 0 ? 1 : 2]++;
	}
	printf("- %-12s effective=%s | profiles=%d (oauth=%d, token=%d, api_key=%d)", str(p, "provider"),
	       str(p, "effective"), counts[0] + counts[1] + counts[2], counts[0], counts[1], counts[2]);
	cJSON_ArrayForEach(e, get(p, "profiles"))
		printf(" | %s=%s", str(e, "id"), str(e, "secret"));
	const cJSON *env = get(p, "env");
	if (env)
		printf(" | env=%s:%s", str(env, "var"), str(env, "secret"));
	printf("\n");
}

static void print_auth(const cJSON *auth)
{
	const cJSON *e;
	printf("\nAuth overview\n");
	printf("Auth store    : %s\n", str(auth, "storePath"));
	printf("Shell env     : %s\n", str(auth, "shellEnv"));
	if (!cJSON_IsTrue(get(auth, "anyCredential")))
		printf("No credentials found\n");
	cJSON_ArrayForEach(e, get(auth, "providers"))
		if (strcmp(str(e, "effective"), "none") != 0)
			print_provider(e);
	if (cJSON_GetArraySize(get(auth, "missing"))) {
		printf("\nMissing auth\n");
		cJSON_ArrayForEach(e, get(auth, "missing")) {
			const cJSON *why;
			printf("- %s (used by", str(e, "provider"));
			cJSON_ArrayForEach(why, get(e, "usedBy"))
				printf(" %s%s", why->valuestring, why->next ? "," : "");
			printf("): run `%s`\n", str(e, "fix"));
		}
	}
	if (cJSON_GetArraySize(get(auth, "oauth"))) {
		printf("\nOAuth/token status\n");
		cJSON_ArrayForEach(e, get(auth, "oauth")) {
			printf("- %s %s %s", str(e, "id"), str(e, "type"), str(e, "state"));
			if (str(e, "expiresIn"))
				printf(" %s", str(e, "expiresIn"));
			if (str(e, "cooldown"))
				printf(" (cooldown %s)", str(e, "cooldown"));
			printf("\n");
		}
	}
}

int status_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "plain", no_argument, NULL, 'p' },
		{ "check", no_argument, NULL, 'c' },
		{ 0 },
	};
	struct cli_opts o = { .cmd = argv[0] };
	int json = 0, plain = 0, check = 0, c;
	while ((c = cli_getopt(&o, argc, argv, opts, "")) != -1) {
		json |= c == 'j';
		plain |= c == 'p';
		check |= c == 'c';
	}
	if (optind < argc)
		return cli_usage(o.cmd, "unexpected argument \"%s\"", argv[optind]);
	if (json && plain)
		return cli_usage(o.cmd, "--json and --plain cannot be combined");
	struct cli_ctx ctx;
	if (cli_open(&ctx, o.agent))
		return 1;
	struct nv_err err = { 0 };
	cJSON *view;
	if (overview_build(ctx.store, &view, &err) < 0) {
		cli_close(&ctx);
		return cli_fail(&err);
	}
	if (json) {
		char *text = cJSON_Print(view);
		printf("%s\n", text);
		cJSON_free(text);
	} else if (plain) {
		const char *dm = str(view, "defaultModel");
		if (dm)
			printf("%s\n", dm);
	} else {
		print_models(view);
		print_auth(get(view, "auth"));
	}
	int verdict = (int)cJSON_GetNumberValue(get(view, "check"));
	cJSON_Delete(view);
	cli_close(&ctx);
	return check ? verdict : 0;
}
