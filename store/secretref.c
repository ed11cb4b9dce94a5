/* Exec secret-provider ids to selections. A profile name never holds '/'
 * and an agent id never holds ':', so the first '/' ends the agent. */
#include "store/secretref.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int secretref_id_valid(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > 256)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || !strchr("._:/#-", c)))
			return 0;
	}
	return 1;
}

/* Split "agent/rest" (agent NULL when there is no prefix). */
static int split_agent(const char *id, char agent[AGENT_MAX + 1], const char **rest, struct nv_err *err)
{
	const char *slash = strchr(id, '/');
	if (!slash) {
		*rest = id;
		agent[0] = '\0';
		return 0;
	}
	if ((size_t)(slash - id) > AGENT_MAX || strchr(slash + 1, '/'))
		return nv_fail(err, EINVAL, "invalid id \"%.80s\": expected [<agent>/]<provider>[:<name>]", id);
	snprintf(agent, AGENT_MAX + 1, "%.*s", (int)(slash - id), id);
	*rest = slash + 1;
	return agent_id_check(agent, err);
}

/* No credential for a provider nobody declared is more likely a typo than
 * a provider left empty: say what it may have meant (not found), not how
 * to add a credential for a provider that paste-api-key would refuse. */
static int unknown_provider(struct home *h, const char *prov, int rc, struct nv_err *err)
{
	char known[PROVIDER_MAX + 1];
	struct nv_err why = { 0 };
	if (rc != -ENOKEY || home_provider(h, prov, known, &why) == 0)
		return rc;
	return nv_fail(err, ENOENT, "%s", why.msg);
}

int secretref_resolve(struct home *h, const char *id, struct selection *sel,
		      char agent[AGENT_MAX + 1], struct nv_err *err)
{
	char given[AGENT_MAX + 1], pid[PROFILE_ID_MAX + 1], prov[PROVIDER_MAX + 1];
	const char *rest = id;
	struct store *st = NULL;
	memset(sel, 0, sizeof(*sel));
	if (!secretref_id_valid(id))
		return nv_fail(err, EINVAL, "invalid id: use [<agent>/]<provider>[:<name>] (OpenClaw's id pattern)");
	int rc = split_agent(id, given, &rest, err);
	if (rc == 0)
		rc = home_agent_resolve(h, given[0] ? given : NULL, agent, err);
	if (rc == 0 && strchr(rest, ':'))
		rc = profile_id_parse(rest, NULL, pid, NULL, err);
	else if (rc == 0)
		rc = provider_normalize(rest, prov, err);
	if (rc == 0)
		rc = store_open(h, agent, &st, err);
	if (rc == 0)
		rc = strchr(rest, ':') ? creds_get(st, pid, sel, err)
				       : unknown_provider(h, prov, creds_select(st, prov, NULL, sel, err), err);
	store_free(st);
	return rc;
}
