/* One change to one JSON document, the way every document here is changed
 * (the config, an agent's store, an agent's sessions): hold the document's
 * lock, load the current version, let an edit callback change it, write it
 * back atomically and publish it, release the lock. A document kind says
 * how in a struct txn_doc; txn_run is the protocol, written once. */
#ifndef NV_TXN_H
#define NV_TXN_H

#include <cjson/cJSON.h>

#include "store/error.h"

/* How long a writer waits for another's lock before it gives up (ETIMEDOUT
 * naming what is locked): files and etcd alike. */
#define LOCK_WAIT_MS 10000

/* Edit doc in place: 0 to write it, 1 for "no change" (nothing written),
 * <0 to abort (nothing written). Called again on a fresh version when
 * another writer won a compare-and-swap, so it must not consume arg. */
typedef int (*txn_edit_fn)(cJSON *doc, void *arg, struct nv_err *err);

/* How one kind of document is held, read and written; self is the
 * caller's (the document, and what load saw for save to write over). */
struct txn_doc {
	/* Hold the document against other writers for the whole change: a
	 * handle >= 0 for unlock, or -errno. NULL when writes are
	 * compare-and-swap instead (save says -ESTALE when another won). */
	int (*lock)(void *self, struct nv_err *err);
	void (*unlock)(void *self, int handle);
	/* The current version, as a document the transaction owns. */
	int (*load)(void *self, cJSON **doc, struct nv_err *err);
	/* Write doc atomically over the version load saw and publish it; takes
	 * doc on success. -ESTALE: another writer came first, nothing written. */
	int (*save)(void *self, cJSON *doc, struct nv_err *err);
	/* Optional: the edit changed nothing, so the version loaded is the
	 * current one; publish it without writing (takes doc, always). */
	int (*keep)(void *self, cJSON *doc, struct nv_err *err);
	/* How many more rounds after a save said -ESTALE. */
	int retries;
};

/* A change of something else that must happen with the document's or not
 * at all: then() runs under the document's lock after the edit (also when
 * it changed nothing) and before the write; when it fails nothing is
 * written, and when the write fails after it succeeded undo() puts back
 * what it did. Only for documents with a lock (no retries). */
struct txn_also {
	int (*then)(void *arg, struct nv_err *err);
	void (*undo)(void *arg);
	void *arg;
};

/* Run one change: fn's result (0 written, 1 nothing to write) or -errno
 * with err filled; on an error nothing was written. also may be NULL. */
int txn_run(const struct txn_doc *d, void *self, txn_edit_fn fn, void *arg, const struct txn_also *also,
	    struct nv_err *err);

/* The lock of a document kept in a file: an flock on lock_path, made in
 * dir (created 0700 when missing), waiting at most LOCK_WAIT_MS. The fd
 * (close it to release), or -errno. */
int txn_flock(const char *dir, const char *lock_path, struct nv_err *err);
/* The unlock of a lock txn_flock took (a struct txn_doc's unlock). */
void txn_funlock(void *self, int fd);

#endif
