/* Facts for `models status`: config, models, and per provider where the
 * credential comes from, what is missing, and expiry states. */
#include "store/overview.h"
#include "store/avail.h"
#include "store/config.h"
#include "store/creds.h"
#include "store/env.h"
#include "store/health.h"
#include "store/models.h"
#include "store/rows.h"
#include "store/timefmt.h"
#include "store/verdict.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

static void add_unique(cJSON *arr, const char *s)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, arr)
		if (strcmp(e->valuestring, s) == 0)
			return;
	cJSON_AddItemToArray(arr, cJSON_CreateString(s));
}

/* Providers in use: {provider: [why...]} from models and config order. */
static cJSON *providers_in_use(const cJSON *config)
{
	cJSON *use = cJSON_CreateObject();
	char p[PROVIDER_MAX + 1];
	const char *dm = cJSON_GetStringValue(config_get(config, "models.default"));
	if (dm && model_provider(config, dm, p, sizeof(p)) == 0)
		add_unique(cJSON_AddArrayToObject(use, p), "default model");
	const cJSON *e;
	cJSON_ArrayForEach(e, config_array(config, "models.fallbacks")) {
		if (!cJSON_IsString(e) || model_provider(config, e->valuestring, p, sizeof(p)) < 0)
			continue;
		cJSON *why = cJSON_GetObjectItemCaseSensitive(use, p);
		add_unique(why ? why : cJSON_AddArrayToObject(use, p), "fallback");
	}
	cJSON_ArrayForEach(e, config_object(config, "auth.order")) {
		if (provider_normalize(e->string, p, NULL) < 0)
			continue;
		cJSON *why = cJSON_GetObjectItemCaseSensitive(use, p);
		add_unique(why ? why : cJSON_AddArrayToObject(use, p), "auth order");
	}
	return use;
}

/* Cooldown or disable, as `models status` shows it: "cooldown" (time
 * left, or "disabled" when it has no real end), "availableAt" only with
 * a real end, the reason, and the whole as one "unavailable" phrase. */
static void add_avail(cJSON *o, const struct avail *a, int64_t now)
{
	char left[16], at[32], phrase[400];
	if (a->kind == AVAIL_NOW)
		return;
	avail_left(a, now, left, sizeof(left));
	cJSON_AddStringToObject(o, "cooldown", left);
	if (a->until) {
		time_iso(a->until, at);
		cJSON_AddStringToObject(o, "availableAt", at);
	}
	if (a->reason)
		cJSON_AddStringToObject(o, "disabledReason", a->reason);
	if (a->message)
		cJSON_AddStringToObject(o, "disabledMessage", a->message);
	avail_phrase(a, now, phrase, sizeof(phrase));
	cJSON_AddStringToObject(o, "unavailable", phrase);
}

static cJSON *profile_entry(const struct cred_row *r, int64_t now, int *check)
{
	cJSON *o = cJSON_CreateObject();
	char left[16];
	const struct health *h = &r->health;
	cJSON_AddStringToObject(o, "id", r->id);
	cJSON_AddStringToObject(o, "type", cred_type_name(r->type));
	cJSON_AddStringToObject(o, "secret", r->mask);
	cJSON_AddStringToObject(o, "state", health_label(h));
	if (h->state != HEALTH_STATIC && h->state != HEALTH_MISSING) {
		duration_format(h->left_ms > 0 ? h->left_ms : -h->left_ms, left, sizeof(left));
		cJSON_AddNumberToObject(o, "expiresInMs", (double)h->left_ms);
		cJSON_AddStringToObject(o, "expiresIn", h->left_ms > 0 ? left : "expired");
		if (h->left_ms <= 0)
			cJSON_AddStringToObject(o, "expiredAgo", left);
	}
	add_avail(o, &r->avail, now);
	if (r->email)
		cJSON_AddStringToObject(o, "email", r->email);
	if (r->check == 1 || (r->check == 2 && *check == 0))
		*check = r->check;
	return o;
}

struct build_args {
	struct store *st;
	cJSON *out;
};

/* Who is looking, for the words of a verdict. */
struct viewer {
	struct home *home;
	const char *agent;
};

/* A stored credential that cannot be used is a problem (SPEC 12): its
 * entry says why, auth.unusable lists it with the fix, --check counts it
 * as missing. */
static void add_verdict(cJSON *auth, cJSON *entry, const struct viewer *v, const struct cred_row *r,
			const cJSON *cred, const cJSON *config, int *check)
{
	enum unusable u = r->unusable;
	cJSON_AddBoolToObject(entry, "usable", u == USABLE);
	if (u == USABLE)
		return;
	struct verdict_text t;
	verdict_explain(u, v->home, v->agent, r->id, cred, config, &t);
	cJSON_AddStringToObject(entry, "unusable", unusable_name(u));
	cJSON_AddStringToObject(entry, "reason", t.reason);
	cJSON_AddStringToObject(entry, "fix", t.fix);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", r->id);
	cJSON_AddStringToObject(o, "provider", r->provider);
	cJSON_AddStringToObject(o, "type", cred_type_name(r->type));
	cJSON_AddStringToObject(o, "unusable", unusable_name(u));
	cJSON_AddStringToObject(o, "reason", t.reason);
	cJSON_AddStringToObject(o, "fix", t.fix);
	cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(auth, "unusable"), o);
	*check = 1;
}

/* The provider names to show: stored, in use, or with an env credential. */
static cJSON *provider_names(const cJSON *doc, const cJSON *use)
{
	cJSON *names = cJSON_CreateArray();
	const cJSON *e;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "profiles"))
		if (cred_provider(e))
			add_unique(names, cred_provider(e));
	cJSON_ArrayForEach(e, use)
		add_unique(names, e->string);
	for (size_t i = 0; i < provider_count(); i++)
		if (env_has_credential(provider_at(i), NULL))
			add_unique(names, provider_at(i));
	return names;
}

/* The effective order from the rows' places: ids by position (an array
 * of strings, empty when none is used). */
static cJSON *order_of(const struct cred_row *rows, size_t n)
{
	cJSON *ids = cJSON_CreateArray();
	for (int pos = 1;; pos++) {
		size_t i = 0;
		while (i < n && rows[i].position != pos)
			i++;
		if (i == n)
			return ids;
		cJSON_AddItemToArray(ids, cJSON_CreateString(rows[i].id));
	}
}

static void add_provider(cJSON *auth, const cJSON *doc, const cJSON *config, const char *p,
			 const cJSON *use, const struct viewer *v, int64_t now, int *check)
{
	cJSON *prov = cJSON_CreateObject();
	cJSON *profiles = cJSON_AddArrayToObject(prov, "profiles");
	struct cred_row *rows = NULL;
	size_t n = 0;
	struct cred_filter f = { p, NULL, 0 };
	cred_rows_of(doc, config, &f, now, &rows, &n);
	cJSON *order = order_of(rows, n);
	const char *first = cJSON_GetStringValue(cJSON_GetArrayItem(order, 0));
	for (size_t i = 0; i < n; i++) {
		cJSON *entry = profile_entry(&rows[i], now, check);
		add_verdict(auth, entry, v, &rows[i], doc_profile(doc, rows[i].id), config, check);
		cJSON_AddItemToArray(profiles, entry);
		if (rows[i].type != CRED_API_KEY)
			cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(auth, "oauth"), cJSON_Duplicate(entry, 1));
	}
	cred_rows_free(rows, n);
	cJSON_AddStringToObject(prov, "provider", p);
	const char *var;
	char env[SECRET_MAX + 1];
	int have_env = env_credential_copy(p, env, sizeof(env), &var, NULL) != 0; /* shown, usable or not */
	char mask[MASK_MAX], eff[PROFILE_ID_MAX + 80];
	if (have_env) {
		secret_mask(env, mask);
		cJSON *ev = cJSON_AddObjectToObject(prov, "env");
		cJSON_AddStringToObject(ev, "var", var);
		cJSON_AddStringToObject(ev, "secret", mask);
	}
	if (first)
		snprintf(eff, sizeof(eff), "profile:%s", first);
	else if (have_env)
		snprintf(eff, sizeof(eff), "env:%s", var);
	else
		snprintf(eff, sizeof(eff), "none");
	cJSON_AddStringToObject(prov, "effective", eff);
	cJSON_AddItemToObject(prov, "order", order);
	cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(auth, "providers"), prov);
	const cJSON *why = cJSON_GetObjectItemCaseSensitive(use, p);
	sodium_memzero(env, sizeof(env));
	if (why && !first && !have_env) {
		cJSON *m = cJSON_CreateObject();
		char fix[256];
		snprintf(fix, sizeof(fix), "nova-engine models auth paste-api-key --provider %s", p);
		cJSON_AddStringToObject(m, "provider", p);
		cJSON_AddItemToObject(m, "usedBy", cJSON_Duplicate(why, 1));
		cJSON_AddStringToObject(m, "fix", fix);
		cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(auth, "missing"), m);
		*check = 1;
	}
}

static void add_models(cJSON *out, const cJSON *config)
{
	const char *dm = cJSON_GetStringValue(config_get(config, "models.default"));
	cJSON_AddItemToObject(out, "defaultModel", dm ? cJSON_CreateString(dm) : cJSON_CreateNull());
	const cJSON *fb = config_get(config, "models.fallbacks");
	const cJSON *al = config_get(config, "models.aliases");
	cJSON_AddItemToObject(out, "fallbacks", cJSON_IsArray(fb) ? cJSON_Duplicate(fb, 1) : cJSON_CreateArray());
	cJSON_AddItemToObject(out, "aliases", cJSON_IsObject(al) ? cJSON_Duplicate(al, 1) : cJSON_CreateObject());
}

static int build_in_doc(const cJSON *doc, void *arg, struct nv_err *err)
{
	struct build_args *a = arg;
	struct home *h = store_home(a->st);
	int64_t now = now_ms();
	int check = 0;
	(void)err;
	struct config_snap *snap = home_config_get(h);
	const cJSON *config = snap->json;
	cJSON *out = a->out, *use = providers_in_use(config);
	cJSON_AddStringToObject(out, "configPath", home_config_path(h));
	cJSON_AddStringToObject(out, "agent", store_agent(a->st));
	cJSON_AddStringToObject(out, "agentDir", store_dir(a->st));
	add_models(out, config);
	cJSON *auth = cJSON_AddObjectToObject(out, "auth");
	cJSON_AddStringToObject(auth, "storePath", store_path(a->st));
	cJSON_AddStringToObject(auth, "shellEnv", env_shell_enabled(config) ? "on" : "off");
	cJSON_AddArrayToObject(auth, "providers");
	cJSON_AddArrayToObject(auth, "missing");
	cJSON_AddArrayToObject(auth, "oauth");
	cJSON_AddArrayToObject(auth, "unusable");
	cJSON *names = provider_names(doc, use);
	const cJSON *p;
	struct viewer v = { h, store_agent(a->st) };
	cJSON_ArrayForEach(p, names)
		add_provider(auth, doc, config, p->valuestring, use, &v, now, &check);
	config_snap_put(snap);
	int any = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "profiles")) > 0;
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(auth, "providers"))
		any |= cJSON_GetObjectItemCaseSensitive(p, "env") != NULL;
	cJSON_AddBoolToObject(auth, "anyCredential", any);
	cJSON_AddNumberToObject(out, "check", check);
	cJSON_Delete(names);
	cJSON_Delete(use);
	return 0;
}

int overview_build(struct store *st, cJSON **out, struct nv_err *err)
{
	struct build_args a = { st, cJSON_CreateObject() };
	if (!a.out)
		return nv_fail(err, ENOMEM, "out of memory");
	int rc = store_read(st, build_in_doc, &a, err);
	if (rc < 0) {
		cJSON_Delete(a.out);
		return rc;
	}
	int64_t since;
	if (store_stale(st, &since)) {
		/* etcd had no quorum: what was shown is the copy this host saw last */
		char iso[32];
		time_iso(since, iso);
		cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(a.out, "auth"), "staleSince", iso);
	}
	*out = a.out;
	return 0;
}
