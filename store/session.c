/* Sessions: storage under the agent dir, the chat commands, and the
 * session's token. */
#include "store/session.h"
#include "store/config.h"
#include "store/env.h"
#include "store/fileio.h"
#include "store/secmem.h"
#include "store/status.h"
#include "store/textbuf.h"
#include "store/timefmt.h"
#include "store/txn.h"
#include "store/vis.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int session_id_check(const char *sid, struct nv_err *err)
{
	size_t n = strlen(sid);
	int ok = n >= 1 && n <= SESSION_MAX && isalnum((unsigned char)sid[0]);
	for (size_t i = 1; ok && i < n; i++)
		ok = isalnum((unsigned char)sid[i]) || sid[i] == '_' || sid[i] == '-' || sid[i] == '.';
	if (!ok)
		return nv_fail(err, EINVAL, "invalid session id \"%.80s\": use 1-64 characters A-Z a-z 0-9 . _ -", sid);
	return 0;
}

static void paths(struct store *st, char *file, char *lock)
{
	snprintf(file, PATH_MAX, "%.4000s/sessions.json", store_dir(st));
	snprintf(lock, PATH_MAX, "%.4000s/sessions.lock", store_dir(st));
}

static int load(struct store *st, cJSON **doc, struct nv_err *err)
{
	char file[PATH_MAX], lock[PATH_MAX], *text;
	size_t len;
	paths(st, file, lock);
	int rc = file_read(file, 4 << 20, &text, &len, err);
	if (rc == -ENOENT) {
		nv_err_clear(err);
		*doc = cJSON_CreateObject();
		cJSON_AddObjectToObject(*doc, "sessions");
		return 0;
	}
	if (rc < 0)
		return rc;
	rc = json_parse_located(file, text, len, doc, err);
	secmem_free(text);
	if (rc == 0 && !cJSON_IsObject(cJSON_GetObjectItem(*doc, "sessions"))) {
		cJSON_Delete(*doc);
		return nv_fail(err, EBADMSG, "%s has no \"sessions\" object", file);
	}
	return rc;
}

/* The sessions file as a document for txn_run. */
struct sessions_doc {
	struct store *st;
	char file[PATH_MAX], lock[PATH_MAX];
	int (*fn)(cJSON *sessions, void *arg, struct nv_err *err);
	void *arg;
};

static int sessions_lock(void *self, struct nv_err *err)
{
	struct sessions_doc *d = self;
	return txn_flock(store_dir(d->st), d->lock, err);
}

static int sessions_load(void *self, cJSON **doc, struct nv_err *err)
{
	struct sessions_doc *d = self;
	return load(d->st, doc, err);
}

static int sessions_save(void *self, cJSON *doc, struct nv_err *err)
{
	struct sessions_doc *d = self;
	char *t = cJSON_Print(doc);
	int rc = t ? file_replace(d->file, t, strlen(t), 0600, err) : nv_fail(err, ENOMEM, "out of memory");
	cJSON_free(t);
	if (rc == 0)
		cJSON_Delete(doc);
	return rc;
}

static int sessions_edit(cJSON *doc, void *self, struct nv_err *err)
{
	struct sessions_doc *d = self;
	return d->fn(cJSON_GetObjectItem(doc, "sessions"), d->arg, err);
}

static const struct txn_doc sessions_txn = {
	sessions_lock, txn_funlock, sessions_load, sessions_save, NULL, 0,
};

/* Lock, load, fn edits, save. fn returns 0 to save, 1 for no change. */
static int change(struct store *st, int (*fn)(cJSON *sessions, void *arg, struct nv_err *err), void *arg, struct nv_err *err)
{
	struct sessions_doc d = { .st = st, .fn = fn, .arg = arg };
	paths(st, d.file, d.lock);
	int rc = txn_run(&sessions_txn, &d, sessions_edit, &d, NULL, err);
	return rc < 0 ? rc : 0;
}

int session_exists(struct store *st, const char *sid)
{
	cJSON *doc;
	if (load(st, &doc, NULL) < 0)
		return -EIO;
	int yes = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItem(doc, "sessions"), sid) != NULL;
	cJSON_Delete(doc);
	return yes;
}

static int create_in(cJSON *sessions, void *arg, struct nv_err *err)
{
	if (cJSON_GetObjectItemCaseSensitive(sessions, arg))
		return nv_fail(err, EEXIST, "session \"%s\" exists", (const char *)arg);
	cJSON_AddObjectToObject(sessions, arg);
	return 0;
}

int session_create(struct store *st, const char *sid, struct nv_err *err)
{
	int rc = session_id_check(sid, err);
	return rc < 0 ? rc : change(st, create_in, (void *)sid, err);
}

static int delete_in(cJSON *sessions, void *arg, struct nv_err *err)
{
	if (!cJSON_GetObjectItemCaseSensitive(sessions, arg))
		return nv_fail(err, ENOENT, "session \"%s\" not found", (const char *)arg);
	cJSON_DeleteItemFromObjectCaseSensitive(sessions, arg);
	return 0;
}

int session_delete(struct store *st, const char *sid, struct nv_err *err)
{
	return change(st, delete_in, (void *)sid, err);
}

int session_each(struct store *st, void (*fn)(void *arg, const char *sid), void *arg)
{
	cJSON *doc;
	int rc = load(st, &doc, NULL);
	if (rc < 0)
		return rc;
	const cJSON *s;
	cJSON_ArrayForEach(s, cJSON_GetObjectItem(doc, "sessions"))
		if (session_id_check(s->string, NULL) == 0)
			fn(arg, s->string);
	cJSON_Delete(doc);
	return 0;
}

static void set_or_clear(cJSON *o, const char *k, const char *v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, k);
	if (v && *v)
		cJSON_AddStringToObject(o, k, v);
}

static const char *field(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

struct set_args {
	const char *sid;
	const struct model_ref *model;
	const char *pin;      /* NULL: no pin */
	const char *auto_id;  /* for the token's bookkeeping */
	int reset, remember_auto;
};

static int edit_in(cJSON *sessions, void *arg, struct nv_err *err)
{
	struct set_args *a = arg;
	cJSON *s = cJSON_GetObjectItemCaseSensitive(sessions, a->sid);
	(void)err;
	if (!s)
		s = cJSON_AddObjectToObject(sessions, a->sid);
	if (a->remember_auto) {
		const char *old = field(s, "auto");
		if (old && a->auto_id && strcmp(old, a->auto_id) == 0)
			return 1;
		set_or_clear(s, "auto", a->auto_id);
	} else if (a->reset) {
		set_or_clear(s, "auto", NULL);
	} else {
		set_or_clear(s, "model", a->model->id);
		set_or_clear(s, "modelAlias", a->model->alias);
		set_or_clear(s, "pin", a->pin);
		set_or_clear(s, "auto", NULL);
	}
	cJSON_DeleteItemFromObjectCaseSensitive(s, "updatedAt");
	cJSON_AddNumberToObject(s, "updatedAt", (double)now_ms());
	return 0;
}

/* A copy of the session (an empty object when it does not exist). */
static cJSON *session_get(struct store *st, const char *sid, int *exists, struct nv_err *err)
{
	cJSON *doc;
	if (load(st, &doc, err) < 0)
		return NULL;
	cJSON *s = cJSON_DetachItemFromObjectCaseSensitive(cJSON_GetObjectItem(doc, "sessions"), sid);
	cJSON_Delete(doc);
	*exists = s != NULL;
	return s ? s : cJSON_CreateObject();
}

struct check_args {
	const char *id, *provider;
	int found, matches;
	char other[PROVIDER_MAX + 1];
};

static int check_in_doc(const cJSON *doc, void *arg, struct nv_err *err)
{
	struct check_args *a = arg;
	const cJSON *cred = doc_profile(doc, a->id);
	(void)err;
	a->found = cred != NULL;
	const char *p = cred_provider(cred);
	snprintf(a->other, sizeof(a->other), "%s", p ? p : "");
	a->matches = p && strcmp(p, a->provider) == 0;
	return 0;
}

/* The model the session runs: its own, else the config's default. */
static int session_model(struct store *st, const cJSON *s, struct model_ref *m, struct nv_err *err)
{
	struct home *h = store_home(st);
	struct config_snap *c = home_config_get(h);
	const char *id = field(s, "model");
	if (!id)
		id = cJSON_GetStringValue(config_get(c->json, "models.default"));
	int rc = id ? model_resolve(c->json, id, m, err)
		    : nv_fail(err, ENOENT, "no model: set models.default in the config or run /model <alias-or-id>");
	if (rc == 0 && field(s, "modelAlias"))
		snprintf(m->alias, sizeof(m->alias), "%s", field(s, "modelAlias"));
	config_snap_put(c);
	return rc;
}

/* What "/model m[@profile]" names: the model (config) and the pin (store),
 * both checked; nothing changes. */
static int set_target(struct store *st, const struct model_cmd *c, struct model_ref *m,
		      char pin[PROFILE_ID_MAX + 1], struct nv_err *err)
{
	char prov[PROVIDER_MAX + 1];
	struct config_snap *cfg = home_config_get(store_home(st));
	int rc = model_resolve(cfg->json, c->model, m, err);
	config_snap_put(cfg);
	pin[0] = '\0';
	if (rc < 0 || !c->profile[0])
		return rc;
	if ((rc = profile_id_parse(c->profile, m->provider, pin, prov, err)) < 0)
		return rc;
	struct check_args a = { pin, m->provider, 0, 0, "" };
	if ((rc = store_read(st, check_in_doc, &a, err)) < 0)
		return rc;
	if (!a.found)
		return nv_fail(err, ENOENT, "Auth profile \"%s\" not found.", pin);
	if (!a.matches || strcmp(prov, m->provider) != 0)
		return nv_fail(err, EINVAL, "Auth profile \"%s\" is for %s, not %s.", pin, a.other[0] ? a.other : prov, m->provider);
	return 0;
}

static int cmd_set(struct store *st, const char *sid, const struct model_cmd *c, char **reply, struct nv_err *err)
{
	struct model_ref m;
	char pin[PROFILE_ID_MAX + 1];
	int rc = set_target(st, c, &m, pin, err);
	if (rc < 0)
		return rc;
	struct set_args a = { sid, &m, pin[0] ? pin : NULL, NULL, 0, 0 };
	if ((rc = change(st, edit_in, &a, err)) < 0)
		return rc;
	char text[1024];
	snprintf(text, sizeof(text), "Model set to %s%s%s%s for session %s.%s%s%s\n", m.id, m.alias[0] ? " (" : "", m.alias,
		 m.alias[0] ? ")" : "", sid, pin[0] ? " Auth profile: " : "", pin, pin[0] ? " (pinned)." : "");
	*reply = secmem_strndup(text, strlen(text));
	return 0;
}

static int cmd_reset(struct store *st, const char *sid, char **reply, struct nv_err *err)
{
	struct set_args a = { sid, NULL, NULL, NULL, 1, 0 };
	int exists;
	cJSON *s = session_get(st, sid, &exists, err);
	int rc = s ? change(st, edit_in, &a, err) : -EIO;
	char text[512];
	const char *pin = field(s, "pin");
	snprintf(text, sizeof(text), "Session %s reset: the auto-selected profile is cleared%s%s%s.\n", sid,
		 pin ? "; the pin " : "", pin ? pin : "", pin ? " stays" : "");
	cJSON_Delete(s);
	if (rc == 0)
		*reply = secmem_strndup(text, strlen(text));
	return rc;
}

/* What an id's credential resolves to now, for the picker. */
static void auth_for(struct store *st, const char *provider, char *out, size_t cap)
{
	cJSON *order = NULL;
	const char *var;
	if (creds_order_effective(st, provider, &order, NULL) == 0 && cJSON_GetArraySize(order))
		snprintf(out, cap, "%s", cJSON_GetStringValue(cJSON_GetArrayItem(order, 0)));
	else if (env_has_credential(provider, &var))
		snprintf(out, cap, "env:%s", var);
	else
		snprintf(out, cap, "missing");
	cJSON_Delete(order);
}

static void pick_line(struct store *st, struct out *o, const char *model, const char *why, const char *current)
{
	char prov[PROVIDER_MAX + 1], auth[PROFILE_ID_MAX + 100];
	struct home *h = store_home(st);
	struct config_snap *c = home_config_get(h);
	int ok = model_provider(c->json, model, prov, sizeof(prov)) == 0;
	config_snap_put(c);
	if (ok)
		auth_for(st, prov, auth, sizeof(auth));
	out_printf(o, "%s %s%s [auth: %s]\n", current && strcmp(current, model) == 0 ? "*" : " ", model, why, ok ? auth : "unknown provider");
}

static int cmd_list(struct store *st, const cJSON *s, char **reply)
{
	struct out o = { 0 };
	struct home *h = store_home(st);
	struct model_ref cur;
	int have = session_model(st, s, &cur, NULL) == 0;
	struct config_snap *c = home_config_get(h);
	cJSON *models = cJSON_Duplicate(config_get(c->json, "models"), 1);
	config_snap_put(c);
	const char *dm = cJSON_GetStringValue(cJSON_GetObjectItem(models, "default"));
	cJSON *aliases = cJSON_GetObjectItem(models, "aliases"), *fallbacks = cJSON_GetObjectItem(models, "fallbacks");
	if (!cJSON_IsObject(aliases)) /* a config of another shape is ignored */
		aliases = NULL;
	if (!cJSON_IsArray(fallbacks))
		fallbacks = NULL;
	out_printf(&o, "Models:\n");
	if (dm)
		pick_line(st, &o, dm, " (default)", have ? cur.id : NULL);
	const cJSON *e;
	cJSON_ArrayForEach(e, fallbacks)
		if (cJSON_IsString(e))
			pick_line(st, &o, e->valuestring, " (fallback)", have ? cur.id : NULL);
	if (have && (!dm || strcmp(cur.id, dm) != 0))
		pick_line(st, &o, cur.id, " (this session)", cur.id);
	cJSON_ArrayForEach(e, aliases)
		if (cJSON_IsString(e))
			out_printf(&o, "  alias %s -> %s\n", e->string, e->valuestring);
	if (!dm && !have)
		out_printf(&o, "  (none configured: set models.default, or /model <provider/model>)\n");
	out_printf(&o, "Use /model <alias-or-id>[@<profile>] to switch; /model status for details.\n");
	cJSON_Delete(models);
	*reply = o.p ? o.p : secmem_strndup("", 0);
	return 0;
}

static int select_for(struct store *st, const char *sid, struct selection *sel, int remember, struct nv_err *err);

/* A candidate's cooldown or disable from its status entry: " cooldown
 * 4m", " disabled (billing) 5h", " disabled (auth)"; "" when available. */
static void held_back(const cJSON *e, char *out, size_t cap)
{
	const char *cd = field(e, "cooldown"), *why = field(e, "disabled_reason");
	char reason[80] = "";
	if (why)
		snprintf(reason, sizeof(reason), " (%.60s)", why);
	if (!cd || strcmp(cd, "none") == 0)
		snprintf(out, cap, "%s", "");
	else if (strcmp(cd, "disabled") == 0)
		snprintf(out, cap, " disabled%s", reason);
	else
		snprintf(out, cap, " %s%s %s", why ? "disabled" : "cooldown", reason, cd);
}


static int cmd_status(struct store *st, const char *sid, const cJSON *s, char **reply, struct nv_err *err)
{
	struct model_ref m;
	int rc = session_model(st, s, &m, err);
	if (rc < 0)
		return rc;
	struct out o = { 0 };
	struct home *h = store_home(st);
	out_printf(&o, "Session: %s (agent %s)\n", sid, store_agent(st));
	out_printf(&o, "Model: %s%s%s%s\n", m.id, m.alias[0] ? " (alias " : "", m.alias, m.alias[0] ? ")" : "");
	out_printf(&o, "Provider: %s\n", m.provider);
	struct config_snap *c = home_config_get(h);
	const cJSON *pc = cJSON_GetObjectItemCaseSensitive(config_get(c->json, "models.providers"), m.provider);
	const char *base = cJSON_GetStringValue(cJSON_GetObjectItem(pc, "baseUrl"));
	if (base)
		out_printf(&o, "Endpoint: %s\n", base);
	config_snap_put(c);
	out_printf(&o, "Auth pin: %s\n", field(s, "pin") ? field(s, "pin") : "none");
	out_printf(&o, "Auto-selected: %s\n", field(s, "auto") ? field(s, "auto") : "none");
	struct selection sel;
	struct nv_err why = { 0 };
	if (select_for(st, sid, &sel, 0, &why) == 0)
		out_printf(&o, "Next auth profile: %s\n", sel.id[0] ? sel.id : sel.env_var);
	else
		out_printf(&o, "Next auth profile: none (%s)\n", why.msg);
	selection_wipe(&sel);
	struct status_request req = { .provider = m.provider };
	cJSON *entries;
	if (status_build(st, &req, &entries, err) == 0) {
		out_printf(&o, "Candidates:\n");
		const cJSON *e;
		int i = 0;
		cJSON_ArrayForEach(e, entries) {
			char held[160];
			held_back(e, held, sizeof(held));
			out_printf(&o, "  %d. %s %s %s%s%s\n", ++i, field(e, "profile"), field(e, "type"), field(e, "state"), held,
			    cJSON_IsFalse(cJSON_GetObjectItem(e, "usable")) ? " (not usable)" : "");
		}
		if (!i)
			out_printf(&o, "  (none: add one with nova-engine models auth paste-api-key --provider %s)\n", m.provider);
		cJSON_Delete(entries);
	}
	*reply = o.p;
	return 0;
}

/* The reply is shown on terminals: model names, endpoints and profile
 * ids come from the config and the store, so their control bytes are made
 * visible (the reply's own line breaks stay). */
static int visible_reply(char **reply, struct nv_err *err)
{
	struct out o = { 0 };
	if (!*reply || !vis_needed(*reply))
		return 0;
	if (vis_put_lines(&o, *reply) < 0) {
		out_free(&o);
		return nv_fail(err, ENOMEM, "out of memory");
	}
	secmem_free(*reply);
	*reply = o.p;
	return 0;
}

int session_command(struct store *st, const char *sid, const char *line, char **reply, struct nv_err *err)
{
	struct model_cmd c;
	int rc = session_id_check(sid, err);
	if (rc == 0)
		rc = model_cmd_parse(line, &c, err);
	if (rc < 0)
		return rc;
	if (c.kind == MC_SET) {
		rc = cmd_set(st, sid, &c, reply, err);
	} else if (c.kind == MC_NEW || c.kind == MC_RESET) {
		rc = cmd_reset(st, sid, reply, err);
	} else {
		int exists;
		cJSON *s = session_get(st, sid, &exists, err);
		if (!s)
			return -EIO;
		rc = c.kind == MC_LIST ? cmd_list(st, s, reply) : cmd_status(st, sid, s, reply, err);
		cJSON_Delete(s);
	}
	return rc < 0 ? rc : visible_reply(reply, err);
}

int session_command_check(struct store *st, const char *line, struct nv_err *err)
{
	struct model_cmd c;
	struct model_ref m;
	char pin[PROFILE_ID_MAX + 1];
	int rc = model_cmd_parse(line, &c, err);
	return rc < 0 || c.kind != MC_SET ? rc : set_target(st, &c, &m, pin, err);
}

struct avail_args {
	const char *id;
	int ok;
};

static int available_in_doc(const cJSON *doc, void *arg, struct nv_err *err)
{
	struct avail_args *a = arg;
	const cJSON *u = doc_usage(doc, a->id);
	(void)err;
	a->ok = doc_profile(doc, a->id) &&
		usage_unavailable_until(u, now_ms()) == 0;
	return 0;
}

int session_token(struct store *st, const char *sid, struct selection *sel, struct nv_err *err)
{
	return select_for(st, sid, sel, 1, err);
}

/* remember: record the choice as the session's auto-selected profile (a
 * token read does; the status view only looks). */
static int select_for(struct store *st, const char *sid, struct selection *sel, int remember, struct nv_err *err)
{
	int exists;
	memset(sel, 0, sizeof(*sel));
	cJSON *s = session_get(st, sid, &exists, err);
	if (!s)
		return -EIO;
	struct model_ref m;
	int rc = session_model(st, s, &m, err); /* a new session runs the default model */
	const char *pin = field(s, "pin"), *auto_id = field(s, "auto");
	if (rc == 0 && !pin && auto_id) { /* stay with the earlier choice while it works */
		struct avail_args a = { auto_id, 0 };
		store_read(st, available_in_doc, &a, NULL);
		pin = a.ok ? auto_id : NULL;
	}
	if (rc == 0)
		rc = creds_select(st, m.provider, pin, sel, err);
	if (rc == 0 && remember && !field(s, "pin") && sel->id[0] && (!auto_id || strcmp(auto_id, sel->id) != 0)) {
		struct set_args a = { sid, NULL, NULL, sel->id, 0, 1 };
		change(st, edit_in, &a, NULL);
	}
	cJSON_Delete(s);
	return rc;
}
