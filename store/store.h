/* The per-agent credential store: auth-profiles.json, sealed. Readers see
 * a cached document revalidated by file identity; writers lock, re-read,
 * change, and replace the file atomically. Thread-safe. */
#ifndef NV_STORE_H
#define NV_STORE_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "store/error.h"
#include "store/fileio.h"
#include "store/home.h"
#include "store/txn.h"

struct store;

/* A handle for agent (already resolved by home_agent_resolve). Does no
 * I/O. Returns 0, -ENOMEM, or -EINVAL when the config's store.backend
 * settings are wrong (the message names the setting). */
int store_open(struct home *h, const char *agent, struct store **out, struct nv_err *err);
void store_free(struct store *st);   /* store_free(NULL) does nothing */

/* The same on a given backend (backend.h; store migrate). */
struct backend;
int store_open_on(struct home *h, struct backend *be, const char *agent, struct store **out, struct nv_err *err);

const char *store_path(const struct store *st);  /* a file, or etcd:<key> */
const char *store_dir(const struct store *st);   /* the agent dir */
const char *store_agent(const struct store *st);
struct home *store_home(const struct store *st);

/* The store file's identity now (exists 0 when there is none): a cheap
 * stat, never a decryption, for watchers and modification times. */
int store_stamp(const struct store *st, struct file_stamp *out);

/* The identity of the version read last (exists 0 when nothing was read
 * yet): store_stamp as of that read, without a system call. What it
 * gives is never newer than what a read made since shows. */
int store_stamp_read(struct store *st, struct file_stamp *out);

/* etcd backend: the watch (store_watch.h) saw revision of this store
 * (exists 0: deleted), so store_stamp changes and watchers of it react. */
void store_note_revision(struct store *st, int exists, int64_t revision);

/* etcd backend: 1 when the last read was served from the copy this host
 * saw last because etcd had no quorum or could not be reached; *since_ms
 * is when that copy was read from etcd (0 when fresh). */
int store_stale(struct store *st, int64_t *since_ms);

/* Run fn on the current document (read-only). A missing file reads as an
 * empty store. Errors opening the file (wrong key, tampering) name it. */
typedef int (*store_read_fn)(const cJSON *doc, void *arg, struct nv_err *err);
int store_read(struct store *st, store_read_fn fn, void *arg, struct nv_err *err);

/* Change the document: lock, re-read, fn edits doc in place, seal and
 * write it back. fn returns 0 to write, 1 for "nothing changed" (no
 * write), <0 to abort (nothing written). Returns fn's result when >= 0.
 * fn may be called more than once: the etcd backend writes by
 * compare-and-swap and, when another host wrote first, calls fn again on
 * a fresh copy. So fn must not consume arg. */
typedef txn_edit_fn store_change_fn;
int store_change(struct store *st, store_change_fn fn, void *arg, struct nv_err *err);

/* Could a change be made now? -EROFS while a backend without quorum
 * serves reads from a copy; -ENOKEY when the key file is gone while this
 * process holds the key, or lost (sealed stores exist, no key). A write
 * checks this before it takes anything in; it changes nothing. */
int store_can_write(struct store *st, struct nv_err *err);

/* For a change that waits on the network (an OAuth refresh): hold the
 * store's lock across processes (file: flock) or hosts (etcd: its lock
 * service under a lease), without blocking readers. store_lock returns
 * a handle (>= 0) for store_unlock. Under it, store_locked_copy gives a
 * fresh deep copy of the document (caller frees) and store_locked_write
 * seals and writes it; it takes doc on success. With etcd, a plain change
 * that landed meanwhile is kept (what doc changed is put onto it) and the
 * write is refused (-ENOLCK) if the lock's lease was lost. */
int store_lock(struct store *st, struct nv_err *err);
void store_unlock(struct store *st, int lock);
int store_locked_copy(struct store *st, cJSON **doc, struct nv_err *err);
int store_locked_write(struct store *st, cJSON *doc, struct nv_err *err);

/* What is on disk: 0 none, 1 sealed, 2 plaintext (legacy), <0 error. */
enum { STORE_ABSENT, STORE_SEALED, STORE_PLAINTEXT };
int store_kind(struct store *st, struct nv_err *err);

/* Reseal the store with whatever key the keyring (keyring.h) seals with now (rekey, and
 * doctor --fix for plaintext stores). */
int store_reseal(struct store *st, struct nv_err *err);

/* In a store document: the credential, and the usage stats, of profile
 * id (NULL when absent). */
cJSON *doc_profile(const cJSON *doc, const char *id);
cJSON *doc_usage(const cJSON *doc, const char *id);

/* Check a parsed plaintext document has the OpenClaw shape. */
int store_doc_check(const cJSON *doc, const char *path, struct nv_err *err);

#endif
