/* Typed rows of the stored credentials: the one place a credential's
 * facts are read out of the document for display. */
#include "store/rows.h"
#include "store/config.h"
#include "store/order.h"
#include "store/timefmt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int passes(const struct cred_filter *f, const char *id, const char *provider)
{
	if (!f)
		return 1;
	if (f->id && strcmp(f->id, id) != 0)
		return 0;
	return !f->provider || (provider && strcmp(provider, f->provider) == 0);
}

/* The part of id after "<provider>:" when it is a valid profile name. */
static const char *name_in(const char *id, const char *provider)
{
	const char *colon = strchr(id, ':');
	size_t pl = strlen(provider);
	if (!colon || !*provider || (size_t)(colon - id) != pl || strncmp(id, provider, pl) != 0)
		return "";
	return profile_name_check(colon + 1, NULL) == 0 ? colon + 1 : "";
}

static int64_t number(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

/* A copy of s (NULL stays NULL) into *out; 0 or -ENOMEM. */
static int copy(const char *s, const char **out)
{
	*out = s ? strdup(s) : NULL;
	return s && !*out ? -ENOMEM : 0;
}

static int fill(struct cred_row *r, const cJSON *doc, const cJSON *config, const cJSON *cred, int64_t now)
{
	const cJSON *usage = doc_usage(doc, cred->string);
	const char *p = cred_provider(cred) ? cred_provider(cred) : "";
	struct avail a = avail_of(usage, now);
	memset(r, 0, sizeof(*r));
	r->avail = a;
	r->id = strdup(cred->string);
	r->provider = strdup(p);
	r->name = strdup(name_in(cred->string, p));
	if (!r->id || !r->provider || !r->name || copy(a.reason, &r->avail.reason) < 0 ||
	    copy(a.message, &r->avail.message) < 0 || copy(cred_email(cred), (const char **)&r->email) < 0)
		return -ENOMEM;
	r->type = cred_type_of(cred);
	secret_mask(cred_secret(cred), r->mask);
	r->health = health_of(cred, usage, now);
	r->expires = cred_expires(cred);
	r->last_used = number(usage, "lastUsed");
	r->unusable = cred_verdict(cred, config, cred->string, now);
	r->servable = !(r->health.state == HEALTH_EXPIRED && !r->health.refreshable);
	r->check = r->type == CRED_API_KEY ? 0 : health_severity(&r->health);
	return 0;
}

/* Each row's place in its provider's effective order (one resolve per
 * provider). */
static int place(struct cred_row *rows, size_t n, const cJSON *doc, const cJSON *config, int64_t now)
{
	for (size_t i = 0; i < n; i++) {
		int seen = !*rows[i].provider;
		for (size_t j = 0; !seen && j < i; j++)
			seen = strcmp(rows[j].provider, rows[i].provider) == 0;
		if (seen)
			continue;
		struct id_list l;
		if (order_resolve(doc, config, rows[i].provider, NULL, now, &l) < 0)
			return -ENOMEM;
		for (size_t k = 0; k < l.n; k++)
			for (size_t j = i; j < n; j++)
				if (strcmp(rows[j].id, l.ids[k]) == 0)
					rows[j].position = (int)k + 1;
		id_list_free(&l);
	}
	return 0;
}

int cred_rows_of(const cJSON *doc, const cJSON *config, const struct cred_filter *f, int64_t now,
		 struct cred_row **rows, size_t *n)
{
	const cJSON *profiles = cJSON_GetObjectItemCaseSensitive(doc, "profiles"), *e;
	size_t cap = (size_t)cJSON_GetArraySize(profiles), k = 0;
	struct cred_row *r = cap ? calloc(cap, sizeof(*r)) : NULL;
	int rc = cap && !r ? -ENOMEM : 0;
	*rows = NULL;
	*n = 0;
	cJSON_ArrayForEach(e, profiles) {
		if (rc < 0 || !passes(f, e->string, cred_provider(e)))
			continue;
		rc = fill(&r[k++], doc, config, e, now);
	}
	if (rc == 0 && !(f && f->unordered))
		rc = place(r, k, doc, config, now);
	if (rc < 0) {
		cred_rows_free(r, k);
		return rc;
	}
	if (k == 0) {
		free(r);
		r = NULL;
	}
	*rows = r;
	*n = k;
	return 0;
}

void cred_rows_free(struct cred_row *rows, size_t n)
{
	for (size_t i = 0; rows && i < n; i++) {
		free(rows[i].id);
		free(rows[i].provider);
		free(rows[i].name);
		free(rows[i].email);
		free((char *)rows[i].avail.reason);
		free((char *)rows[i].avail.message);
	}
	free(rows);
}

struct list_args {
	struct home *home;
	const struct cred_filter *f;
	struct cred_row *rows;
	size_t n;
};

static int list_in_doc(const cJSON *doc, void *arg, struct nv_err *err)
{
	struct list_args *a = arg;
	struct config_snap *c = home_config_get(a->home); /* the order may name config ids */
	int rc = cred_rows_of(doc, c->json, a->f, now_ms(), &a->rows, &a->n);
	config_snap_put(c);
	return rc < 0 ? nv_fail(err, ENOMEM, "out of memory") : 0;
}

int creds_list(struct store *st, const struct cred_filter *f, struct cred_row **rows, size_t *n,
	       struct nv_err *err)
{
	struct list_args a = { store_home(st), f, NULL, 0 };
	*rows = NULL;  /* callers free what they got, also after an error */
	*n = 0;
	int rc = store_read(st, list_in_doc, &a, err);
	if (rc < 0)
		return rc;
	*rows = a.rows;
	*n = a.n;
	return 0;
}

struct has_args {
	const struct cred_filter *f;
	int found;
};

static int has_in_doc(const cJSON *doc, void *arg, struct nv_err *err)
{
	struct has_args *a = arg;
	const cJSON *e;
	(void)err;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "profiles"))
		if (passes(a->f, e->string, cred_provider(e)))
			return a->found = 1, 0;
	return 0;
}

int creds_has(struct store *st, const struct cred_filter *f, struct nv_err *err)
{
	struct has_args a = { f, 0 };
	int rc = store_read(st, has_in_doc, &a, err);
	return rc < 0 ? rc : a.found;
}
