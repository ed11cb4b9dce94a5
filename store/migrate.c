/* Moving stores between backends: source is the backend that is not the
 * target, both made from this host's config. Each agent is read (opened
 * with its old associated data), written through store_change on the
 * target (sealed with the new one: an etcd key, or the agent id for a
 * file), read back and compared. Config changes last, once all moved. */
#include "store/migrate.h"
#include "store/backend.h"
#include "store/config.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct agent_set {
	char (*ids)[AGENT_MAX + 1];
	size_t n, cap;
};

static int add_agent(const char *agent, void *arg)
{
	struct agent_set *s = arg;
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->ids[i], agent))
			return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		void *p = realloc(s->ids, cap * sizeof(*s->ids));
		if (!p)
			return -ENOMEM;
		s->ids = p;
		s->cap = cap;
	}
	snprintf(s->ids[s->n++], AGENT_MAX + 1, "%s", agent);
	return 0;
}

static int copy_doc(const cJSON *doc, void *arg, struct nv_err *err)
{
	return (*(cJSON **)arg = cJSON_Duplicate(doc, 1)) ? 0 : nv_fail(err, ENOMEM, "out of memory");
}

static int is_empty(const cJSON *doc)
{
	const cJSON *k;
	cJSON_ArrayForEach(k, doc)
		if (cJSON_IsObject(k) && cJSON_GetArraySize(k) > 0)
			return 0;
	return 1;
}

struct put_args {
	const cJSON *src;
	const char *agent, *where;
};

/* Replace an empty target with src; an identical one is "no change". */
static int put_doc(cJSON *doc, void *arg, struct nv_err *err)
{
	struct put_args *a = arg;
	if (cJSON_Compare(doc, a->src, 1))
		return 1;
	if (!is_empty(doc))
		return nv_fail(err, EEXIST, "%s already holds a different store for agent %s: not overwritten (move or remove it first)",
			       a->where, a->agent);
	while (doc->child)
		cJSON_Delete(cJSON_DetachItemViaPointer(doc, doc->child));
	const cJSON *k;
	cJSON_ArrayForEach(k, a->src)
		cJSON_AddItemToObject(doc, k->string, cJSON_Duplicate(k, 1));
	return 0;
}

static int move_one(struct home *h, struct backend *from, struct backend *to, const char *agent,
		    struct migrate_result *r, struct nv_err *err)
{
	struct store *src = NULL, *dst = NULL;
	cJSON *doc = NULL, *back = NULL;
	int rc = store_open_on(h, from, agent, &src, err);
	if (rc == 0)
		rc = store_open_on(h, to, agent, &dst, err);
	if (rc == 0)
		rc = store_read(src, copy_doc, &doc, err);
	if (rc == 0 && is_empty(doc))
		goto done;  /* nothing stored for this agent */
	struct put_args a = { doc, agent, dst ? store_path(dst) : "" };
	if (rc == 0)
		rc = store_change(dst, put_doc, &a, err);
	int written = rc == 0;
	if (rc >= 0)
		rc = store_read(dst, copy_doc, &back, err);
	if (rc == 0 && !cJSON_Compare(back, doc, 1))
		rc = nv_fail(err, EIO, "%s does not read back as written for agent %s: nothing switched", store_path(dst), agent);
	if (rc == 0)
		written ? r->moved++ : r->same++;
done:
	cJSON_Delete(doc);
	cJSON_Delete(back);
	store_free(src);
	store_free(dst);
	return rc;
}

static int set_backend(cJSON *cfg, void *arg, struct nv_err *err)
{
	cJSON *store = config_obj(cfg, "store");
	if (!store)
		return nv_fail(err, ENOMEM, "out of memory");
	const char *now = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(store, "backend"));
	if (now ? !strcmp(now, arg) : !strcmp(arg, "file"))
		return 1;
	cJSON_DeleteItemFromObjectCaseSensitive(store, "backend");
	cJSON_AddStringToObject(store, "backend", arg);
	return 0;
}

int store_migrate(struct home *h, const char *to, struct migrate_result *r, struct nv_err *err)
{
	if (!to || (strcmp(to, "etcd") && strcmp(to, "file")))
		return nv_fail(err, EINVAL, "store migrate --to takes etcd or file");
	memset(r, 0, sizeof(*r));
	struct config_snap *cfg = home_config_get(h);
	struct backend *from = NULL, *dst = NULL;
	int rc = backend_make(cfg->json, strcmp(to, "etcd") ? "etcd" : "file", &from, err);
	if (rc == 0)
		rc = backend_make(cfg->json, to, &dst, err);
	config_snap_put(cfg);
	struct agent_set set = { 0 };
	char **ids = NULL;
	size_t n = 0;
	if (rc == 0 && (rc = home_agents(h, &ids, &n)) == 0)
		for (size_t i = 0; rc == 0 && i < n; i++)
			rc = add_agent(ids[i], &set);
	home_agents_free(ids, n);
	if (rc == 0)
		rc = backend_agents(from, add_agent, &set, err);
	for (size_t i = 0; rc == 0 && i < set.n; i++)
		rc = move_one(h, from, dst, set.ids[i], r, err);
	if (rc == 0 && (rc = home_config_change(h, set_backend, (void *)to, err)) > 0)
		rc = 0;
	if (rc == -ENOMEM && !err->msg[0])
		nv_fail(err, ENOMEM, "out of memory");
	free(set.ids);
	backend_free(from);
	backend_free(dst);
	return rc;
}
