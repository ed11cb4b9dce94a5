/* Which type the shared config may pin for a profile id (config_mode.h). */
#include "store/config_mode.h"
#include "store/backend.h"
#include "store/config.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

struct scan {
	struct home *home;
	const char *writer, *id;
	enum cred_type t;
	int disagree;   /* another agent stores id as another type, or cannot be read */
};

static int type_in_doc(const cJSON *doc, void *arg, struct nv_err *err)
{
	struct scan *s = arg;
	(void)err;
	const cJSON *cred = doc_profile(doc, s->id);
	if (cred && cred_type_of(cred) != s->t)
		s->disagree = 1;
	return 0;
}

static int scan_agent(const char *agent, void *arg)
{
	struct scan *s = arg;
	struct store *st;
	if (s->disagree || strcmp(agent, s->writer) == 0)
		return 0;
	if (store_open(s->home, agent, &st, NULL) < 0 || store_read(st, type_in_doc, s, NULL) < 0)
		s->disagree = 1; /* unknown: a pin might drop what it holds */
	store_free(st);
	return 0;
}

/* Every agent the file layout or config knows, and those only the etcd
 * backend holds. */
static void scan_agents(struct scan *s)
{
	char **ids;
	size_t n;
	if (home_agents(s->home, &ids, &n) < 0) {
		s->disagree = 1;
		return;
	}
	for (size_t i = 0; i < n; i++)
		scan_agent(ids[i], s);
	home_agents_free(ids, n);
	struct backend *be;
	if (backend_of(s->home, &be, NULL) < 0 || backend_agents(be, scan_agent, s, NULL) < 0)
		s->disagree = 1;
}

enum cred_type config_mode_after_put(struct home *h, const char *agent, const char *id, enum cred_type t,
				     const cJSON *entry)
{
	const char *mode = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(entry, "mode"));
	enum cred_type now = mode ? cred_type_parse(mode) : CRED_NONE;
	if (now == t)
		return t;
	if (cJSON_IsObject(entry) && !mode)
		return CRED_NONE;
	struct scan s = { h, agent, id, t, 0 };
	scan_agents(&s);
	return s.disagree ? CRED_NONE : t;
}

static int unpin_in_config(cJSON *cfg, void *arg, struct nv_err *err)
{
	(void)err;
	cJSON *entry = cJSON_GetObjectItemCaseSensitive(config_get(cfg, "auth.profiles"), arg);
	if (!cJSON_GetObjectItemCaseSensitive(entry, "mode"))
		return 1; /* gone already: nothing to save */
	cJSON_DeleteItemFromObjectCaseSensitive(entry, "mode");
	return 0;
}

int config_mode_unpin(struct home *h, const char *id, struct nv_err *err)
{
	return home_config_change(h, unpin_in_config, (void *)id, err);
}
