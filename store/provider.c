/* Known providers. Anything else that matches the id pattern is accepted
 * as an OpenAI-compatible provider with a <PROVIDER>_API_KEY variable. */
#include "store/provider.h"
#include "store/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* min_key: below the shortest key each provider issues, with room to
 * spare (a check against a typo or a cut-off paste, not a format rule):
 * Anthropic sk-ant-api03-/sk-ant-oat01- keys are 108 characters, OpenAI
 * sk- keys 51 and more, OpenRouter sk-or-v1- 73, Groq gsk_ 56, xAI xai-
 * 84, Google AIza 39, DeepSeek sk- 35, Mistral 32. */
static const struct provider_info table[] = {
	{ "anthropic", { "ANTHROPIC_OAUTH_TOKEN", "ANTHROPIC_API_KEY" }, PROBE_ANTHROPIC, "https://api.anthropic.com", 40 },
	{ "openai", { "OPENAI_API_KEY", NULL }, PROBE_OPENAI_COMPAT, "https://api.openai.com", 32 },
	{ "openai-codex", { "OPENAI_CODEX_API_KEY", NULL }, PROBE_OPENAI_COMPAT, "https://api.openai.com", 32 },
	{ "openrouter", { "OPENROUTER_API_KEY", NULL }, PROBE_OPENROUTER, "https://openrouter.ai", 40 },
	{ "google", { "GEMINI_API_KEY", "GOOGLE_API_KEY" }, PROBE_GOOGLE, "https://generativelanguage.googleapis.com", 30 },
	{ "mistral", { "MISTRAL_API_KEY", NULL }, PROBE_OPENAI_COMPAT, "https://api.mistral.ai", 24 },
	{ "groq", { "GROQ_API_KEY", NULL }, PROBE_OPENAI_COMPAT, "https://api.groq.com/openai", 40 },
	{ "xai", { "XAI_API_KEY", NULL }, PROBE_OPENAI_COMPAT, "https://api.x.ai", 40 },
	{ "deepseek", { "DEEPSEEK_API_KEY", NULL }, PROBE_OPENAI_COMPAT, "https://api.deepseek.com", 30 },
};

/* A provider of the user's own (a local server, a proxy): we know nothing
 * of its keys, so only what no real key is shorter than. */
#define MIN_KEY_OTHER 8

static const struct { const char *alias, *id; } aliases[] = {
	{ "z.ai", "zai" },
	{ "z-ai", "zai" },
};

size_t provider_count(void) { return sizeof(table) / sizeof(table[0]); }
const char *provider_at(size_t i) { return i < provider_count() ? table[i].id : NULL; }

const struct provider_info *provider_find(const char *id)
{
	for (size_t i = 0; i < provider_count(); i++)
		if (strcmp(table[i].id, id) == 0)
			return &table[i];
	return NULL;
}

static int id_char_ok(char c, int first)
{
	if (islower((unsigned char)c) || isdigit((unsigned char)c))
		return 1;
	return !first && (c == '.' || c == '_' || c == '-');
}

int provider_normalize(const char *in, char *out, struct nv_err *err)
{
	size_t n = strlen(in);
	if (n == 0 || n > PROVIDER_MAX)
		return nv_fail(err, EINVAL, "invalid provider \"%.80s\": use 1-64 characters a-z 0-9 . _ - (e.g. anthropic, openai)", in);
	for (size_t i = 0; i <= n; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(out, aliases[i].alias) == 0)
			strcpy(out, aliases[i].id);
	for (size_t i = 0; out[i]; i++)
		if (!id_char_ok(out[i], i == 0))
			return nv_fail(err, EINVAL, "invalid provider \"%.80s\": use a-z 0-9 . _ - and start with a letter or digit", in);
	return 0;
}

int provider_env_names(const char *id, const char *names[2], char *buf, size_t cap)
{
	const struct provider_info *p = provider_find(id);
	if (p) {
		names[0] = p->env[0];
		names[1] = p->env[1];
		return p->env[1] ? 2 : 1;
	}
	size_t i = 0;
	for (; id[i] && i + 9 < cap; i++)
		buf[i] = (id[i] == '-' || id[i] == '.') ? '_' : (char)toupper((unsigned char)id[i]);
	snprintf(buf + i, cap - i, "_API_KEY");
	names[0] = buf;
	names[1] = NULL;
	return 1;
}

int provider_min_key(const char *id)
{
	const struct provider_info *p = provider_find(id);
	return p ? p->min_key : MIN_KEY_OTHER;
}

/* Edit distance with transpositions ("antrhopic"), capped at 3. */
static int distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	int d[PROVIDER_MAX + 1][PROVIDER_MAX + 1];
	if (n > PROVIDER_MAX || m > PROVIDER_MAX)
		return 3;
	for (size_t i = 0; i <= n; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++) {
			int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[n][m] < 3 ? d[n][m] : 3;
}

static int declared(const cJSON *cfg, const char *id)
{
	const cJSON *e;
	if (cJSON_GetObjectItemCaseSensitive(config_object(cfg, "models.providers"), id))
		return 1;
	cJSON_ArrayForEach(e, config_object(cfg, "auth.profiles")) {
		const char *p = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "provider"));
		if (p && strcmp(p, id) == 0)
			return 1;
	}
	return 0;
}

int provider_known(const cJSON *cfg, const char *id, struct nv_err *err)
{
	if (provider_find(id) || (cfg && declared(cfg, id)))
		return 0;
	const char *near = NULL;
	int best = 3;
	for (size_t i = 0; i < provider_count(); i++) {
		int d = distance(id, table[i].id);
		if (d < best && (size_t)d < strlen(id)) /* "ai" is not a typo of "xai" */
			best = d, near = table[i].id;
	}
	if (near)
		return nv_fail(err, EINVAL, "unknown provider \"%s\": did you mean %s? (a provider of your own: "
			       "declare it in the config under models.providers.%s)", id, near, id);
	char names[256] = "";
	for (size_t i = 0; i < provider_count(); i++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", i ? ", " : "", table[i].id);
	return nv_fail(err, EINVAL, "unknown provider \"%s\": use one of %s, or declare it in the config "
		       "under models.providers.%s", id, names, id);
}
