/* SPEC 6. Sorting is stable (insertion sort on small lists), so ties keep
 * the base order. */
#include "store/order.h"
#include "store/config.h"
#include "store/profile.h"
#include "store/store.h"
#include "store/verdict.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void id_list_free(struct id_list *l)
{
	free(l->ids);
	memset(l, 0, sizeof(*l));
}

cJSON *id_list_json(const struct id_list *l)
{
	/* cJSON_CreateStringArray gives NULL for no strings */
	return l->n ? cJSON_CreateStringArray(l->ids, (int)l->n) : cJSON_CreateArray();
}

static int list_has(const struct id_list *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->ids[i], id) == 0)
			return 1;
	return 0;
}

static int list_push(struct id_list *l, const char *id)
{
	if (list_has(l, id))
		return 0;
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 8;
		const char **g = realloc(l->ids, nc * sizeof(*g));
		if (!g)
			return -ENOMEM;
		l->ids = g;
		l->cap = nc;
	}
	l->ids[l->n++] = id;
	return 0;
}

static int id_is_provider(const char *id, const char *provider)
{
	size_t n = strlen(provider);
	return strncmp(id, provider, n) == 0 && id[n] == ':';
}

static int push_strings(struct id_list *l, const cJSON *arr)
{
	const cJSON *e;
	int rc = 0;
	cJSON_ArrayForEach(e, arr)
		if (cJSON_IsString(e) && rc == 0)
			rc = list_push(l, e->valuestring);
	return rc;
}

/* Step 1: the base list. */
static int base_list(const cJSON *doc, const cJSON *config, const char *provider, struct id_list *l)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "order"), provider);
	if (!cJSON_IsArray(o))
		o = cJSON_GetObjectItemCaseSensitive(config_get(config, "auth.order"), provider);
	if (cJSON_IsArray(o)) {
		l->explicit_order = 1;
		return push_strings(l, o);
	}
	const cJSON *e;
	int rc = 0;
	cJSON_ArrayForEach(e, config_object(config, "auth.profiles")) {
		const char *p = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "provider"));
		if (rc == 0 && (p ? strcmp(p, provider) == 0 : id_is_provider(e->string, provider)))
			rc = list_push(l, e->string);
	}
	if (rc < 0 || l->n)
		return rc;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "profiles")) {
		const char *p = cred_provider(e);
		if (rc == 0 && p && strcmp(p, provider) == 0)
			rc = list_push(l, e->string);
	}
	return rc;
}

/* Step 2: is id usable for provider? */
static int keep(const cJSON *doc, const cJSON *config, const char *provider, const char *id, int64_t now)
{
	const cJSON *cred = doc_profile(doc, id);
	const char *p = cred_provider(cred);
	if (!cred || !p || strcmp(p, provider) != 0)
		return 0;
	return cred_verdict(cred, config, id, now) == USABLE;
}

/* A usageStats time as ms, or 0 when it is not a time after now. A
 * hand-made or foreign value may be anything JSON holds (1e300, a
 * number past int64): past EXPIRES_MAX it is EXPIRES_MAX, not an
 * undefined conversion. */
static int64_t later_than(const cJSON *t, int64_t now)
{
	if (!cJSON_IsNumber(t) || !(t->valuedouble > (double)now))
		return 0;
	return t->valuedouble >= (double)EXPIRES_MAX ? EXPIRES_MAX : (int64_t)t->valuedouble;
}

int64_t usage_unavailable_until(const cJSON *usage, int64_t now)
{
	int64_t c = later_than(cJSON_GetObjectItemCaseSensitive(usage, "cooldownUntil"), now);
	int64_t d = later_than(cJSON_GetObjectItemCaseSensitive(usage, "disabledUntil"), now);
	return c > d ? c : d;
}

struct ranked {
	const char *id;
	int64_t until;    /* 0 = available */
	int type_rank;    /* oauth 0, token 1, api_key 2 */
	double last_used;
};

static int ranked_before(const struct ranked *a, const struct ranked *b, int explicit_order)
{
	if (!!a->until != !!b->until)
		return !a->until;
	if (a->until)
		return a->until < b->until;
	if (explicit_order)
		return 0;
	if (a->type_rank != b->type_rank)
		return a->type_rank < b->type_rank;
	return a->last_used < b->last_used;
}

static void rank(const cJSON *doc, struct ranked *r, const char *id, int64_t now)
{
	const cJSON *cred = doc_profile(doc, id);
	const cJSON *usage = doc_usage(doc, id);
	const cJSON *lu = cJSON_GetObjectItemCaseSensitive(usage, "lastUsed");
	static const int type_rank[] = { 2, 1, 0 };
	enum cred_type t = cred_type_of(cred);
	r->id = id;
	r->until = usage_unavailable_until(usage, now);
	r->type_rank = t == CRED_NONE ? 3 : type_rank[t];
	r->last_used = cJSON_IsNumber(lu) ? lu->valuedouble : 0;
}

int order_resolve(const cJSON *doc, const cJSON *config, const char *provider,
		  const char *pin, int64_t now, struct id_list *out)
{
	struct id_list base = { 0 };
	memset(out, 0, sizeof(*out));
	int rc = base_list(doc, config, provider, &base);
	struct ranked *r = rc == 0 && base.n ? calloc(base.n, sizeof(*r)) : NULL;
	if (rc == 0 && base.n && !r)
		rc = -ENOMEM;
	size_t n = 0;
	for (size_t i = 0; rc == 0 && i < base.n; i++)
		if (keep(doc, config, provider, base.ids[i], now))
			rank(doc, &r[n++], base.ids[i], now);
	for (size_t i = 1; i < n; i++) { /* stable insertion sort */
		struct ranked x = r[i];
		size_t j = i;
		for (; j > 0 && ranked_before(&x, &r[j - 1], base.explicit_order); j--)
			r[j] = r[j - 1];
		r[j] = x;
	}
	out->explicit_order = base.explicit_order;
	if (rc == 0 && pin && keep(doc, config, provider, pin, now)) {
		for (size_t i = 0; i < n; i++)
			if (strcmp(r[i].id, pin) == 0)
				pin = r[i].id; /* borrow the document's copy */
		rc = list_push(out, pin);
	}
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = list_push(out, r[i].id);
	free(r);
	id_list_free(&base);
	if (rc < 0)
		id_list_free(out);
	return rc;
}

void order_count(const cJSON *doc, const char *provider, int64_t now, int *stored, int *expired)
{
	const cJSON *e;
	*stored = *expired = 0;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "profiles")) {
		const char *p = cred_provider(e);
		if (!p || strcmp(p, provider) != 0)
			continue;
		(*stored)++;
		int64_t exp = cred_expires(e);
		if (cred_type_of(e) == CRED_TOKEN && exp && exp <= now)
			(*expired)++;
	}
}

static const char *const reasons[] = { "rate_limit", "timeout", "auth", "billing", "format", "unknown" };

enum failure_reason failure_parse(const char *s)
{
	for (int i = 0; s && i < 6; i++)
		if (strcmp(s, reasons[i]) == 0)
			return (enum failure_reason)i;
	return FAIL_NONE;
}

const char *failure_name(enum failure_reason r)
{
	return r >= 0 && r <= FAIL_UNKNOWN ? reasons[r] : "none";
}

int64_t cooldown_ms(int n)
{
	int e = n - 1 < 0 ? 0 : n - 1 > 3 ? 3 : n - 1;
	int64_t ms = 60000;
	for (int i = 0; i < e; i++)
		ms *= 5;
	return ms < 3600000 ? ms : 3600000;
}

int64_t billing_ms(int n, double backoff_h, double max_h)
{
	int e = n - 1 < 0 ? 0 : n - 1 > 10 ? 10 : n - 1;
	double h = backoff_h * (double)(1 << e); /* e is 0..10 */
	if (h > max_h)
		h = max_h;
	return (int64_t)(h * 3600000.0);
}

static cJSON *obj_child(cJSON *parent, const char *key)
{
	cJSON *c = cJSON_GetObjectItemCaseSensitive(parent, key);
	if (!cJSON_IsObject(c)) {
		cJSON_DeleteItemFromObjectCaseSensitive(parent, key);
		c = cJSON_AddObjectToObject(parent, key);
	}
	return c;
}

static void set_num(cJSON *o, const char *k, double v)
{
	cJSON *n = cJSON_CreateNumber(v);
	if (cJSON_GetObjectItemCaseSensitive(o, k))
		cJSON_ReplaceItemInObjectCaseSensitive(o, k, n);
	else
		cJSON_AddItemToObject(o, k, n);
}

int usage_report_good(cJSON *doc, const char *id, const char *provider, int64_t now)
{
	cJSON *u = obj_child(obj_child(doc, "usageStats"), id);
	if (!u)
		return -ENOMEM;
	set_num(u, "lastUsed", (double)now);
	set_num(u, "errorCount", 0);
	static const char *const clear[] = { "cooldownUntil", "disabledUntil", "disabledReason", "failureCounts", "lastFailureAt" };
	for (int i = 0; i < 5; i++)
		cJSON_DeleteItemFromObjectCaseSensitive(u, clear[i]);
	cJSON *lg = obj_child(doc, "lastGood");
	cJSON_DeleteItemFromObjectCaseSensitive(lg, provider);
	cJSON_AddStringToObject(lg, provider, id);
	return 0;
}

int usage_report_failure(cJSON *doc, const cJSON *config, const char *id,
			 enum failure_reason reason, int64_t now)
{
	cJSON *u = obj_child(obj_child(doc, "usageStats"), id);
	if (!u)
		return -ENOMEM;
	double window = (double)config_int(config, "auth.cooldowns.failureWindowHours", 24) * 3600000.0;
	const cJSON *last = cJSON_GetObjectItemCaseSensitive(u, "lastFailureAt");
	cJSON *counts = obj_child(u, "failureCounts");
	if (cJSON_IsNumber(last) && now - last->valuedouble > window) {
		cJSON_DeleteItemFromObjectCaseSensitive(u, "failureCounts");
		counts = obj_child(u, "failureCounts");
		set_num(u, "errorCount", 0);
	}
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(counts, failure_name(reason));
	int n = (cJSON_IsNumber(c) ? (int)c->valuedouble : 0) + 1;
	const cJSON *ec = cJSON_GetObjectItemCaseSensitive(u, "errorCount");
	set_num(counts, failure_name(reason), n);
	set_num(u, "errorCount", (cJSON_IsNumber(ec) ? ec->valuedouble : 0) + 1);
	set_num(u, "lastFailureAt", (double)now);
	if (reason == FAIL_BILLING) {
		double b = (double)config_int(config, "auth.cooldowns.billingBackoffHours", 5);
		double m = (double)config_int(config, "auth.cooldowns.billingMaxHours", 24);
		set_num(u, "disabledUntil", (double)(now + billing_ms(n, b, m)));
		cJSON_DeleteItemFromObjectCaseSensitive(u, "disabledReason");
		cJSON_AddStringToObject(u, "disabledReason", "billing");
	} else {
		/* n counts failures of every cooldown kind in the window */
		int total = 0;
		const cJSON *e;
		cJSON_ArrayForEach(e, counts)
			if (strcmp(e->string, "billing") != 0 && cJSON_IsNumber(e))
				total += (int)e->valuedouble;
		set_num(u, "cooldownUntil", (double)(now + cooldown_ms(total)));
	}
	return 0;
}

int order_set(cJSON *doc, const char *provider, const char *const *ids, size_t n)
{
	cJSON *order = obj_child(doc, "order");
	cJSON *arr = cJSON_CreateArray();
	if (!order || !arr)
		return -ENOMEM;
	struct id_list seen = { 0 };
	for (size_t i = 0; i < n; i++)
		if (!list_has(&seen, ids[i]) && list_push(&seen, ids[i]) == 0)
			cJSON_AddItemToArray(arr, cJSON_CreateString(ids[i]));
	id_list_free(&seen);
	cJSON_DeleteItemFromObjectCaseSensitive(order, provider);
	cJSON_AddItemToObject(order, provider, arr);
	return 0;
}

int order_clear(cJSON *doc, const char *provider)
{
	cJSON *order = cJSON_GetObjectItemCaseSensitive(doc, "order");
	if (!cJSON_GetObjectItemCaseSensitive(order, provider))
		return 1;
	cJSON_DeleteItemFromObjectCaseSensitive(order, provider);
	return 0;
}

static void remove_from_arrays(cJSON *map, const char *id)
{
	cJSON *arr;
	cJSON_ArrayForEach(arr, map) {
		for (int i = cJSON_GetArraySize(arr) - 1; i >= 0; i--) {
			const char *s = cJSON_GetStringValue(cJSON_GetArrayItem(arr, i));
			if (s && strcmp(s, id) == 0)
				cJSON_DeleteItemFromArray(arr, i);
		}
	}
}

int profile_remove(cJSON *doc, const char *id)
{
	cJSON *profiles = cJSON_GetObjectItemCaseSensitive(doc, "profiles");
	if (!cJSON_GetObjectItemCaseSensitive(profiles, id))
		return 1;
	cJSON_DeleteItemFromObjectCaseSensitive(profiles, id);
	cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "usageStats"), id);
	remove_from_arrays(cJSON_GetObjectItemCaseSensitive(doc, "order"), id);
	cJSON *lg = cJSON_GetObjectItemCaseSensitive(doc, "lastGood");
	cJSON *e = lg ? lg->child : NULL;
	while (e) {
		cJSON *next = e->next;
		if (cJSON_IsString(e) && strcmp(e->valuestring, id) == 0)
			cJSON_Delete(cJSON_DetachItemViaPointer(lg, e));
		e = next;
	}
	return 0;
}
