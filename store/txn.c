/* The change protocol every document shares (see txn.h). */
#include "store/txn.h"
#include "store/fileio.h"

#include <errno.h>
#include <unistd.h>

int txn_flock(const char *dir, const char *lock_path, struct nv_err *err)
{
	int rc = dir_make(dir, 0700, err);
	return rc < 0 ? rc : file_lock(lock_path, LOCK_WAIT_MS, err);
}

void txn_funlock(void *self, int fd)
{
	(void)self;
	close(fd);
}

/* One round: load, edit, then also, write (or keep). fn's result or -errno. */
static int attempt(const struct txn_doc *d, void *self, txn_edit_fn fn, void *arg, const struct txn_also *also,
		 struct nv_err *err)
{
	cJSON *doc = NULL;
	int rc = d->load(self, &doc, err);
	if (rc == 0)
		rc = fn(doc, arg, err);
	int done = 0; /* also->then changed something that a failed write must undo */
	if (rc >= 0 && also) {
		int t = also->then(also->arg, err);
		rc = t < 0 ? t : rc;
		done = t >= 0;
	}
	if (rc == 0) {
		int w = d->save(self, doc, err);
		if (w == 0)
			doc = NULL; /* taken */
		else if (done && also->undo)
			also->undo(also->arg);
		rc = w;
	} else if (rc == 1 && d->keep) {
		int k = d->keep(self, doc, err);
		doc = NULL; /* taken, whatever keep said */
		rc = k < 0 ? k : 1;
	}
	cJSON_Delete(doc);
	return rc;
}

int txn_run(const struct txn_doc *d, void *self, txn_edit_fn fn, void *arg, const struct txn_also *also,
	    struct nv_err *err)
{
	int lock = d->lock ? d->lock(self, err) : 0;
	if (lock < 0)
		return lock;
	int rc = attempt(d, self, fn, arg, also, err);
	for (int tries = 0; rc == -ESTALE && tries < d->retries; tries++)
		rc = attempt(d, self, fn, arg, also, err);
	if (d->lock)
		d->unlock(self, lock);
	return rc;
}
