/* Paths, agents, config and key for one process. */
#include "store/home.h"
#include "store/backend.h"
#include "store/config.h"
#include "store/env.h"
#include "store/fileio.h"
#include "store/keyring.h"
#include "store/provider.h"
#include "store/secmem.h"
#include "store/txn.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct home {
	char state_dir[PATH_MAX];
	char config_path[PATH_MAX];
	pthread_mutex_t mu;       /* guards the config pointer and backend */
	struct config_snap *config;/* the current version: read it with home_config_get */
	struct keyring *keys;     /* the store key (keyring.h) */
	char cwd_env[PATH_MAX];   /* ./.env as an absolute path (a daemon moves to /) */
	struct backend *backend;  /* where stores live (backend.h); made on first use, under mu */
	atomic_uint backend_gen;  /* bumped when a config change replaces it */
	struct timespec txn_mtime;/* of the config a transaction read (its lock held) */
};

const char *home_state_dir(const struct home *h) { return h->state_dir; }
const char *home_config_path(const struct home *h) { return h->config_path; }
const char *home_cwd_env(const struct home *h) { return h->cwd_env; }

/* $HOME, else the password database: a program started with an empty
 * environment (OpenClaw's exec providers) must not take its cwd for home. */
static const char *home_dir(void)
{
	const char *hd = getenv("HOME");
	if (hd && *hd)
		return hd;
	struct passwd *pw = getpwuid(getuid());
	return pw && pw->pw_dir && *pw->pw_dir ? pw->pw_dir : "/";
}

static void resolve_paths(struct home *h)
{
	const char *sd = getenv("NOVA_ENGINE_STATE_DIR");
	const char *hd = home_dir();
	if (sd && *sd)
		snprintf(h->state_dir, sizeof(h->state_dir), "%s", sd);
	else
		snprintf(h->state_dir, sizeof(h->state_dir), "%s/.nova-engine", strcmp(hd, "/") ? hd : "");
	const char *cp = getenv("NOVA_ENGINE_CONFIG_PATH");
	if (cp && *cp)
		snprintf(h->config_path, sizeof(h->config_path), "%s", cp);
	else
		snprintf(h->config_path, sizeof(h->config_path), "%s/nova-engine.json", h->state_dir);
}

static int open_home(struct home **out, int tolerant, struct nv_err *err);
static int sealed_store_exists(void *arg, struct nv_err *err);

/* A snapshot owning json (freed, and NULL returned, when out of memory)
 * of the config file as it was at mtime. */
static struct config_snap *snap_new(cJSON *json, struct timespec mtime)
{
	struct config_snap *s = json ? malloc(sizeof(*s)) : NULL;
	if (!s) {
		cJSON_Delete(json);
		return NULL;
	}
	s->json = json;
	s->mtime = mtime;
	atomic_init(&s->refs, 1);
	return s;
}

struct config_snap *home_config_get(struct home *h)
{
	/* the count goes up under mu: a publisher swaps under mu too, so a
	 * snapshot is never freed between reading the pointer and holding it */
	pthread_mutex_lock(&h->mu);
	struct config_snap *s = h->config;
	atomic_fetch_add(&s->refs, 1);
	pthread_mutex_unlock(&h->mu);
	return s;
}

void config_snap_put(struct config_snap *s)
{
	if (s && atomic_fetch_sub(&s->refs, 1) == 1) {
		cJSON_Delete((cJSON *)s->json);
		free(s);
	}
}

static void swap_in(struct home *h, struct config_snap *s)
{
	pthread_mutex_lock(&h->mu);
	struct config_snap *old = h->config;
	h->config = s;
	pthread_mutex_unlock(&h->mu);
	config_snap_put(old);
	/* new store settings (store migrate, an edit, SIGHUP): the stores follow.
	 * Wrong ones keep the old backend; doctor and every command name them. */
	backend_follow(h, NULL);
}

/* Make json (consumed) the current config; readers of the old one keep it
 * until they let go. */
static int config_publish(struct home *h, cJSON *json, struct timespec mtime, struct nv_err *err)
{
	struct config_snap *s = snap_new(json, mtime);
	if (!s)
		return nv_fail(err, ENOMEM, "out of memory");
	swap_in(h, s);
	return 0;
}

int home_open(struct home **out, struct nv_err *err)
{
	return open_home(out, 0, err);
}

int home_open_tolerant(struct home **out, struct nv_err *err)
{
	return open_home(out, 1, err);
}

static int open_home(struct home **out, int tolerant, struct nv_err *err)
{
	*out = NULL;
	struct home *h = calloc(1, sizeof(*h));
	if (!h)
		return nv_fail(err, ENOMEM, "out of memory");
	pthread_mutex_init(&h->mu, NULL);
	resolve_paths(h);
	cJSON *cfg;
	struct timespec mtime;
	int rc = config_load(h->config_path, &cfg, &mtime, err);
	if (rc == 0 && !(h->config = snap_new(cfg, mtime)))
		rc = nv_fail(err, ENOMEM, "out of memory");
	char cwd[PATH_MAX];
	if (getcwd(cwd, sizeof(cwd)))
		snprintf(h->cwd_env, sizeof(h->cwd_env), "%s/.env", strcmp(cwd, "/") ? cwd : "");
	int env_rc = rc == 0 ? env_load(h->cwd_env[0] ? h->cwd_env : NULL, h->state_dir, h->config->json, err) : 0;
	if (rc < 0 || (env_rc < 0 && !tolerant)) {
		home_free(h);
		return rc < 0 ? rc : env_rc;
	}
	/* <state>/.env may name another config or key (./.env may not):
	 * resolve once more. */
	char before[PATH_MAX];
	snprintf(before, sizeof(before), "%s", h->config_path);
	resolve_paths(h);
	if (strcmp(before, h->config_path) != 0) {
		if ((rc = config_load(h->config_path, &cfg, &mtime, err)) < 0 ||
		    (rc = config_publish(h, cfg, mtime, err)) < 0) {
			home_free(h);
			return rc;
		}
	}
	if (!(h->keys = keyring_new(h->state_dir, sealed_store_exists, h))) {
		home_free(h);
		return nv_fail(err, ENOMEM, "out of memory");
	}
	*out = h;
	return env_rc;
}

void home_free(struct home *h)
{
	if (!h)
		return;
	config_snap_put(h->config);
	keyring_free(h->keys);
	backend_free(h->backend);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

int home_reload(struct home *h, struct nv_err *err)
{
	cJSON *cfg;
	struct timespec mtime;
	int rc = config_load(h->config_path, &cfg, &mtime, err);
	if (rc < 0)
		return rc;
	env_load(h->cwd_env[0] ? h->cwd_env : NULL, h->state_dir, cfg, err);
	return config_publish(h, cfg, mtime, err);
}

int home_config_reload(struct home *h, struct nv_err *err)
{
	cJSON *cfg;
	struct timespec mtime;
	int rc = config_load(h->config_path, &cfg, &mtime, err);
	if (rc < 0)
		return rc;
	struct config_snap *cur = home_config_get(h);
	int differs = !cJSON_Compare(cur->json, cfg, 1);
	config_snap_put(cur);
	if (!differs) {
		cJSON_Delete(cfg);
		return 0;
	}
	rc = config_publish(h, cfg, mtime, err);
	return rc < 0 ? rc : 1;
}

int agent_id_check(const char *a, struct nv_err *err)
{
	size_t n = strlen(a);
	int ok = n >= 1 && n <= AGENT_MAX && (islower((unsigned char)a[0]) || isdigit((unsigned char)a[0]));
	for (size_t i = 1; ok && i < n; i++)
		ok = islower((unsigned char)a[i]) || isdigit((unsigned char)a[i]) || a[i] == '_' || a[i] == '-';
	if (!ok)
		return nv_fail(err, EINVAL, "invalid agent id \"%.80s\": use 1-64 characters a-z 0-9 _ -, starting with a letter or digit", a);
	return 0;
}

static void default_agent_in(const cJSON *cfg, char out[AGENT_MAX + 1])
{
	const char *d = cJSON_GetStringValue(config_get(cfg, "agents.default"));
	snprintf(out, AGENT_MAX + 1, "%s", d && agent_id_check(d, NULL) == 0 ? d : "main");
}

void home_default_agent(struct home *h, char out[AGENT_MAX + 1])
{
	struct config_snap *c = home_config_get(h);
	default_agent_in(c->json, out);
	config_snap_put(c);
}

/* agents.list entry for agent in cfg, or NULL. */
static const cJSON *agent_entry(const cJSON *cfg, const char *agent)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, config_array(cfg, "agents.list")) {
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "id"));
		if (id && strcmp(id, agent) == 0)
			return e;
	}
	return NULL;
}

void home_agent_dir(struct home *h, const char *agent, char *out, size_t cap)
{
	char dflt[AGENT_MAX + 1];
	struct config_snap *c = home_config_get(h);
	default_agent_in(c->json, dflt);
	const char *env = getenv("NOVA_ENGINE_AGENT_DIR");
	const char *dir = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(agent_entry(c->json, agent), "agentDir"));
	if (dir && *dir)
		snprintf(out, cap, "%s", dir);
	else if (env && *env && strcmp(agent, dflt) == 0)
		snprintf(out, cap, "%s", env);
	else
		snprintf(out, cap, "%s/agents/%s/agent", h->state_dir, agent);
	config_snap_put(c);
}

int home_agent_resolve(struct home *h, const char *agent, char out[AGENT_MAX + 1], struct nv_err *err)
{
	char dflt[AGENT_MAX + 1];
	home_default_agent(h, dflt);
	if (!agent) {
		memcpy(out, dflt, sizeof(dflt));
		return 0;
	}
	int rc = agent_id_check(agent, err);
	if (rc < 0)
		return rc;
	struct config_snap *c = home_config_get(h);
	int known = strcmp(agent, dflt) == 0 || agent_entry(c->json, agent);
	config_snap_put(c);
	char dir[PATH_MAX];
	struct stat st;
	home_agent_dir(h, agent, dir, sizeof(dir));
	if (!known && stat(dir, &st) != 0)
		return nv_fail(err, ENOENT, "unknown agent \"%s\": add {\"id\": \"%s\"} to agents.list in %s", agent, agent, h->config_path);
	snprintf(out, AGENT_MAX + 1, "%s", agent);
	return 0;
}

static int add_id(char ***ids, size_t *n, size_t *cap, const char *id)
{
	if (agent_id_check(id, NULL) < 0)
		return 0;
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		char **g = realloc(*ids, nc * sizeof(**ids));
		if (!g)
			return -ENOMEM;
		*ids = g;
		*cap = nc;
	}
	if (!((*ids)[*n] = strdup(id)))
		return -ENOMEM;
	(*n)++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int home_agents(struct home *h, char ***ids_out, size_t *n_out)
{
	char **ids = NULL;
	size_t n = 0, cap = 0;
	char dflt[AGENT_MAX + 1], dir[PATH_MAX];
	struct config_snap *c = home_config_get(h);
	default_agent_in(c->json, dflt);
	int rc = add_id(&ids, &n, &cap, dflt);
	const cJSON *e;
	cJSON_ArrayForEach(e, config_array(c->json, "agents.list")) {
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "id"));
		if (id && rc == 0)
			rc = add_id(&ids, &n, &cap, id);
	}
	config_snap_put(c);
	snprintf(dir, sizeof(dir), "%s/agents", h->state_dir);
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && rc == 0 && (de = readdir(d)))
		if (de->d_name[0] != '.')
			rc = add_id(&ids, &n, &cap, de->d_name);
	if (d)
		closedir(d);
	qsort(ids, n, sizeof(*ids), cmp_str);
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		if (w && strcmp(ids[w - 1], ids[i]) == 0)
			free(ids[i]);
		else
			ids[w++] = ids[i];
	}
	*ids_out = ids;
	*n_out = w;
	return rc;
}

void home_agents_free(char **ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

/* Whether a sealed store exists in the backend (any agent): the key
 * that opens it exists somewhere, so a new one must not be made. */
static int sealed_store_exists(void *arg, struct nv_err *err)
{
	struct home *h = arg;
	struct backend *b;
	int rc = backend_of(h, &b, err);
	return rc < 0 ? rc : backend_sealed_any(b, h, err);
}

struct keyring *home_keyring(struct home *h)
{
	return h->keys;
}

/* A home's backend is kept here, not in backend.c (which knows backends,
 * not homes): made on first use from the config of the moment, replaced
 * when a published config names another, under the home's lock. */
int backend_of(struct home *h, struct backend **out, struct nv_err *err)
{
	int rc = 0;
	struct config_snap *cfg = home_config_get(h);
	pthread_mutex_lock(&h->mu);
	if (!h->backend)
		rc = backend_configured(cfg->json, &h->backend, err);
	*out = h->backend;
	pthread_mutex_unlock(&h->mu);
	config_snap_put(cfg);
	return rc;
}

int backend_follow(struct home *h, struct nv_err *err)
{
	struct config_snap *cfg = home_config_get(h);
	pthread_mutex_lock(&h->mu);
	/* not made yet: it will be, from this config */
	int same = !h->backend || !backend_differs(h->backend, cfg->json);
	pthread_mutex_unlock(&h->mu);
	struct backend *b = NULL;
	int rc = same ? 0 : backend_configured(cfg->json, &b, err);
	if (b) {
		pthread_mutex_lock(&h->mu);
		backend_retire(b, h->backend);  /* open stores and the watch move over on their next use */
		h->backend = b;
		h->backend_gen++;
		pthread_mutex_unlock(&h->mu);
		rc = 1;
	}
	config_snap_put(cfg);
	return rc;
}

unsigned backend_generation(struct home *h)
{
	return h->backend_gen;
}

int home_config_change(struct home *h, config_edit_fn fn, void *arg, struct nv_err *err)
{
	return home_config_txn(h, fn, arg, NULL, err);
}

static int config_lock(void *self, struct nv_err *err)
{
	struct home *h = self;
	char lock[PATH_MAX + 8], dir[PATH_MAX];
	path_dirname(h->config_path, dir, sizeof(dir));
	snprintf(lock, sizeof(lock), "%s.lock", h->config_path);
	return txn_flock(dir, lock, err);
}

static int config_read(void *self, cJSON **cfg, struct nv_err *err)
{
	struct home *h = self;
	return config_load(h->config_path, cfg, &h->txn_mtime, err);
}

/* Write, then publish. The snapshot is made first: once the file is
 * written, publishing cannot fail (a failure after the write would undo
 * what went with it while the config on disk says it happened). */
static int config_write(void *self, cJSON *cfg, struct nv_err *err)
{
	struct home *h = self;
	struct config_snap *s = malloc(sizeof(*s));
	if (!s)
		return nv_fail(err, ENOMEM, "out of memory");
	int rc = config_save(h->config_path, cfg, err);
	if (rc < 0) {
		free(s);
		return rc;
	}
	struct file_stamp now; /* the file is ours until the txn lock goes */
	file_stamp_get(h->config_path, &now);
	s->json = cfg;
	s->mtime = now.mtime;
	atomic_init(&s->refs, 1);
	swap_in(h, s);
	return 0;
}

/* Unchanged: what was read is the config now (another process may have
 * written it since this one last looked). */
static int config_keep(void *self, cJSON *cfg, struct nv_err *err)
{
	struct home *h = self;
	return config_publish(h, cfg, h->txn_mtime, err);
}

static const struct txn_doc config_doc = {
	config_lock, txn_funlock, config_read, config_write, config_keep, 0,
};

int home_config_txn(struct home *h, config_edit_fn fn, void *arg, const struct txn_also *also, struct nv_err *err)
{
	int rc = txn_run(&config_doc, h, fn, arg, also, err);
	return rc < 0 ? rc : 0;
}

int home_provider(struct home *h, const char *given, char *out, struct nv_err *err)
{
	int rc = provider_normalize(given, out, err);
	if (rc < 0)
		return rc;
	struct config_snap *c = home_config_get(h);
	rc = provider_known(c->json, out, err);
	config_snap_put(c);
	return rc;
}
