/* The store key: loaded on first need, reloaded when the file changes, made
 * once, rotated by a rekey (see keyring.h). */
#include "store/keyring.h"
#include "store/fileio.h"
#include "store/txn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct keyring {
	char path[PATH_MAX];
	char next_path[PATH_MAX + 8];  /* <path>.next: the key of a rekey under way */
	char lock_path[PATH_MAX + 8];  /* <path>.lock: one rekey at a time */
	int rekey_fd;                  /* its flock, held from begin to finish */
	int creatable;
	keyring_sealed_fn sealed;      /* is there a sealed store anywhere? */
	void *sealed_arg;
	pthread_mutex_t mu;            /* guards key, next, stamp */
	struct seal_key *key;          /* loaded on first need */
	struct seal_key *next;         /* during a rekey */
	struct stat stamp;             /* the key file as loaded: a rekey elsewhere shows */
	struct retired *retired;       /* keys replaced while this process ran */
};

/* A replaced key stays until the keyring goes: another thread may still
 * be opening or sealing with the pointer keyring_get gave it. Rekeys are
 * rare, so the list stays short. */
struct retired {
	struct seal_key *key;
	struct retired *next;
};

static void retire(struct keyring *kr, struct seal_key *key)
{
	struct retired *r = key ? malloc(sizeof(*r)) : NULL;
	if (!r)  /* nothing to keep, or no memory for the note: a leak is safer than a free under a reader */
		return;
	r->key = key;
	r->next = kr->retired;
	kr->retired = r;
}

struct keyring *keyring_new(const char *state_dir, keyring_sealed_fn sealed, void *arg)
{
	struct keyring *kr = calloc(1, sizeof(*kr));
	if (!kr)
		return NULL;
	seal_key_path(state_dir, kr->path, sizeof(kr->path), &kr->creatable);
	snprintf(kr->next_path, sizeof(kr->next_path), "%s.next", kr->path);
	snprintf(kr->lock_path, sizeof(kr->lock_path), "%s.lock", kr->path);
	kr->rekey_fd = -1;
	kr->sealed = sealed;
	kr->sealed_arg = arg;
	pthread_mutex_init(&kr->mu, NULL);
	return kr;
}

void keyring_free(struct keyring *kr)
{
	if (!kr)
		return;
	seal_key_free(kr->key);
	seal_key_free(kr->next);
	for (struct retired *r = kr->retired, *n; r; r = n) {
		n = r->next;
		seal_key_free(r->key);
		free(r);
	}
	if (kr->rekey_fd >= 0)
		close(kr->rekey_fd);
	pthread_mutex_destroy(&kr->mu);
	free(kr);
}

const char *keyring_path(const struct keyring *kr) { return kr->path; }
int keyring_creatable(const struct keyring *kr) { return kr->creatable; }

static int key_missing(struct keyring *kr, struct nv_err *err)
{
	return nv_fail(err, ENOKEY, "store key missing: restore %s from your backup", kr->path);
}

/* 1 when the key file is certainly absent (not merely unreadable: a
 * problem loading it names itself later). */
static int file_absent(const struct keyring *kr)
{
	return access(kr->path, F_OK) != 0 && errno == ENOENT;
}

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Caller holds mu. */
static int load_next(struct keyring *kr, struct nv_err *err)
{
	if (kr->next || access(kr->next_path, F_OK) != 0)
		return 0;
	return seal_key_load(kr->next_path, 0, &kr->next, err);
}

/* Make kr->key the key the file holds now. A process that lives long (the
 * daemon) must see a rekey made by another one, or it would seal with a
 * key nobody has any more. A vanished key file still lets it read; it may
 * not write. sealed: a sealed store exists, so a missing key is lost, not
 * yet to be made. Caller holds mu. */
static int reload_if_changed(struct keyring *kr, int create, int sealed, struct nv_err *err)
{
	struct stat st;
	int present = stat(kr->path, &st) == 0;
	if (kr->key && present && same_file(&st, &kr->stamp))
		return 0;
	if (!present && create && (kr->key || sealed))
		return key_missing(kr, err);
	if (kr->key && !present)
		return 0;
	struct seal_key *fresh = NULL;
	int rc = seal_key_load(kr->path, create && kr->creatable, &fresh, err);
	if (rc == -ENOENT)
		return nv_fail(err, ENOENT, "key file %s does not exist: restore it, or set NOVA_ENGINE_KEY_FILE to where it is", kr->path);
	if (rc < 0)
		return rc;
	stat(kr->path, &kr->stamp);
	if (kr->key && strcmp(kr->key->id, fresh->id) != 0) {
		retire(kr, kr->next); /* a finished rekey: its .next is the key now */
		kr->next = NULL;
	}
	retire(kr, kr->key);
	kr->key = fresh;
	return 0;
}

/* While a rekey is under way (<key>.next exists) a write seals with the
 * next key: the rekey may already have resealed this store, and it renames
 * <key>.next over the key file when done, so a store sealed with the old
 * key then could never be opened again. Read from disk on each such write
 * (a cached next may be stale); in the rekeying process kr->key is already
 * that key. 1: the .next vanished (the rekey finished): reload the key.
 * Caller holds mu. */
static int pending_for_write(struct keyring *kr, const struct seal_key **key, struct nv_err *err)
{
	struct seal_key *p = NULL;
	if (access(kr->next_path, F_OK) != 0)
		return 0;
	int rc = seal_key_load(kr->next_path, 0, &p, err);
	if (rc == -ENOENT)
		return 1;
	if (rc < 0)
		return rc;
	if (strcmp(p->id, kr->key->id) == 0) {
		seal_key_free(p);
		*key = kr->key;
	} else if (kr->next && strcmp(p->id, kr->next->id) == 0) {
		seal_key_free(p);
		*key = kr->next;
	} else {
		retire(kr, kr->next);
		kr->next = p;
		*key = p;
	}
	return 0;
}

static int get(struct keyring *kr, const char *keyid, int create, const struct seal_key **key, struct nv_err *err)
{
	/* one key forever: before making one, look for stores sealed with a
	 * lost one (outside mu: the look may take a while, and reads config) */
	int sealed = create && file_absent(kr) ? kr->sealed(kr->sealed_arg, err) : 0;
	if (sealed < 0)
		return sealed;
	pthread_mutex_lock(&kr->mu);
	int rc = reload_if_changed(kr, create, sealed, err);
	*key = kr->key;
	if (rc == 0 && create && (rc = pending_for_write(kr, key, err)) == 1 &&
	    (rc = reload_if_changed(kr, create, sealed, err)) == 0)
		*key = kr->key;
	if (rc == 0 && keyid && strcmp(keyid, kr->key->id) != 0) {
		rc = load_next(kr, err);
		if (rc == 0 && kr->next && strcmp(keyid, kr->next->id) == 0)
			*key = kr->next;
	}
	pthread_mutex_unlock(&kr->mu);
	return rc;
}

int keyring_get(struct keyring *kr, const char *keyid, const struct seal_key **key, struct nv_err *err)
{
	return get(kr, keyid, 0, key, err);
}

int keyring_for_write(struct keyring *kr, const struct seal_key **key, struct nv_err *err)
{
	return get(kr, NULL, 1, key, err);
}

int keyring_check(struct keyring *kr, struct nv_err *err)
{
	if (!file_absent(kr))
		return 0;
	pthread_mutex_lock(&kr->mu);
	int held = kr->key != NULL; /* held but gone from disk: sealing with it loses the store */
	pthread_mutex_unlock(&kr->mu);
	if (held)
		return key_missing(kr, err);
	int sealed = kr->sealed(kr->sealed_arg, err);
	return sealed < 0 ? sealed : sealed ? key_missing(kr, err) : 0;
}

/* The new key: a pending <key>.next from an interrupted run, or fresh. */
static int next_key(struct keyring *kr, struct seal_key **key, struct nv_err *err)
{
	if (access(kr->next_path, F_OK) == 0)
		return seal_key_load(kr->next_path, 0, key, err);
	int rc = seal_key_new(key, err);
	if (rc == 0 && (rc = seal_key_save(kr->next_path, *key, err)) < 0)
		seal_key_free(*key);
	return rc;
}

int keyring_rekey_begin(struct keyring *kr, struct nv_err *err)
{
	const struct seal_key *cur;
	if (!kr->creatable)
		return nv_fail(err, EPERM, "the key comes from %s (systemd credentials): replace it there", kr->path);
	/* one rekey at a time: a second one would make its own <key>.next and
	 * strand every store the first sealed with the key it overwrote */
	int rc = kr->rekey_fd >= 0 ? 0 : file_lock(kr->lock_path, LOCK_WAIT_MS, err);
	if (rc < 0)
		return rc;
	kr->rekey_fd = kr->rekey_fd >= 0 ? kr->rekey_fd : rc;
	rc = keyring_get(kr, NULL, &cur, err);
	struct seal_key *fresh;
	if (rc < 0 || (rc = next_key(kr, &fresh, err)) < 0)
		return rc;
	pthread_mutex_lock(&kr->mu);
	retire(kr, kr->next);
	kr->next = kr->key;   /* the old key still opens stores not yet resealed */
	kr->key = fresh;      /* every write now seals with the new one */
	pthread_mutex_unlock(&kr->mu);
	return 0;
}

int keyring_rekey_interrupted(const struct keyring *kr)
{
	if (access(kr->next_path, F_OK) != 0)
		return 0;
	int fd = open(kr->lock_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int running = fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	if (fd >= 0)
		close(fd);
	return !running;
}

int keyring_rekey_finish(struct keyring *kr, struct nv_err *err)
{
	int rc = rename(kr->next_path, kr->path) < 0 ? -errno : 0;
	if (kr->rekey_fd >= 0)
		close(kr->rekey_fd);
	kr->rekey_fd = -1;
	if (rc < 0)
		return nv_fail(err, -rc, "cannot install the new key %s: %s", kr->path, strerror(-rc));
	return 0;
}
