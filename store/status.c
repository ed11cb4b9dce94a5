/* Status entries. Times are shown both as ISO 8601 and as time left, so a
 * person and a script (`grep '^state:'`) both get what they need. */
#include "store/status.h"
#include "store/config.h"
#include "store/env.h"
#include "store/health.h"
#include "store/order.h"
#include "store/profile.h"
#include "store/timefmt.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void add_time(cJSON *o, const char *key, double ms)
{
	char buf[32];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	cJSON_AddStringToObject(o, key, buf);
}

static cJSON *entry(const cJSON *doc, const char *id, const cJSON *cred, int position, int64_t now)
{
	const cJSON *usage = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "usageStats"), id);
	struct health h = health_of(cred, usage, now);
	cJSON *o = cJSON_CreateObject();
	char mask[MASK_MAX], left[16];
	secret_mask(cred_secret(cred), mask);
	cJSON_AddStringToObject(o, "profile", id);
	cJSON_AddStringToObject(o, "type", cred_type_name(cred_type_of(cred)));
	cJSON_AddStringToObject(o, "source", "store");
	cJSON_AddStringToObject(o, "secret", mask);
	cJSON_AddStringToObject(o, "state", health_label(&h));
	if (cred_expires(cred)) {
		add_time(o, "expires", (double)cred_expires(cred));
		duration_format(h.left_ms, left, sizeof(left));
		cJSON_AddStringToObject(o, "expires_in", h.left_ms > 0 ? left : "expired");
	}
	int64_t until = usage_unavailable_until(usage, now);
	if (until) {
		duration_format(until - now, left, sizeof(left));
		cJSON_AddStringToObject(o, "cooldown", left);
		add_time(o, "available_at", (double)until);
		const char *why = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(usage, "disabledReason"));
		if (why)
			cJSON_AddStringToObject(o, "disabled_reason", why);
	} else {
		cJSON_AddStringToObject(o, "cooldown", "none");
	}
	cJSON_AddBoolToObject(o, "usable", position >= 0);
	if (position >= 0)
		cJSON_AddNumberToObject(o, "position", position + 1);
	cJSON_AddBoolToObject(o, "next", position == 0);
	return o;
}

struct build_args {
	struct home *home;
	const char *provider, *id;
	cJSON *out;
};

static int in_list(const struct id_list *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->ids[i], id) == 0)
			return (int)i;
	return -1;
}

static void add_env(cJSON *out, const char *provider, int first)
{
	const char *var;
	const char *v = env_credential(provider, &var);
	if (!v)
		return;
	char mask[MASK_MAX], name[128];
	secret_mask(v, mask);
	snprintf(name, sizeof(name), "env:%s", var);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "profile", name);
	cJSON_AddStringToObject(o, "type", "api_key");
	cJSON_AddStringToObject(o, "source", "env");
	cJSON_AddStringToObject(o, "secret", mask);
	cJSON_AddStringToObject(o, "state", "static");
	cJSON_AddStringToObject(o, "cooldown", "none");
	cJSON_AddBoolToObject(o, "usable", 1);
	cJSON_AddBoolToObject(o, "next", first);
	cJSON_AddItemToArray(out, o);
}

static int build_in_doc(const cJSON *doc, void *arg, struct nv_err *err)
{
	struct build_args *a = arg;
	int64_t now = now_ms();
	struct id_list l;
	pthread_mutex_lock(&a->home->mu);
	int rc = order_resolve(doc, a->home->config, a->provider, NULL, now, &l);
	pthread_mutex_unlock(&a->home->mu);
	if (rc < 0)
		return nv_fail(err, ENOMEM, "out of memory");
	const cJSON *profiles = cJSON_GetObjectItemCaseSensitive(doc, "profiles");
	for (size_t i = 0; i < l.n; i++)
		if (!a->id || strcmp(a->id, l.ids[i]) == 0)
			cJSON_AddItemToArray(a->out, entry(doc, l.ids[i], cJSON_GetObjectItemCaseSensitive(profiles, l.ids[i]), (int)i, now));
	const cJSON *e;
	cJSON_ArrayForEach(e, profiles) {
		const char *p = cred_provider(e);
		if (p && strcmp(p, a->provider) == 0 && in_list(&l, e->string) < 0 && (!a->id || strcmp(a->id, e->string) == 0))
			cJSON_AddItemToArray(a->out, entry(doc, e->string, e, -1, now));
	}
	if (!a->id)
		add_env(a->out, a->provider, l.n == 0);
	id_list_free(&l);
	return 0;
}

int status_build(struct store *st, const char *provider, const char *id, cJSON **out, struct nv_err *err)
{
	struct build_args a = { store_home(st), provider, id, cJSON_CreateArray() };
	int rc = a.out ? store_read(st, build_in_doc, &a, err) : nv_fail(err, ENOMEM, "out of memory");
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
	if (!cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "profiles"), a->id))
		return nv_fail(err, ENOENT, "Auth profile \"%s\" not found", a->id);
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "usageStats"), a->id);
	int64_t now = now_ms(), until = usage_unavailable_until(u, now);
	cJSON *o = a->out;
	char left[16];
	cJSON_AddStringToObject(o, "profile", a->id);
	const cJSON *lu = cJSON_GetObjectItemCaseSensitive(u, "lastUsed");
	if (cJSON_IsNumber(lu))
		add_time(o, "last_used", lu->valuedouble);
	else
		cJSON_AddStringToObject(o, "last_used", "never");
	duration_format(until - now, left, sizeof(left));
	cJSON_AddStringToObject(o, "cooldown", until ? left : "none");
	if (until)
		add_time(o, "available_at", (double)until);
	const char *why = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(u, "disabledReason"));
	cJSON_AddStringToObject(o, "disabled_reason", why ? why : "none");
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

static size_t block_len(const cJSON *o)
{
	size_t n = 2;
	const cJSON *f;
	cJSON_ArrayForEach(f, o) {
		char *v = cJSON_IsString(f) ? NULL : cJSON_PrintUnformatted(f);
		n += strlen(f->string) + 3 + (v ? strlen(v) : strlen(f->valuestring));
		cJSON_free(v);
	}
	return n;
}

static char *block_put(char *p, const cJSON *o)
{
	const cJSON *f;
	cJSON_ArrayForEach(f, o) {
		char *v = cJSON_IsString(f) ? NULL : cJSON_PrintUnformatted(f);
		p += sprintf(p, "%s: %s\n", f->string, v ? v : f->valuestring);
		cJSON_free(v);
	}
	return p;
}

char *status_text(const cJSON *entries)
{
	size_t n = 1;
	const cJSON *o;
	int single = cJSON_IsObject(entries);
	if (single)
		n += block_len(entries);
	else
		cJSON_ArrayForEach(o, entries)
			n += block_len(o);
	char *buf = cJSON_malloc(n), *p = buf;
	if (!buf)
		return NULL;
	*p = '\0';
	if (single)
		return block_put(p, entries), buf;
	cJSON_ArrayForEach(o, entries) {
		if (p != buf)
			*p++ = '\n';
		p = block_put(p, o);
	}
	*p = '\0';
	return buf;
}
