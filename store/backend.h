/* Where sealed store bytes live: the seam between struct store (caching,
 * sealing, the change protocol) and a backend, chosen by config
 * store.backend (SPEC 14):
 *   file  <agentDir>/auth-profiles.json, flock beside it (the default)
 *   etcd  <prefix>/agents/<id>/store, compare-and-swap, etcd's lock service
 * A backend reads bytes with an identity (file: inode/size/times; etcd:
 * mod_revision), writes them over the identity it read (etcd refuses a
 * write over a changed key: -ESTALE; the file backend's writers hold the
 * flock, so it never does), and locks the store for a change that waits on
 * the network. Only store.c calls this. */
#ifndef NV_BACKEND_H
#define NV_BACKEND_H

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "store/error.h"
#include "store/fileio.h"
#include "store/home.h"

struct backend;

/* What one store is called in its backend. */
struct be_obj {
	char agent[AGENT_MAX + 1];
	char dir[PATH_MAX];          /* the agent dir (local state: sessions, locks) */
	char path[PATH_MAX];         /* file path, or "etcd:<key>" (for messages) */
	char lock_path[PATH_MAX];    /* file backend: the flock file */
	char key[PATH_MAX];          /* etcd backend: the key */
	char seal_name[PATH_MAX + AGENT_MAX + 2];  /* the associated data's agent part */
};

/* The identity of stored bytes. f.exists == 0: nothing stored. The file
 * backend fills f from stat; etcd sets f.ino to the mod_revision, f.size
 * to the value's length and f.mtime to when this process first saw it, so
 * that watchers of store_stamp see a change made on another host. */
struct store_ver {
	struct file_stamp f;
	int64_t rev;
};

/* A held lock: file: the flock fd; etcd: the lease and the lock key. */
struct be_lock {
	int fd;
	int64_t lease;
	char key[PATH_MAX];
};

/* The backend of h, made on first use from h's config and environment
 * (NOVA_ENGINE_ETCD_ENDPOINTS). Owned by h. Errors name the setting. */
int backend_of(struct home *h, struct backend **out, struct nv_err *err);
void backend_free(struct backend *b);   /* backend_free(NULL) does nothing */

/* After h's config changed: when its store settings (store.*, the
 * endpoints in the environment) differ from those h's backend was made
 * from, make the new backend h's and return 1 (the old one lives on until
 * home_free: stores opened on it and the daemon's watch move over at their
 * next use, seeing backend_generation change); 0 when the same; <0 when
 * the new settings are wrong (the old backend is kept). */
int backend_follow(struct home *h, struct nv_err *err);
unsigned backend_generation(struct home *h);

/* For home.c, which keeps a home's backend: the backend config store.*
 * names (owned by the caller); whether config names another one than b
 * was made from; b replaces old, which lives on as long as b does. */
int backend_configured(const cJSON *config, struct backend **out, struct nv_err *err);
int backend_differs(const struct backend *b, const cJSON *config);
void backend_retire(struct backend *b, struct backend *old);

/* A backend of the named kind ("file" or "etcd") from config, owned by the
 * caller (store migrate uses one of each). */
int backend_make(const cJSON *config, const char *name, struct backend **out, struct nv_err *err);

/* doctor's checks of the backend (etcd: each member answers, the quorum,
 * stores under the prefix, sealed with this host's key); each finding goes
 * to report. The file backend has none here (doctor checks files itself). */
typedef void (*backend_report_fn)(void *arg, const char *check, const char *severity, const char *subject,
				  const char *fix, const char *problem);
void backend_check(const struct backend *b, struct home *h, backend_report_fn report, void *arg);

/* etcd: every agent id with a store under the prefix, cb(id, arg) for each
 * (the file backend: nothing; home_agents lists those). */
int backend_agents(const struct backend *b, int (*cb)(const char *agent, void *arg), void *arg, struct nv_err *err);

const char *backend_name(const struct backend *b);  /* "file" or "etcd" */

void backend_object(const struct backend *b, struct home *h, const char *agent, struct be_obj *o);

/* Read o's bytes unless they are still *have: 1 "unchanged" (nothing
 * read), 0 with *text (secmem, NUL-terminated) and *now, -ENOENT when
 * nothing is stored (*now says so), or another error naming o. */
int backend_read(const struct backend *b, const struct be_obj *o, const struct store_ver *have, char **text,
		 size_t *len, struct store_ver *now, struct nv_err *err);

/* Write text over what *expect identified (etcd: CAS on it; fenced by the
 * lock l when non-NULL). *now: the identity written. -ESTALE: someone else
 * wrote first (nothing written; *now: the identity that won). */
int backend_write(const struct backend *b, const struct be_obj *o, const char *text, size_t len,
		  const struct store_ver *expect, const struct be_lock *l, struct store_ver *now, struct nv_err *err);

/* Lock o across every process (file) or every host (etcd, under a lease
 * that etcd ends if this process dies). */
int backend_lock(const struct backend *b, const struct be_obj *o, struct be_lock *l, struct nv_err *err);
void backend_unlock(const struct backend *b, struct be_lock *l);

/* Whether a plain change (not under backend_lock) is made by CAS with
 * retry (etcd) rather than under the lock (file). */
int backend_cas(const struct backend *b);

/* Whether any agent's sealed store exists there (file: under any agent
 * dir, agentDir overrides included; etcd: under the prefix): 1, 0, or
 * -errno when it cannot be told. An unreadable store counts as sealed.
 * One key forever: while this says 1, a missing key is never remade. */
int backend_sealed_any(const struct backend *b, struct home *h, struct nv_err *err);

/* Whether this process follows the backend's changes as they happen (the
 * daemon's etcd watch is connected): then a cached document that no change
 * has overtaken is current without asking etcd. */
int backend_watched(const struct backend *b);

/* Whether only sealed envelopes may be stored there (etcd: no legacy
 * plaintext stores to accept). */
int backend_sealed_only(const struct backend *b);

#endif
