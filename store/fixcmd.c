/* Exact fix commands (see fixcmd.h). */
#include "store/fixcmd.h"
#include "store/profile.h"

#include <stdio.h>
#include <string.h>

/* A word as the shell takes it: as is when safe, else in single quotes. */
static void shell_word(const char *w, char *out, size_t cap)
{
	if (*w && strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@+:-") == strlen(w)) {
		snprintf(out, cap, "%s", w);
		return;
	}
	size_t o = 0;
	out[o++] = '\'';
	for (; *w && o + 5 < cap; w++) {
		if (*w == '\'')
			o += (size_t)snprintf(out + o, cap - o, "'\\''");
		else
			out[o++] = *w;
	}
	snprintf(out + o, cap - o, "'");
}

void fixcmd_agent(struct home *h, const char *agent, char *out, size_t cap)
{
	char def[AGENT_MAX + 1];
	home_default_agent(h, def);
	int other = agent && strcmp(def, agent) != 0;
	snprintf(out, cap, "%s%s", other ? " --agent " : "", other ? agent : "");
}

void fixcmd_store(struct home *h, const char *agent, const char *id, const char *provider, int t, char *out,
		  size_t cap)
{
	static const char *const how[] = { [CRED_API_KEY] = "paste-api-key", [CRED_TOKEN] = "paste-token", [CRED_OAUTH] = "login" };
	char word[3 * PROFILE_ID_MAX], opt[AGENT_MAX + 16];
	shell_word(id, word, sizeof(word));
	fixcmd_agent(h, agent, opt, sizeof(opt));
	snprintf(out, cap, "nova-engine models auth %s --provider %s --profile-id %s%s",
		 t >= CRED_API_KEY && t <= CRED_OAUTH ? how[t] : "paste-api-key", provider ? provider : "?", word, opt);
}

void fixcmd_renew(struct home *h, const char *agent, const char *id, const cJSON *cred, char *out, size_t cap)
{
	fixcmd_store(h, agent, id, cred_provider(cred), cred_type_of(cred), out, cap);
}

void fixcmd_report_good(struct home *h, const char *agent, const char *id, char *out, size_t cap)
{
	char word[3 * PROFILE_ID_MAX], opt[AGENT_MAX + 16];
	shell_word(id, word, sizeof(word));
	fixcmd_agent(h, agent, opt, sizeof(opt));
	snprintf(out, cap, "nova-engine models auth report %s good%s", word, opt);
}
