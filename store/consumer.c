/* The env file and the provider-native credential files. Formats:
 * - env: docker's --env-file takes everything after the first '=' literally
 *   (no quotes, no escapes); systemd's EnvironmentFile= strips quotes and
 *   treats backslashes as escapes; sh expands $, `, \ and quotes. Only a
 *   value none of them changes is written.
 * - Claude Code: ~/.claude/.credentials.json, {"claudeAiOauth":{...}} with
 *   expiresAt in epoch ms (null: never expires, as Claude Code writes for a
 *   setup-token).
 * - Codex CLI: $CODEX_HOME/auth.json (codex-rs/login/src/auth/storage.rs,
 *   AuthDotJson; token_data.rs, TokenData: id_token must be a JWT). */
#include "store/consumer.h"
#include "store/creds.h"
#include "store/timefmt.h"
#include "store/vis.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void served_add(char served[SERVED_MAX], const char *what)
{
	size_t n = strlen(served);
	snprintf(served + n, SERVED_MAX - n, "%s%s", n ? "," : "", what);
}

int envfile_value_safe(const char *v)
{
	if (!*v)
		return 0;
	for (; *v; v++)
		if (!((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') || (*v >= '0' && *v <= '9') ||
		      strchr("_.,:@%+/=-", *v)))
			return 0;
	return 1;
}

struct providers {
	char (*ids)[PROVIDER_MAX + 1];
	size_t n, cap;
};

static void provider_add(struct providers *p, const char *id)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->ids[i], id) == 0)
			return;
	if (p->n < p->cap && strlen(id) <= PROVIDER_MAX)
		snprintf(p->ids[p->n++], PROVIDER_MAX + 1, "%s", id);
}

static int stored_providers(const cJSON *doc, void *arg, struct nv_err *err)
{
	const cJSON *e;
	(void)err;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "profiles"))
		if (cred_provider(e))
			provider_add(arg, cred_provider(e));
	return 0;
}

/* The variable a selection goes in: the token variable for anthropic
 * tokens and oauth, else the provider's first (SPEC 5). */
static const char *env_name_for(const char *provider, const struct selection *sel, char *buf, size_t cap)
{
	const char *names[2];
	int n = provider_env_names(provider, names, buf, cap);
	if (sel->env_var[0])
		return sel->env_var;
	if (n == 2 && strcmp(provider, "anthropic") == 0 && sel->type == CRED_API_KEY)
		return names[1];
	return names[0];
}

/* The credential a read would serve: refreshed first, or (local) as stored. */
static int select_for(struct store *st, int local, const char *provider, struct selection *sel)
{
	return (local ? creds_select_local : creds_select)(st, provider, NULL, sel, NULL);
}

static int env_line(struct store *st, int local, const char *provider, struct out *o, char served[SERVED_MAX])
{
	struct selection sel;
	char buf[PROVIDER_MAX + 16];
	int rc = select_for(st, local, provider, &sel);
	if (rc < 0) {
		selection_wipe(&sel);
		return 0; /* no usable credential: no line */
	}
	const char *name = env_name_for(provider, &sel, buf, sizeof(buf));
	if (envfile_value_safe(sel.secret)) {
		rc = out_printf(o, "%s=", name);
		if (rc == 0)
			rc = out_line(o, sel.secret);
		served_add(served, sel.id[0] ? sel.id : sel.env_var);
	} else {
		rc = out_printf(o, "# %s left out: its value has a character docker, systemd and sh would read differently\n", name);
	}
	selection_wipe(&sel);
	return rc;
}

int envfile_render(struct store *st, int local, struct out *o, char served[SERVED_MAX], struct nv_err *err)
{
	struct providers p = { calloc(1024, PROVIDER_MAX + 1), 0, 1024 };
	if (!p.ids)
		return nv_fail(err, ENOMEM, "out of memory");
	served[0] = '\0';
	for (size_t i = 0; i < provider_count(); i++)
		provider_add(&p, provider_at(i));
	int rc = store_read(st, stored_providers, &p, err);
	for (size_t i = 0; rc == 0 && i < p.n; i++)
		rc = env_line(st, local, p.ids[i], o, served);
	free(p.ids);
	return rc;
}

/* What a native file needs beyond the secret. */
struct meta {
	const char *id;
	int64_t expires;
	char account[256], email[256];
};

static int meta_in_doc(const cJSON *doc, void *arg, struct nv_err *err)
{
	struct meta *m = arg;
	const cJSON *c = doc_profile(doc, m->id);
	const char *a = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "accountId"));
	const char *e = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "email"));
	(void)err;
	m->expires = cred_expires(c);
	snprintf(m->account, sizeof(m->account), "%s", a ? a : "");
	snprintf(m->email, sizeof(m->email), "%s", e ? e : "");
	return 0;
}

/* The first profile of provider in order whose type is in want (a bit
 * set of 1 << cred_type), refreshed when due (unless local), and its meta. */
static int first_of(struct store *st, int local, const char *provider, unsigned want, struct selection *sel,
		    struct meta *m, struct nv_err *err)
{
	int64_t expires;
	cJSON *ids, *e;
	int rc = creds_order_effective(st, provider, &ids, err);
	if (rc < 0)
		return rc;
	rc = -ENOKEY;
	cJSON_ArrayForEach(e, ids) {
		int got = local ? creds_get_unrefreshed(st, e->valuestring, sel, &expires)
				: creds_get(st, e->valuestring, sel, NULL);
		if (got == 0 && (want & (1u << sel->type))) {
			m->id = sel->id;
			rc = store_read(st, meta_in_doc, m, err);
			break;
		}
		selection_wipe(sel);
	}
	cJSON_Delete(ids);
	return rc;
}

static int put_json(struct out *o, cJSON *v)
{
	char *t = v ? vis_json_print(v, 1) : NULL; /* terminal-safe, same values */
	cJSON_Delete(v);
	int rc = t ? out_puts(o, t) : -ENOMEM;
	if (rc == 0)
		rc = out_puts(o, "\n");
	cJSON_free(t);
	return rc;
}

int native_claude_render(struct store *st, int local, struct out *o, char served[SERVED_MAX], struct nv_err *err)
{
	struct selection sel;
	struct meta m = { 0 };
	served[0] = '\0';
	int rc = first_of(st, local, "anthropic", 1u << CRED_TOKEN | 1u << CRED_OAUTH, &sel, &m, err);
	if (rc == -ENOKEY)
		rc = nv_fail(err, ENOKEY, "no anthropic token or OAuth credential for agent \"%s\" (Claude Code takes no API key in this file)", store_agent(st));
	if (rc == 0) {
		cJSON *root = cJSON_CreateObject(), *c = cJSON_AddObjectToObject(root, "claudeAiOauth");
		cJSON_AddStringToObject(c, "accessToken", sel.secret);
		cJSON_AddNullToObject(c, "refreshToken"); /* ours stays ours: the CLI never refreshes */
		if (m.expires)
			cJSON_AddNumberToObject(c, "expiresAt", (double)m.expires);
		else
			cJSON_AddNullToObject(c, "expiresAt");
		const char *scopes[] = { "user:inference", "user:profile" };
		cJSON_AddItemToObject(c, "scopes", cJSON_CreateStringArray(scopes, sel.type == CRED_OAUTH ? 2 : 1));
		cJSON_AddNullToObject(c, "subscriptionType");
		rc = put_json(o, root);
		served_add(served, sel.id);
	}
	selection_wipe(&sel);
	return rc;
}

/* An unsigned JWT carrying what Codex reads from id_token (email, account):
 * it parses the claims and does not verify a signature. */
static char *id_token_of(const struct meta *m)
{
	cJSON *claims = cJSON_CreateObject();
	if (m->email[0])
		cJSON_AddStringToObject(claims, "email", m->email);
	cJSON *auth = cJSON_AddObjectToObject(claims, "https://api.openai.com/auth");
	if (m->account[0])
		cJSON_AddStringToObject(auth, "chatgpt_account_id", m->account);
	char *payload = cJSON_PrintUnformatted(claims);
	cJSON_Delete(claims);
	static const char header[] = "{\"alg\":\"none\",\"typ\":\"JWT\"}";
	size_t hl = sodium_base64_ENCODED_LEN(sizeof(header) - 1, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	size_t pl = payload ? sodium_base64_ENCODED_LEN(strlen(payload), sodium_base64_VARIANT_URLSAFE_NO_PADDING) : 0;
	char *jwt = payload ? malloc(hl + pl + 16) : NULL;
	if (jwt) {
		sodium_bin2base64(jwt, hl, (const unsigned char *)header, sizeof(header) - 1, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		strcat(jwt, ".");
		sodium_bin2base64(jwt + strlen(jwt), pl, (const unsigned char *)payload, strlen(payload),
				  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		strcat(jwt, ".unsigned");
	}
	cJSON_free(payload);
	return jwt;
}

static void codex_tokens(cJSON *root, const struct selection *sel, const struct meta *m)
{
	cJSON *t = cJSON_AddObjectToObject(root, "tokens");
	char *jwt = id_token_of(m);
	cJSON_AddStringToObject(t, "id_token", jwt ? jwt : "");
	free(jwt);
	cJSON_AddStringToObject(t, "access_token", sel->secret);
	cJSON_AddStringToObject(t, "refresh_token", ""); /* never ours */
	if (m->account[0])
		cJSON_AddStringToObject(t, "account_id", m->account);
	else
		cJSON_AddNullToObject(t, "account_id");
}

int native_codex_render(struct store *st, int local, struct out *o, char served[SERVED_MAX], struct nv_err *err)
{
	struct selection sel;
	struct meta m = { 0 };
	char ts[32];
	served[0] = '\0';
	cJSON *root = cJSON_CreateObject();
	int rc = first_of(st, local, "openai-codex", 1u << CRED_TOKEN | 1u << CRED_OAUTH, &sel, &m, err);
	if (rc == 0) { /* a ChatGPT login: Codex prefers an API key when one is present */
		cJSON_AddNullToObject(root, "OPENAI_API_KEY");
		codex_tokens(root, &sel, &m);
	} else if (rc == -ENOKEY) {
		selection_wipe(&sel);
		rc = select_for(st, local, "openai", &sel);
		if (rc == 0)
			cJSON_AddStringToObject(root, "OPENAI_API_KEY", sel.secret);
		else
			rc = nv_fail(err, ENOKEY, "no openai-codex login and no openai key for agent \"%s\"", store_agent(st));
	}
	if (rc == 0) {
		time_iso(now_ms(), ts);
		cJSON_AddStringToObject(root, "last_refresh", ts);
		served_add(served, sel.id[0] ? sel.id : sel.env_var);
		rc = put_json(o, root);
		root = NULL;
	}
	cJSON_Delete(root);
	selection_wipe(&sel);
	return rc;
}
