/* Status entries. Times are shown both as ISO 8601 and as time left, so a
 * person and a script (`grep '^state:'`) both get what they need. */
#include "store/status.h"
#include "store/avail.h"
#include "store/config.h"
#include "store/env.h"
#include "store/health.h"
#include "store/order.h"
#include "store/profile.h"
#include "store/rows.h"
#include "store/timefmt.h"
#include "store/verdict.h"
#include "store/vis.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* A time as ISO 8601; a store may hold any number (hand-made or
 * foreign usageStats), and one that is no valid time says so. */
static void add_time(cJSON *o, const char *key, double ms)
{
	char buf[32] = "not a valid time";
	if (ms >= 0 && ms <= (double)EXPIRES_MAX)
		time_iso((int64_t)ms, buf);
	cJSON_AddStringToObject(o, key, buf);
}

/* A stored profile's entry from its row; next: the one `token` serves
 * now. In the order, one that has expired past refreshing is not usable
 * (`token` skips it). */
static cJSON *entry(const struct cred_row *r, int next, int64_t now)
{
	cJSON *o = cJSON_CreateObject();
	char left[16];
	cJSON_AddStringToObject(o, "profile", r->id);
	cJSON_AddStringToObject(o, "provider", r->provider);
	cJSON_AddStringToObject(o, "type", cred_type_name(r->type));
	cJSON_AddStringToObject(o, "source", "store");
	cJSON_AddStringToObject(o, "secret", r->mask);
	cJSON_AddStringToObject(o, "state", health_label(&r->health));
	if (r->expires) {
		add_time(o, "expires", (double)r->expires);
		duration_format(r->health.left_ms, left, sizeof(left));
		cJSON_AddStringToObject(o, "expires_in", r->health.left_ms > 0 ? left : "expired");
	}
	avail_to_json(&r->avail, now, o);
	cJSON_AddBoolToObject(o, "usable", r->position && r->servable);
	if (r->position)
		cJSON_AddNumberToObject(o, "position", r->position);
	cJSON_AddBoolToObject(o, "next", next);
	return o;
}

struct build_args {
	struct home *home;
	const char *agent;
	const struct status_request *req;
	cJSON *out;
	struct probe_job *jobs;   /* one per entry when probing */
	size_t n_jobs;
};

static int wanted(const struct status_request *req, const char *id)
{
	if (!req->ids)
		return 1;
	for (size_t i = 0; i < req->n_ids; i++)
		if (strcmp(req->ids[i], id) == 0)
			return 1;
	return 0;
}

/* Note a probe job for the entry just added (secret copied now, while the
 * document is held; the probe runs after it is released). */
static void add_job(struct build_args *a, const char *id, const char *provider, enum cred_type t, const char *secret)
{
	if (!a->req->probe || !secret)
		return;
	struct probe_job *g = realloc(a->jobs, (a->n_jobs + 1) * sizeof(*g));
	if (!g)
		return;
	a->jobs = g;
	struct probe_job *j = &g[a->n_jobs];
	memset(j, 0, sizeof(*j));
	snprintf(j->id, sizeof(j->id), "%s", id);
	snprintf(j->provider, sizeof(j->provider), "%s", provider);
	snprintf(j->secret, sizeof(j->secret), "%s", secret);
	j->type = t;
	cJSON_AddNumberToObject(cJSON_GetArrayItem(a->out, cJSON_GetArraySize(a->out) - 1), "_job", (double)a->n_jobs++);
}

static void add_env(struct build_args *a, const char *provider, int first)
{
	const char *var;
	char v[SECRET_MAX + 1];
	struct nv_err why = { 0 };
	int got = env_credential_copy(provider, v, sizeof(v), &var, &why);
	if (!got)
		return;
	int ok = got > 0; /* else creds.c refuses to hand it out: not usable, and never probed */
	char mask[MASK_MAX], name[128];
	secret_mask(v, mask);
	snprintf(name, sizeof(name), "env:%s", var);
	if (!wanted(a->req, name)) {
		sodium_memzero(v, sizeof(v));
		return;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "profile", name);
	cJSON_AddStringToObject(o, "provider", provider);
	cJSON_AddStringToObject(o, "type", "api_key");
	cJSON_AddStringToObject(o, "source", "env");
	cJSON_AddStringToObject(o, "secret", mask);
	cJSON_AddStringToObject(o, "state", "static");
	cJSON_AddStringToObject(o, "cooldown", "none");
	cJSON_AddBoolToObject(o, "usable", ok);
	if (!ok)
		cJSON_AddStringToObject(o, "unusable_reason", why.msg);
	cJSON_AddBoolToObject(o, "next", first);
	cJSON_AddItemToArray(a->out, o);
	if (ok)
		add_job(a, name, provider, CRED_API_KEY, v);
	sodium_memzero(v, sizeof(v));
}

/* Why a stored profile the order left out cannot be used, and the fix
 * (SPEC 12); nothing when it can (the order only does not list it). */
static void add_why(cJSON *o, const struct build_args *a, const cJSON *doc, const cJSON *config,
		    const struct cred_row *r)
{
	if (r->unusable == USABLE)
		return;
	struct verdict_text t;
	verdict_explain(r->unusable, a->home, a->agent, r->id, doc_profile(doc, r->id), config, &t);
	cJSON_AddStringToObject(o, "unusable", unusable_name(r->unusable));
	cJSON_AddStringToObject(o, "unusable_reason", t.reason);
	cJSON_AddStringToObject(o, "fix", t.fix);
}

/* The provider's entries: its rows in order, then the ones the order
 * leaves out, then the env credential. */
static int build_provider(const cJSON *doc, struct build_args *a, const char *provider, int64_t now)
{
	struct cred_row *rows;
	size_t n = 0;
	struct cred_filter f = { provider, NULL, 0 };
	struct config_snap *c = home_config_get(a->home);
	int rc = cred_rows_of(doc, c->json, &f, now, &rows, &n), served = 0;
	size_t in_order = 0;
	for (size_t i = 0; rc == 0 && i < n; i++)
		in_order += rows[i].position != 0;
	for (size_t pos = 1; pos <= in_order; pos++) { /* positions are 1..in_order */
		const struct cred_row *r = rows;
		while (r->position != (int)pos)
			r++;
		int next = !served && r->servable;
		served |= next;
		if (!wanted(a->req, r->id))
			continue;
		cJSON_AddItemToArray(a->out, entry(r, next, now));
		add_job(a, r->id, provider, r->type, cred_secret(doc_profile(doc, r->id)));
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (rows[i].position || !wanted(a->req, rows[i].id))
			continue;
		cJSON *o = entry(&rows[i], 0, now);
		add_why(o, a, doc, c->json, &rows[i]);
		cJSON_AddItemToArray(a->out, o);
	}
	if (rc == 0)
		add_env(a, provider, !served);
	cred_rows_free(rows, n);
	config_snap_put(c);
	return rc;
}

static int build_in_doc(const cJSON *doc, void *arg, struct nv_err *err)
{
	struct build_args *a = arg;
	int64_t now = now_ms();
	if (a->req->provider)
		return build_provider(doc, a, a->req->provider, now) < 0 ? nv_fail(err, ENOMEM, "out of memory") : 0;
	cJSON *names = cJSON_CreateArray();
	const cJSON *e;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "profiles")) {
		const char *p = cred_provider(e);
		int seen = 0;
		const cJSON *n;
		cJSON_ArrayForEach(n, names)
			seen |= p && strcmp(n->valuestring, p) == 0;
		if (p && !seen)
			cJSON_AddItemToArray(names, cJSON_CreateString(p));
	}
	for (size_t i = 0; i < provider_count(); i++) {
		const cJSON *n;
		int seen = 0;
		cJSON_ArrayForEach(n, names)
			seen |= strcmp(n->valuestring, provider_at(i)) == 0;
		if (!seen && env_has_credential(provider_at(i), NULL))
			cJSON_AddItemToArray(names, cJSON_CreateString(provider_at(i)));
	}
	int rc = 0;
	cJSON_ArrayForEach(e, names) {
		int keep = !a->req->providers;
		for (size_t i = 0; !keep && i < a->req->n_providers; i++)
			keep = strcmp(a->req->providers[i], e->valuestring) == 0;
		if (rc == 0 && keep)
			rc = build_provider(doc, a, e->valuestring, now);
	}
	cJSON_Delete(names);
	return rc < 0 ? nv_fail(err, ENOMEM, "out of memory") : 0;
}

/* Flatten a probe result into the entry: "probe", "probe_<field>". */
static void merge_probe(cJSON *entry, cJSON *r)
{
	static const char *const fields[] = { "http", "latency_ms", "checked_at", "age_s", "stale", "stale_reason", "message", "advice" };
	const char *bucket = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "result"));
	cJSON_AddStringToObject(entry, "probe", bucket ? bucket : "unknown");
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		cJSON *v = cJSON_GetObjectItemCaseSensitive(r, fields[i]);
		char key[40];
		snprintf(key, sizeof(key), "probe_%s", fields[i]);
		if (v)
			cJSON_AddItemToObject(entry, key, cJSON_Duplicate(v, 1));
	}
	static const char *const usage[] = { "usage", "limit", "limit_remaining" };
	for (int i = 0; i < 3; i++) {
		cJSON *v = cJSON_GetObjectItemCaseSensitive(r, usage[i]);
		if (v)
			cJSON_AddItemToObject(entry, usage[i], cJSON_Duplicate(v, 1));
	}
	cJSON *h;
	cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(r, "headers")) {
		char key[100];
		snprintf(key, sizeof(key), "%s", h->string);
		for (char *c = key; *c; c++)
			*c = *c == '-' ? '_' : *c;
		cJSON_AddItemToObject(entry, key, cJSON_Duplicate(h, 1));
	}
}

static int run_probes(struct build_args *a)
{
	const struct status_probe *p = a->req->probe;
	struct config_snap *c = home_config_get(a->home);
	for (size_t i = 0; i < a->n_jobs; i++)
		probe_prepare(c->json, &a->jobs[i]);
	config_snap_put(c);
	int rc = p->cache ? probe_cache_get(p->cache, a->agent, a->jobs, a->n_jobs, &p->policy)
			  : probe_run(a->jobs, a->n_jobs, p->concurrency, p->policy.timeout_ms, p->policy.stop, p->policy.stop_arg);
	cJSON *e;
	cJSON_ArrayForEach(e, a->out) {
		cJSON *j = cJSON_DetachItemFromObjectCaseSensitive(e, "_job");
		if (j && a->jobs[(size_t)j->valuedouble].result)
			merge_probe(e, a->jobs[(size_t)j->valuedouble].result);
		cJSON_Delete(j);
	}
	return rc;
}

int status_build(struct store *st, const struct status_request *req, cJSON **out, struct nv_err *err)
{
	struct build_args a = { store_home(st), store_agent(st), req, cJSON_CreateArray(), NULL, 0 };
	int rc = a.out ? store_read(st, build_in_doc, &a, err) : nv_fail(err, ENOMEM, "out of memory");
	if (rc == 0 && req->probe && run_probes(&a) == -EINTR)
		rc = nv_fail(err, EINTR, "interrupted");
	for (size_t i = 0; i < a.n_jobs; i++) {
		probe_job_wipe(&a.jobs[i]);
		cJSON_Delete(a.jobs[i].result);
	}
	free(a.jobs);
	if (rc < 0)
		cJSON_Delete(a.out);
	else
		*out = a.out;
	return rc;
}

struct usage_args {
	const char *id;
	cJSON *out;
};

static int usage_in_doc(const cJSON *doc, void *arg, struct nv_err *err)
{
	struct usage_args *a = arg;
	if (!doc_profile(doc, a->id))
		return nv_fail(err, ENOENT, "Auth profile \"%s\" not found", a->id);
	const cJSON *u = doc_usage(doc, a->id);
	int64_t now = now_ms();
	struct avail av = avail_of(u, now);
	cJSON *o = a->out;
	cJSON_AddStringToObject(o, "profile", a->id);
	const cJSON *lu = cJSON_GetObjectItemCaseSensitive(u, "lastUsed");
	if (cJSON_IsNumber(lu))
		add_time(o, "last_used", lu->valuedouble);
	else
		cJSON_AddStringToObject(o, "last_used", "never");
	avail_to_json(&av, now, o);
	if (!av.reason)
		cJSON_AddStringToObject(o, "disabled_reason", "none");
	const cJSON *ec = cJSON_GetObjectItemCaseSensitive(u, "errorCount");
	cJSON_AddNumberToObject(o, "error_count", cJSON_IsNumber(ec) ? ec->valuedouble : 0);
	const cJSON *fc = cJSON_GetObjectItemCaseSensitive(u, "failureCounts");
	cJSON_AddItemToObject(o, "failures", cJSON_IsObject(fc) ? cJSON_Duplicate(fc, 1) : cJSON_CreateObject());
	return 0;
}

int usage_build(struct store *st, const char *id, cJSON **out, struct nv_err *err)
{
	struct usage_args a = { id, cJSON_CreateObject() };
	int rc = a.out ? store_read(st, usage_in_doc, &a, err) : nv_fail(err, ENOMEM, "out of memory");
	if (rc < 0)
		cJSON_Delete(a.out);
	else
		*out = a.out;
	return rc;
}

/* One "key: value" line per field, control bytes made visible (a
 * provider's message may carry escape sequences). */
static int block_put(struct out *o, const cJSON *entry)
{
	const cJSON *f;
	int rc = 0;
	cJSON_ArrayForEach(f, entry) {
		char *v = cJSON_IsString(f) ? NULL : cJSON_PrintUnformatted(f);
		if (rc == 0)
			rc = vis_put(o, f->string);
		if (rc == 0)
			rc = out_puts(o, ": ");
		if (rc == 0)
			rc = vis_put(o, v ? v : f->valuestring);
		if (rc == 0)
			rc = out_puts(o, "\n");
		cJSON_free(v);
	}
	return rc;
}

int status_text(const cJSON *entries, struct out *o)
{
	const cJSON *e;
	int rc = 0;
	if (cJSON_IsObject(entries))
		return block_put(o, entries);
	cJSON_ArrayForEach(e, entries) {
		if (rc == 0 && e != entries->child)
			rc = out_puts(o, "\n");
		if (rc == 0)
			rc = block_put(o, e);
	}
	return rc;
}
