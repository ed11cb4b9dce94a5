/* Credential operations over the store and config. */
#include "store/creds.h"
#include "store/config.h"
#include "store/config_mode.h"
#include "store/env.h"
#include "store/fixcmd.h"
#include "store/oauth.h"
#include "store/refresh.h"
#include "store/timefmt.h"
#include "store/verdict.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void selection_wipe(struct selection *sel)
{
	sodium_memzero(sel, sizeof(*sel));
}


static int take_secret(struct selection *sel, const char *id, const cJSON *cred)
{
	const char *s = cred_secret(cred);
	if (!s)
		return -ENOKEY;
	snprintf(sel->id, sizeof(sel->id), "%s", id);
	snprintf(sel->secret, sizeof(sel->secret), "%s", s);
	sel->type = cred_type_of(cred);
	return 0;
}

#define SKIP_MAX 16

struct select_args {
	const char *provider, *pin, *agent;
	struct selection *sel;
	struct home *home;
	char skip[SKIP_MAX][PROFILE_ID_MAX + 1];  /* refused by their provider in this call */
	int n_skip, rejected;
	char rejected_id[PROFILE_ID_MAX + 1];     /* the first of them, for the fix */
	int due;                                  /* sel is oauth and needs a refresh */
	int local;                                /* take what is stored, refresh nothing */
};

static int skipped(const struct select_args *a, const char *id)
{
	for (int i = 0; i < a->n_skip; i++)
		if (strcmp(a->skip[i], id) == 0)
			return 1;
	return 0;
}

/* An oauth profile whose refresh was refused and whose access is dead. */
static int needs_login(const cJSON *doc, const char *id, const cJSON *cred, int64_t now)
{
	const cJSON *u = doc_usage(doc, id);
	const char *why = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(u, "disabledReason"));
	return cred_type_of(cred) == CRED_OAUTH && why && strcmp(why, "auth") == 0 && oauth_due(cred, now);
}

/* The command that renews the first expired profile of the provider: a
 * new token in its place keeps its place in every order. */
static void first_expired_fix(const cJSON *doc, const struct select_args *a, int64_t now, char *out, size_t cap)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "profiles")) {
		const char *p = cred_provider(e);
		if (p && strcmp(p, a->provider) == 0 && cred_expires(e) && cred_expires(e) <= now) {
			fixcmd_renew(a->home, a->agent, e->string, e, out, cap);
			return;
		}
	}
	snprintf(out, cap, "nova-engine models auth paste-token --provider %s", a->provider);
}

/* Why the first stored profile of a->provider that cannot be used
 * cannot (SPEC 12: a failure says why), into out; "" when every one can
 * (the order or a cooldown left them out) or only expired tokens remain
 * (EKEYEXPIRED says that). */
static void unusable_why(const cJSON *doc, const cJSON *config, const struct select_args *a, int64_t now,
			 char *out, size_t cap)
{
	const cJSON *e;
	*out = '\0';
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "profiles")) {
		const char *p = cred_provider(e);
		enum unusable u = p && strcmp(p, a->provider) == 0 ? cred_verdict(e, config, e->string, now) : USABLE;
		if (u == USABLE || u == UNUSABLE_EXPIRED)
			continue;
		struct verdict_text t;
		verdict_explain(u, a->home, a->agent, e->string, e, config, &t);
		snprintf(out, cap, "%s is not usable (%s): %s", e->string, t.reason, t.fix);
		return;
	}
}

static int select_in_doc(const cJSON *doc, void *arg, struct nv_err *err)
{
	struct select_args *a = arg;
	int64_t now = now_ms();
	struct id_list l;
	/* the ids may point into the config: hold it while they are used */
	struct config_snap *c = home_config_get(a->home);
	int rc = order_resolve(doc, c->json, a->provider, a->pin, now, &l);
	if (rc < 0) {
		config_snap_put(c);
		return nv_fail(err, -rc, "out of memory");
	}
	rc = -ENOKEY;
	for (size_t i = 0; i < l.n && rc < 0; i++) {
		const cJSON *cred = doc_profile(doc, l.ids[i]);
		if (skipped(a, l.ids[i]) || needs_login(doc, l.ids[i], cred, now)) {
			if (!a->rejected)
				snprintf(a->rejected_id, sizeof(a->rejected_id), "%s", l.ids[i]);
			a->rejected = 1;
			continue;
		}
		a->due = !a->local && oauth_due(cred, now);
		rc = a->due ? 0 : take_secret(a->sel, l.ids[i], cred);
		if (a->due)
			snprintf(a->sel->id, sizeof(a->sel->id), "%s", l.ids[i]);
	}
	id_list_free(&l);
	if (rc == 0) {
		config_snap_put(c);
		return 0;
	}
	const char *var;
	int env = env_credential_copy(a->provider, a->sel->secret, sizeof(a->sel->secret), &var, err);
	if (env < 0) {
		config_snap_put(c);
		sodium_memzero(a->sel->secret, sizeof(a->sel->secret));
		return env;
	}
	if (env) {
		config_snap_put(c);
		snprintf(a->sel->env_var, sizeof(a->sel->env_var), "%s", var);
		a->sel->type = CRED_API_KEY;
		return 0;
	}
	char why[sizeof(err->msg)];
	unusable_why(doc, c->json, a, now, why, sizeof(why));
	config_snap_put(c);
	if (*why && !a->rejected)
		return nv_fail(err, ENOKEY, "no usable %s credential for agent \"%s\": %s", a->provider, a->agent, why);
	int stored, expired;
	order_count(doc, a->provider, now, &stored, &expired);
	char fix[600];
	if (a->rejected) {
		const cJSON *dead = doc_profile(doc, a->rejected_id);
		if (!dead)
			return nv_fail(err, EKEYREJECTED, "every usable %s credential was rejected by the provider: log in again or store a new one", a->provider);
		fixcmd_renew(a->home, a->agent, a->rejected_id, dead, fix, sizeof(fix));
		return nv_fail(err, EKEYREJECTED, "every usable %s credential was rejected by the provider: log in again with `%s` or store a new one",
			       a->provider, fix);
	}
	if (stored && expired == stored) {
		first_expired_fix(doc, a, now, fix, sizeof(fix));
		return nv_fail(err, EKEYEXPIRED, "every %s credential has expired: store a new one with `%s`", a->provider, fix);
	}
	fixcmd_agent(a->home, a->agent, fix, sizeof(fix));
	return nv_fail(err, ENOKEY, "no usable %s credential for agent \"%s\": add one with `nova-engine models auth paste-api-key --provider %s%s` or set %s",
		       a->provider, a->agent, a->provider, fix, var);
}

int creds_select_local(struct store *st, const char *provider, const char *pin,
		       struct selection *sel, struct nv_err *err)
{
	struct select_args *a = calloc(1, sizeof(*a));
	if (!a)
		return nv_fail(err, ENOMEM, "out of memory");
	*a = (struct select_args){ .provider = provider, .pin = pin, .agent = store_agent(st), .sel = sel,
				   .home = store_home(st), .local = 1 };
	memset(sel, 0, sizeof(*sel));
	int rc = store_read(st, select_in_doc, a, err);
	free(a);
	return rc;
}

/* The daemon's proactive refresh of id failed and waits out its backoff:
 * while its access token still serves, a reader takes it rather than ask
 * the endpoint again (SPEC 13: no reader waits on the token endpoint, and
 * retries back off; every read used to be one more request). 1 with sel
 * filled, else 0 and sel untouched. */
static int served_while_backing_off(struct store *st, const char *id, struct selection *sel)
{
	struct selection keep;
	int64_t exp = 0;
	int ok = creds_get_unrefreshed(st, id, &keep, &exp) == 0 && keep.secret[0] && exp > now_ms() &&
		 refresh_backing_off(store_agent(st), id, exp);
	if (ok)
		*sel = keep;
	selection_wipe(&keep);
	return ok;
}

int creds_select(struct store *st, const char *provider, const char *pin,
		 struct selection *sel, struct nv_err *err)
{
	struct select_args *a = calloc(1, sizeof(*a));
	if (!a)
		return nv_fail(err, ENOMEM, "out of memory");
	*a = (struct select_args){ .provider = provider, .pin = pin, .agent = store_agent(st), .sel = sel, .home = store_home(st) };
	int rc;
	struct nv_err failed = { 0 }; /* a refresh that could not be made, and why */
	/* each round returns, or refreshes one oauth profile once and uses it
	 * or skips it: at most SKIP_MAX rounds */
	for (;;) {
		memset(sel, 0, sizeof(*sel));
		a->due = 0;
		if ((rc = store_read(st, select_in_doc, a, err)) < 0 || !a->due)
			break;
		if (served_while_backing_off(st, sel->id, sel)) {
			rc = 0;
			break;
		}
		int64_t exp = 0;
		rc = oauth_refresh(st, sel->id, err);
		if (rc < 0 && rc != -EKEYREJECTED && err)
			failed = *err;
		struct selection keep;
		/* refreshed, or not (a network failure never condemns a
		 * credential): its access token serves until it expires */
		if (rc != -EKEYREJECTED && creds_get_unrefreshed(st, sel->id, &keep, &exp) == 0 && exp > now_ms()) {
			*sel = keep;
			selection_wipe(&keep);
			rc = 0;
			break;
		}
		selection_wipe(&keep);
		if (a->n_skip == SKIP_MAX)
			break;
		snprintf(a->skip[a->n_skip++], PROFILE_ID_MAX + 1, "%s", sel->id);
	}
	free(a);
	if (rc == -EKEYREJECTED && failed.code) {
		/* not the provider's verdict: say what stopped the refresh
		 * (unreachable, or an address credentials may not go to) */
		*err = failed;
		rc = -failed.code;
	}
	return rc;
}

struct get_args {
	struct store *st;   /* for the words of an error: its agent */
	const char *id;
	struct selection *sel;
	int want_refresh;   /* in: stop at "due" and let the caller refresh */
	int due;            /* out: an oauth profile that needs a refresh */
	int64_t expires;    /* out: its expiry */
};

static int get_in_doc(const cJSON *doc, void *arg, struct nv_err *err)
{
	struct get_args *a = arg;
	const cJSON *cred = doc_profile(doc, a->id);
	if (!cred)
		return nv_fail(err, ENOENT, "Auth profile \"%s\" not found", a->id);
	int64_t now = now_ms();
	a->expires = cred_expires(cred);
	a->due = oauth_due(cred, now);
	int have = take_secret(a->sel, a->id, cred) == 0;
	if (a->due && a->want_refresh)
		return 0;
	if (!have)
		return nv_fail(err, ENOKEY, "auth profile \"%s\" holds no secret", a->id);
	if (cred_type_of(cred) != CRED_API_KEY && a->expires && a->expires <= now) {
		selection_wipe(a->sel);
		char fix[600];
		fixcmd_renew(store_home(a->st), store_agent(a->st), a->id, cred, fix, sizeof(fix));
		return nv_fail(err, EKEYEXPIRED, "auth profile \"%s\" has expired: store a new one with `%s`", a->id, fix);
	}
	return 0;
}

int creds_get_unrefreshed(struct store *st, const char *id, struct selection *sel, int64_t *expires)
{
	memset(sel, 0, sizeof(*sel));
	struct get_args a = { .st = st, .id = id, .sel = sel, .want_refresh = 1 };
	int rc = store_read(st, get_in_doc, &a, NULL);
	*expires = a.expires;
	return rc;
}

int creds_get(struct store *st, const char *id, struct selection *sel, struct nv_err *err)
{
	memset(sel, 0, sizeof(*sel));
	struct get_args a = { .st = st, .id = id, .sel = sel, .want_refresh = 1 };
	int rc = store_read(st, get_in_doc, &a, err);
	if (rc < 0 || !a.due)
		return rc;
	if (served_while_backing_off(st, id, sel))
		return 0;
	selection_wipe(sel);
	rc = oauth_refresh(st, id, err);
	if (rc == -EKEYREJECTED)
		return rc;
	a.want_refresh = 0; /* refreshed, or still valid until it expires */
	struct nv_err why = { 0 };
	int got = store_read(st, get_in_doc, &a, &why);
	if (got == 0 || rc < 0)
		return got == 0 ? 0 : rc; /* a failed refresh explains itself */
	if (err)
		*err = why;
	return got;
}

struct put_args {
	struct store *st;
	const char *id;
	cJSON *cred;       /* in: what to store (a copy goes in: fn may run again) */
	cJSON *old_cred;   /* out: what it replaced (NULL: nothing), to undo */
	cJSON *old_usage;
};

static int put_in_doc(cJSON *doc, void *arg, struct nv_err *err)
{
	struct put_args *a = arg;
	cJSON *profiles = cJSON_GetObjectItemCaseSensitive(doc, "profiles");
	cJSON *old = cJSON_GetObjectItemCaseSensitive(profiles, a->id);
	cJSON_Delete(a->old_cred); /* a retried change starts over */
	cJSON_Delete(a->old_usage);
	a->old_usage = NULL;
	a->old_cred = old ? cJSON_Duplicate(old, 1) : NULL;
	cJSON *cred = cJSON_Duplicate(a->cred, 1);
	if (!cred || (old && !a->old_cred)) {
		cJSON_Delete(cred);
		return nv_fail(err, ENOMEM, "out of memory");
	}
	if (old) /* in place: the stored order of profiles is a tie-breaker */
		cJSON_ReplaceItemInObjectCaseSensitive(profiles, a->id, cred);
	else
		cJSON_AddItemToObject(profiles, a->id, cred);
	/* a fresh credential starts with a clean slate */
	a->old_usage = cJSON_DetachItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "usageStats"), a->id);
	return 0;
}

static void put_args_free(struct put_args *a)
{
	cJSON_Delete(a->cred);
	cJSON_Delete(a->old_cred);
	cJSON_Delete(a->old_usage);
}

int creds_put(struct store *st, const char *id, cJSON *cred, struct nv_err *err)
{
	struct put_args a = { st, id, cred, NULL, NULL };
	int rc = store_change(st, put_in_doc, &a, err);
	put_args_free(&a);
	return rc;
}

/* Put back what put_in_doc replaced. */
static int unput_in_doc(cJSON *doc, void *arg, struct nv_err *err)
{
	struct put_args *a = arg;
	cJSON *profiles = cJSON_GetObjectItemCaseSensitive(doc, "profiles");
	cJSON *old = a->old_cred ? cJSON_Duplicate(a->old_cred, 1) : NULL;
	cJSON *usage = a->old_usage ? cJSON_Duplicate(a->old_usage, 1) : NULL;
	if ((a->old_cred && !old) || (a->old_usage && !usage)) {
		cJSON_Delete(old);
		cJSON_Delete(usage);
		return nv_fail(err, ENOMEM, "out of memory");
	}
	if (old)
		cJSON_ReplaceItemInObjectCaseSensitive(profiles, a->id, old);
	else
		cJSON_DeleteItemFromObjectCaseSensitive(profiles, a->id);
	cJSON *stats = cJSON_GetObjectItemCaseSensitive(doc, "usageStats");
	if (usage && !cJSON_AddItemToObject(stats, a->id, usage))
		cJSON_Delete(usage);
	return 0;
}

static int put_then(void *arg, struct nv_err *err)
{
	struct put_args *a = arg;
	return store_change(a->st, put_in_doc, a, err);
}

static void put_undo(void *arg)
{
	struct put_args *a = arg;
	store_change(a->st, unput_in_doc, a, NULL);
}

static int delete_in_doc(cJSON *doc, void *arg, struct nv_err *err)
{
	if (profile_remove(doc, arg) == 1)
		return nv_fail(err, ENOENT, "Auth profile \"%s\" not found", (const char *)arg);
	return 0;
}

int creds_delete(struct store *st, const char *id, struct nv_err *err)
{
	return store_change(st, delete_in_doc, (void *)id, err);
}

struct note_args {
	struct home *home;
	const char *agent, *id, *provider;
	enum cred_type type;
};

static int note_edit(cJSON *cfg, const struct note_args *a, struct nv_err *err)
{
	cJSON *profiles = config_obj(cfg, "auth.profiles");
	if (!profiles)
		return nv_fail(err, ENOMEM, "out of memory");
	cJSON *entry = cJSON_GetObjectItemCaseSensitive(profiles, a->id);
	/* the mode is every agent's: pin only what leaves each one's usable */
	enum cred_type mode = config_mode_after_put(a->home, a->agent, a->id, a->type,
						    cJSON_IsObject(entry) ? entry : NULL);
	if (!cJSON_IsObject(entry)) {
		cJSON_DeleteItemFromObjectCaseSensitive(profiles, a->id);
		entry = cJSON_AddObjectToObject(profiles, a->id);
	}
	cJSON_DeleteItemFromObjectCaseSensitive(entry, "provider");
	cJSON_DeleteItemFromObjectCaseSensitive(entry, "mode");
	cJSON_AddStringToObject(entry, "provider", a->provider);
	if (mode != CRED_NONE)
		cJSON_AddStringToObject(entry, "mode", cred_type_name(mode));
	cJSON *order = cJSON_GetObjectItemCaseSensitive(config_get(cfg, "auth.order"), a->provider);
	if (cJSON_IsArray(order)) {
		for (int i = cJSON_GetArraySize(order) - 1; i >= 0; i--) {
			const char *s = cJSON_GetStringValue(cJSON_GetArrayItem(order, i));
			if (s && strcmp(s, a->id) == 0)
				cJSON_DeleteItemFromArray(order, i);
		}
		cJSON_InsertItemInArray(order, 0, cJSON_CreateString(a->id));
	}
	return 0;
}

/* 0 to save, 1 when the config already says all this (no write). */
static int note_in_config(cJSON *cfg, void *arg, struct nv_err *err)
{
	cJSON *before = cJSON_Duplicate(cfg, 1);
	if (!before)
		return nv_fail(err, ENOMEM, "out of memory");
	int rc = note_edit(cfg, arg, err);
	if (rc == 0 && cJSON_Compare(before, cfg, 1))
		rc = 1;
	cJSON_Delete(before);
	return rc;
}

int creds_save(struct store *st, const char *id, const char *provider, cJSON *cred,
	       enum cred_type *type, struct nv_err *err)
{
	*type = cred_type_of(cred);
	struct note_args note = { store_home(st), store_agent(st), id, provider, *type };
	struct put_args put = { st, id, cred, NULL, NULL };
	struct txn_also txn = { put_then, put_undo, &put };
	/* the store and the config change together or not at all */
	int rc = home_config_txn(store_home(st), note_in_config, &note, &txn, err);
	put_args_free(&put);
	return rc;
}

struct order_args {
	const char *provider;
	const char *const *words;
	size_t n;
};

/* The words as ids of the document's profiles of a->provider, into ptrs
 * (pointing into ids); set: apply them as the override, else only check. */
static int order_words(cJSON *doc, const struct order_args *a, int set, struct nv_err *err)
{
	char (*ids)[PROFILE_ID_MAX + 1] = calloc(a->n ? a->n : 1, sizeof(*ids));
	const char **ptrs = calloc(a->n ? a->n : 1, sizeof(*ptrs));
	int rc = ids && ptrs ? 0 : nv_fail(err, ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < a->n; i++) {
		char prov[PROVIDER_MAX + 1];
		rc = profile_id_parse(a->words[i], a->provider, ids[i], prov, err);
		const cJSON *cred = rc == 0 ? doc_profile(doc, ids[i]) : NULL;
		const char *cp = cred_provider(cred);
		if (rc == 0 && !cred)
			rc = nv_fail(err, ENOENT, "Auth profile \"%s\" not found", ids[i]);
		else if (rc == 0 && (strcmp(prov, a->provider) != 0 || (cp && strcmp(cp, a->provider) != 0)))
			rc = nv_fail(err, EINVAL, "Auth profile \"%s\" is for %s, not %s", ids[i], cp ? cp : prov, a->provider);
		ptrs[i] = ids[i];
	}
	if (rc == 0 && set && order_set(doc, a->provider, ptrs, a->n) < 0)
		rc = nv_fail(err, ENOMEM, "out of memory");
	free(ids);
	free(ptrs);
	return rc;
}

static int order_in_doc(cJSON *doc, void *arg, struct nv_err *err)
{
	return order_words(doc, arg, 1, err);
}

static int order_check_in_doc(const cJSON *doc, void *arg, struct nv_err *err)
{
	return order_words((cJSON *)doc, arg, 0, err); /* set == 0: doc is only read */
}

int creds_order_set(struct store *st, const char *provider, const char *const *words,
		    size_t n, struct nv_err *err)
{
	struct order_args a = { provider, words, n };
	return store_change(st, order_in_doc, &a, err);
}

int creds_order_check(struct store *st, const char *provider, const char *const *words,
		      size_t n, struct nv_err *err)
{
	struct order_args a = { provider, words, n };
	return store_read(st, order_check_in_doc, &a, err);
}

static int clear_in_doc(cJSON *doc, void *arg, struct nv_err *err)
{
	(void)err;
	return order_clear(doc, arg);
}

int creds_order_clear(struct store *st, const char *provider, struct nv_err *err)
{
	int rc = store_change(st, clear_in_doc, (void *)provider, err);
	return rc < 0 ? rc : 0;
}

struct copy_args {
	const char *provider;
	cJSON **out;
	struct home *home;
};

static int override_in_doc(const cJSON *doc, void *arg, struct nv_err *err)
{
	struct copy_args *a = arg;
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "order"), a->provider);
	*a->out = cJSON_IsArray(o) ? cJSON_Duplicate(o, 1) : NULL;
	return cJSON_IsArray(o) && !*a->out ? nv_fail(err, ENOMEM, "out of memory") : 0;
}

int creds_order_override(struct store *st, const char *provider, cJSON **out, struct nv_err *err)
{
	struct copy_args a = { provider, out, NULL };
	return store_read(st, override_in_doc, &a, err);
}

static int effective_in_doc(const cJSON *doc, void *arg, struct nv_err *err)
{
	struct copy_args *a = arg;
	struct id_list l;
	struct config_snap *c = home_config_get(a->home);
	int rc = order_resolve(doc, c->json, a->provider, NULL, now_ms(), &l);
	if (rc < 0) {
		config_snap_put(c);
		return nv_fail(err, ENOMEM, "out of memory");
	}
	*a->out = id_list_json(&l);
	id_list_free(&l);
	config_snap_put(c);
	return *a->out ? 0 : nv_fail(err, ENOMEM, "out of memory");
}

int creds_order_effective(struct store *st, const char *provider, cJSON **out, struct nv_err *err)
{
	struct copy_args a = { provider, out, store_home(st) };
	return store_read(st, effective_in_doc, &a, err);
}

struct report_args {
	const char *id, *report;
	struct home *home;
};

static int report_in_doc(cJSON *doc, void *arg, struct nv_err *err)
{
	struct report_args *a = arg;
	const cJSON *cred = doc_profile(doc, a->id);
	if (!cred)
		return nv_fail(err, ENOENT, "Auth profile \"%s\" not found", a->id);
	enum failure_reason r;
	int rc = creds_report_check(a->report, &r, err);
	if (rc < 0)
		return rc;
	if (rc == 1)
		return usage_report_good(doc, a->id, cred_provider(cred), now_ms()) < 0 ? nv_fail(err, ENOMEM, "out of memory") : 0;
	struct config_snap *c = home_config_get(a->home);
	rc = usage_report_failure(doc, c->json, a->id, r, now_ms());
	config_snap_put(c);
	return rc < 0 ? nv_fail(err, ENOMEM, "out of memory") : 0;
}

int creds_report_check(const char *report, enum failure_reason *reason, struct nv_err *err)
{
	if (strcmp(report, "good") == 0)
		return 1;
	*reason = strncmp(report, "failure ", 8) == 0 ? failure_parse(report + 8) : FAIL_NONE;
	if (*reason == FAIL_NONE)
		return nv_fail(err, EINVAL, "invalid report \"%.60s\": write \"good\" or \"failure <reason>\" with reason rate_limit, timeout, auth, billing, format or unknown", report);
	return 0;
}

int creds_report(struct store *st, const char *id, const char *report, struct nv_err *err)
{
	struct report_args a = { id, report, store_home(st) };
	return store_change(st, report_in_doc, &a, err);
}

static int snapshot_in_doc(const cJSON *doc, void *arg, struct nv_err *err)
{
	cJSON **out = arg;
	*out = cJSON_Duplicate(doc, 1);
	return *out ? 0 : nv_fail(err, ENOMEM, "out of memory");
}

int creds_snapshot(struct store *st, cJSON **out, struct nv_err *err)
{
	return store_read(st, snapshot_in_doc, out, err);
}
