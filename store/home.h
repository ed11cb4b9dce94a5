/* The state directory: where things live (SPEC 3), the loaded config,
 * the agents, and the store key. One per process; thread-safe. */
#ifndef NV_HOME_H
#define NV_HOME_H

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdatomic.h>
#include <time.h>

#include "store/error.h"
#include "store/txn.h"

#define AGENT_MAX 64

/* One version of the config, immutable once published and shared by
 * reference: a reader keeps what it got from home_config_get (and every
 * pointer into it, such as the ids order_resolve hands out) until it calls
 * config_snap_put, whatever reloads and edits publish meanwhile. The last
 * reference frees it. */
struct config_snap {
	const cJSON *json;        /* never NULL; never modified */
	atomic_int refs;
	struct timespec mtime;    /* the config file's when it was read; 0: none */
};

/* Opaque: only home.c knows the layout. */
struct home;

/* Resolve paths from the environment, load the env chain and config.
 * On error *out is NULL and err names the file (and line) at fault. */
int home_open(struct home **out, struct nv_err *err);
void home_free(struct home *h);

/* The same, but a malformed .env file still gives a home (with the error
 * returned and filled): doctor reports it with everything else. */
int home_open_tolerant(struct home **out, struct nv_err *err);

/* Where things are (SPEC 3): the state dir, the config file, and ./.env
 * as an absolute path ("" when the cwd was unknown; a daemon moves to /). */
const char *home_state_dir(const struct home *h);
const char *home_config_path(const struct home *h);
const char *home_cwd_env(const struct home *h);

/* Re-read .env files and config (SIGHUP). Keeps the old config on error. */
int home_reload(struct home *h, struct nv_err *err);

/* Re-read the config file alone (a daemon that saw it change on disk).
 * 1 when it differs from the one held (which it then replaces), 0 when
 * the same (this process wrote it), <0 on error (the old one is kept). */
int home_config_reload(struct home *h, struct nv_err *err);

/* The current config, held for the caller (never NULL). Release it with
 * config_snap_put; do not modify it. */
struct config_snap *home_config_get(struct home *h);
void config_snap_put(struct config_snap *s);  /* NULL does nothing */

/* A provider a user typed, normalised into out[PROVIDER_MAX + 1] and
 * known (provider_known against this config); EINVAL with the reason. */
int home_provider(struct home *h, const char *given, char *out, struct nv_err *err);

/* Default agent id: config agents.default, else "main". */
void home_default_agent(struct home *h, char out[AGENT_MAX + 1]);

/* Validate an agent id (NULL: the default) and check it is known: the
 * default, in agents.list, or with an existing agent dir. */
int home_agent_resolve(struct home *h, const char *agent, char out[AGENT_MAX + 1], struct nv_err *err);

/* Just the id pattern [a-z0-9][a-z0-9_-]{0,63}. */
int agent_id_check(const char *agent, struct nv_err *err);

/* The agent dir (SPEC 3). */
void home_agent_dir(struct home *h, const char *agent, char *out, size_t cap);

/* Every known agent id, sorted, deduplicated; free with home_agents_free. */
int home_agents(struct home *h, char ***ids, size_t *n);
void home_agents_free(char **ids, size_t n);

/* The store key of this process (keyring.h). Owned by h. */
struct keyring *home_keyring(struct home *h);

/* Change the config under its lock (txn.h): re-read from disk, fn edits,
 * save, publish. fn returns 0 to save, 1 for "no change" (the config read
 * is published, nothing written), <0 to abort. */
typedef txn_edit_fn config_edit_fn;
int home_config_change(struct home *h, config_edit_fn fn, void *arg, struct nv_err *err);

/* A change of something else (a store) that must happen with a config
 * change or not at all (struct txn_also): its then() runs under the config
 * lock after fn edited the config and before it is saved. Lock order: the
 * config lock, then the store's. */
int home_config_txn(struct home *h, config_edit_fn fn, void *arg, const struct txn_also *also, struct nv_err *err);

#endif
