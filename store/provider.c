/* Known providers. Anything else that matches the id pattern is accepted
 * as an OpenAI-compatible provider with a <PROVIDER>_API_KEY variable. */
#include "store/provider.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static const struct provider_info table[] = {
	{ "anthropic", { "ANTHROPIC_OAUTH_TOKEN", "ANTHROPIC_API_KEY" }, PROBE_ANTHROPIC, "https://api.anthropic.com" },
	{ "openai", { "OPENAI_API_KEY", NULL }, PROBE_OPENAI_COMPAT, "https://api.openai.com" },
	{ "openai-codex", { "OPENAI_CODEX_API_KEY", NULL }, PROBE_OPENAI_COMPAT, "https://api.openai.com" },
	{ "openrouter", { "OPENROUTER_API_KEY", NULL }, PROBE_OPENROUTER, "https://openrouter.ai" },
	{ "google", { "GEMINI_API_KEY", "GOOGLE_API_KEY" }, PROBE_GOOGLE, "https://generativelanguage.googleapis.com" },
	{ "mistral", { "MISTRAL_API_KEY", NULL }, PROBE_OPENAI_COMPAT, "https://api.mistral.ai" },
	{ "groq", { "GROQ_API_KEY", NULL }, PROBE_OPENAI_COMPAT, "https://api.groq.com/openai" },
	{ "xai", { "XAI_API_KEY", NULL }, PROBE_OPENAI_COMPAT, "https://api.x.ai" },
	{ "deepseek", { "DEEPSEEK_API_KEY", NULL }, PROBE_OPENAI_COMPAT, "https://api.deepseek.com" },
};

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
