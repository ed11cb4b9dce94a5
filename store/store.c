/* Stores: the cached document, sealing, and the change protocol; where the
 * bytes live is the backend's business (backend.h: files or etcd).
 * Lock order: st->lock_mu (this process's holder of the backend lock),
 * then the backend lock (flock across processes, etcd lock across hosts),
 * then st->mu (this process's cache); st->mu is never held while waiting
 * for the backend lock, so readers never wait on a writer elsewhere. */
#include "store/store.h"
#include "store/backend.h"
#include "store/config.h"
#include "store/fileio.h"
#include "store/keyring.h"
#include "store/seal.h"
#include "store/timefmt.h"
#include "store/txn.h"
#include "store/secmem.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* etcd: how many times a change is re-applied while other hosts win */
#define STORE_CAS_TRIES 64
/* etcd without quorum: reads serve the copy and ask etcd again this often */
#define STALE_RETRY_MS 2000

struct store {
	struct home *home;
	struct backend *_Atomic be; /* owned by home; changed (under mu) by follow_backend */
	unsigned be_gen;        /* the home's backend_generation be is of */
	int follows;            /* on home's backend (store_open), not a chosen one */
	struct keyring *keys;   /* owned by home */
	struct be_obj obj;      /* what this store is called in the backend */
	pthread_mutex_t mu;     /* protects doc, ver, kind */
	cJSON *doc;             /* cached document, NULL until first read */
	struct store_ver ver;   /* identity of what doc came from */
	int kind;
	/* etcd only, under mu: */
	struct file_stamp remote; /* the newest revision known (reads, writes, the watch) */
	int64_t last_ok;          /* when etcd last answered a read (ms) */
	int64_t stale_since;      /* serving a copy because etcd has no quorum: since when it is (ms); 0: fresh */
	int64_t retry_at;         /* degraded: when to ask etcd again (ms) */
	pthread_mutex_t lock_mu;  /* held from store_lock to store_unlock; protects: */
	struct be_lock lk;        /* the backend lock */
	struct backend *lk_be;    /* the backend it was taken on */
	cJSON *base;              /* the document store_locked_copy gave */
	struct store_ver base_ver;
};

int store_open(struct home *h, const char *agent, struct store **out, struct nv_err *err)
{
	struct backend *be;
	unsigned gen = backend_generation(h); /* before: a switch meanwhile shows */
	int rc = backend_of(h, &be, err);
	if (rc == 0 && (rc = store_open_on(h, be, agent, out, err)) == 0) {
		(*out)->follows = 1;
		(*out)->be_gen = gen;
	}
	return rc;
}

/* The home's config now names another backend (store migrate, an edit):
 * this store moves there, its cache dropped. Caller holds st->mu. */
static int follow_backend(struct store *st, struct nv_err *err)
{
	unsigned gen = backend_generation(st->home);
	if (!st->follows || gen == st->be_gen)
		return 0;
	struct backend *be;
	int rc = backend_of(st->home, &be, err);
	if (rc < 0)
		return rc;
	char agent[AGENT_MAX + 1];
	snprintf(agent, sizeof(agent), "%s", st->obj.agent);
	backend_object(be, st->home, agent, &st->obj);
	st->be = be;
	st->be_gen = gen;
	cJSON_Delete(st->doc);
	st->doc = NULL;
	memset(&st->ver, 0, sizeof(st->ver));
	memset(&st->remote, 0, sizeof(st->remote));
	st->stale_since = st->retry_at = 0;
	return 0;
}

int store_open_on(struct home *h, struct backend *be, const char *agent, struct store **out, struct nv_err *err)
{
	struct store *st = calloc(1, sizeof(*st));
	if (!st)
		return nv_fail(err, ENOMEM, "out of memory");
	st->home = h;
	st->be = be;
	st->keys = home_keyring(h);
	backend_object(be, h, agent, &st->obj);
	pthread_mutex_init(&st->mu, NULL);
	pthread_mutex_init(&st->lock_mu, NULL);
	*out = st;
	return 0;
}

void store_free(struct store *st)
{
	if (!st)
		return;
	cJSON_Delete(st->doc);
	cJSON_Delete(st->base);
	pthread_mutex_destroy(&st->mu);
	pthread_mutex_destroy(&st->lock_mu);
	free(st);
}

const char *store_path(const struct store *st) { return st->obj.path; }
const char *store_dir(const struct store *st) { return st->obj.dir; }
const char *store_agent(const struct store *st) { return st->obj.agent; }
struct home *store_home(const struct store *st) { return st->home; }

int store_stamp(const struct store *st, struct file_stamp *out)
{
	if (!backend_cas(st->be))
		return file_stamp_get(st->obj.path, out);
	/* etcd: the newest revision this process knows of, never a network call */
	struct store *w = (struct store *)st;
	pthread_mutex_lock(&w->mu);
	*out = st->remote;
	pthread_mutex_unlock(&w->mu);
	return 0;
}

int store_stamp_read(struct store *st, struct file_stamp *out)
{
	if (backend_cas(st->be))
		return store_stamp(st, out); /* no system call either */
	pthread_mutex_lock(&st->mu);
	*out = st->doc ? st->ver.f : (struct file_stamp){ 0 };
	pthread_mutex_unlock(&st->mu);
	return 0;
}

/* Caller holds mu. */
static void note_remote(struct store *st, int exists, int64_t rev)
{
	if ((int64_t)st->remote.ino == rev && st->remote.exists == exists)
		return;
	memset(&st->remote, 0, sizeof(st->remote));
	st->remote.exists = exists;
	st->remote.ino = (ino_t)rev;
	clock_gettime(CLOCK_REALTIME, &st->remote.mtime);
	st->remote.ctime = st->remote.mtime;
}

void store_note_revision(struct store *st, int exists, int64_t revision)
{
	pthread_mutex_lock(&st->mu);
	if (revision > (int64_t)st->remote.ino)
		note_remote(st, exists, revision);
	pthread_mutex_unlock(&st->mu);
}

int store_stale(struct store *st, int64_t *since_ms)
{
	pthread_mutex_lock(&st->mu);
	*since_ms = st->stale_since;
	pthread_mutex_unlock(&st->mu);
	return *since_ms != 0;
}

cJSON *doc_profile(const cJSON *doc, const char *id)
{
	return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "profiles"), id);
}

cJSON *doc_usage(const cJSON *doc, const char *id)
{
	return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "usageStats"), id);
}

int store_doc_check(const cJSON *doc, const char *path, struct nv_err *err)
{
	if (!cJSON_IsObject(doc) || !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(doc, "profiles")))
		return nv_fail(err, EBADMSG, "%s is not an auth-profiles document (no \"profiles\" object)", path);
	static const char *const maps[] = { "order", "lastGood", "usageStats" };
	for (int i = 0; i < 3; i++) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(doc, maps[i]);
		if (m && !cJSON_IsObject(m))
			return nv_fail(err, EBADMSG, "%s: \"%s\" must be an object", path, maps[i]);
	}
	return 0;
}

static cJSON *empty_doc(void)
{
	cJSON *d = cJSON_CreateObject();
	if (d) {
		cJSON_AddNumberToObject(d, "version", 1);
		cJSON_AddObjectToObject(d, "profiles");
	}
	return d;
}

/* Decode file text into a document. */
static int decode(struct store *st, const char *text, size_t len, cJSON **doc, int *kind, struct nv_err *err)
{
	char *plain = NULL;
	size_t plen = 0;
	int rc;
	*kind = seal_is_envelope(text, len) ? STORE_SEALED : STORE_PLAINTEXT;
	if (*kind == STORE_PLAINTEXT && backend_sealed_only(st->be))
		return nv_fail(err, EBADMSG, "%s is not a sealed store: only sealed envelopes belong in etcd", st->obj.path);
	if (*kind == STORE_SEALED) {
		char keyid[SEAL_KEYID_LEN + 1] = "";
		const struct seal_key *key;
		seal_envelope_keyid(text, len, keyid);
		if (!keyid[0])
			return nv_fail(err, EBADMSG, "%s is a damaged envelope (it names no key): restore it from a backup "
				       "or another host", st->obj.path);
		if ((rc = keyring_get(st->keys, keyid, &key, err)) < 0)
			return rc;
		if (backend_sealed_only(st->be) && strcmp(keyid, key->id) != 0)
			return nv_fail(err, ENOKEY, "%s is sealed with key %s but this host's store key is %s: every host needs the same store.key",
				       st->obj.path, keyid, key->id);
		if ((rc = seal_open(key, st->obj.seal_name, st->obj.path, text, len, &plain, &plen, err)) < 0)
			return rc;
		text = plain;
		len = plen;
	}
	*doc = cJSON_ParseWithLength(text, len);
	secmem_free(plain);
	if (!*doc)
		return nv_fail(err, EBADMSG, "cannot open store %s: neither a sealed store nor an auth-profiles JSON document", st->obj.path);
	rc = store_doc_check(*doc, st->obj.path, err);
	if (rc < 0) {
		cJSON_Delete(*doc);
		*doc = NULL;
	}
	return rc;
}

/* etcd: the last sealed copy this host saw, beside the agent's local
 * state, so that reads go on while etcd has no quorum (SPEC 14). */
static void copy_path(const struct store *st, char *out, size_t cap)
{
	snprintf(out, cap, "%.4000s/auth-profiles.etcd-copy", st->obj.dir);
}

static void keep_copy(struct store *st, const char *text, size_t len)
{
	char path[PATH_MAX];
	copy_path(st, path, sizeof(path));
	if (dir_make(st->obj.dir, 0700, NULL) == 0)
		file_replace(path, text, len, 0600, NULL);  /* best effort: etcd has the real one */
}

/* etcd holds no store now: a copy of one it held before must not come
 * back while etcd is away (a store deleted to revoke what it held). */
static void drop_copy(const struct store *st)
{
	char path[PATH_MAX];
	copy_path(st, path, sizeof(path));
	unlink(path);
}

/* etcd did not answer (rc): go on with the document this host saw last,
 * in memory or in its copy on disk. Caller holds st->mu. */
static int serve_stale(struct store *st, int rc, struct nv_err *err)
{
	st->retry_at = now_ms() + STALE_RETRY_MS;
	if (st->doc) {
		if (!st->stale_since)
			st->stale_since = st->last_ok;
		nv_err_clear(err);
		return 0;
	}
	char path[PATH_MAX], *text = NULL;
	size_t len = 0;
	struct stat s;
	cJSON *doc = NULL;
	int kind;
	copy_path(st, path, sizeof(path));
	if (file_read_st(path, 16 << 20, &text, &len, &s, NULL) < 0)
		return rc;  /* nothing seen yet: etcd's own error */
	int d = decode(st, text, len, &doc, &kind, NULL);
	secmem_free(text);
	if (d < 0)
		return rc;
	st->doc = doc;
	memset(&st->ver, 0, sizeof(st->ver));
	st->ver.f.exists = 1;
	st->ver.rev = -1;  /* never equal to etcd's: re-read when it is back */
	st->kind = kind;
	st->stale_since = (int64_t)s.st_mtim.tv_sec * 1000 + s.st_mtim.tv_nsec / 1000000;
	nv_err_clear(err);
	return 0;
}

/* Make st->doc current. Caller holds st->mu. */
static int refresh_locked(struct store *st, struct nv_err *err)
{
	int rc = follow_backend(st, err);
	if (rc < 0)
		return rc;
	char *text = NULL;
	size_t len = 0;
	cJSON *doc = NULL;
	int kind = STORE_ABSENT, cas = backend_cas(st->be);
	struct store_ver now;
	cas = backend_cas(st->be);
	if (cas && st->stale_since && st->doc && now_ms() < st->retry_at)
		return 0;  /* degraded: ask etcd again only every STALE_RETRY_MS */
	if (cas && st->doc && !st->stale_since && backend_watched(st->be) && st->ver.rev >= (int64_t)st->remote.ino)
		return 0;  /* the daemon's watch would have told of a newer revision */
	rc = backend_read(st->be, &st->obj, st->doc ? &st->ver : NULL, &text, &len, &now, err);
	if (cas && (rc == -EROFS || rc == -EHOSTUNREACH))
		return serve_stale(st, rc, err);
	if (cas && (rc == 0 || rc == 1 || rc == -ENOENT)) {
		st->last_ok = now_ms();
		st->stale_since = 0;
		note_remote(st, now.f.exists, now.rev);
	}
	if (rc == 1)
		return 0;
	if (rc == 0) {
		rc = decode(st, text, len, &doc, &kind, err);
		if (rc == 0 && cas)
			keep_copy(st, text, len);
	} else if (rc == -ENOENT) {
		rc = (doc = empty_doc()) ? 0 : nv_fail(err, ENOMEM, "out of memory");
		nv_err_clear(err);
		if (cas)
			drop_copy(st);
	}
	secmem_free(text);
	if (rc < 0)
		return rc;
	cJSON_Delete(st->doc);
	st->doc = doc;
	st->ver = now;
	st->kind = kind;
	return 0;
}

int store_read(struct store *st, store_read_fn fn, void *arg, struct nv_err *err)
{
	pthread_mutex_lock(&st->mu);
	int rc = refresh_locked(st, err);
	if (rc == 0)
		rc = fn(st->doc, arg, err);
	pthread_mutex_unlock(&st->mu);
	return rc;
}

int store_kind(struct store *st, struct nv_err *err)
{
	pthread_mutex_lock(&st->mu);
	int rc = refresh_locked(st, err);
	if (rc == 0)
		rc = st->kind;
	pthread_mutex_unlock(&st->mu);
	return rc;
}

/* Seal doc and write it over what expect identified, fenced by l when
 * given. Caller holds st->mu (and, for the file backend, the flock).
 * Takes doc on success. -ESTALE: another host wrote first (etcd). */
static int write_locked(struct store *st, cJSON *doc, const struct store_ver *expect, const struct be_lock *l,
			struct nv_err *err)
{
	const struct seal_key *key;
	if (st->follows && backend_generation(st->home) != st->be_gen)  /* read from the old backend */
		return nv_fail(err, ESTALE, "the store moved to another backend: read it again");
	int rc = keyring_for_write(st->keys, &key, err);
	if (rc < 0)
		return rc;
	char *plain = cJSON_PrintUnformatted(doc);
	char *sealed = NULL;
	if (!plain)
		return nv_fail(err, ENOMEM, "out of memory");
	rc = seal_close(key, st->obj.seal_name, plain, strlen(plain), &sealed, err);
	cJSON_free(plain);
	struct store_ver now;
	if (rc == 0)
		rc = backend_write(st->be, &st->obj, sealed, strlen(sealed), expect, l, &now, err);
	if (rc == -ESTALE)
		st->retry_at = 0; /* etcd answered: a degraded store's retry reads it, not its copy */
	if (rc == 0 && backend_cas(st->be)) {
		keep_copy(st, sealed, strlen(sealed));
		note_remote(st, 1, now.rev);
	} else if (rc == -ESTALE && now.rev > (int64_t)st->remote.ino) {
		/* Another host won. The watch tells of it too, but maybe later than
		 * the retry re-reads: without this the retry would edit the same
		 * stale copy until the tries run out, and a write fails at close(),
		 * which `echo >` does not check. */
		note_remote(st, now.f.exists, now.rev);
	}
	cJSON_free(sealed);
	if (rc == 0) {
		cJSON_Delete(st->doc);
		st->doc = doc;
		st->ver = now;
		st->kind = STORE_SEALED;
	}
	return rc;
}

/* A fresh deep copy of the document and the identity it came from. */
static int copy_current(struct store *st, cJSON **doc, struct store_ver *ver, struct nv_err *err)
{
	pthread_mutex_lock(&st->mu);
	int rc = refresh_locked(st, err);
	*doc = rc == 0 ? cJSON_Duplicate(st->doc, 1) : NULL;
	*ver = st->ver;
	if (rc == 0 && !*doc)
		rc = nv_fail(err, ENOMEM, "out of memory");
	pthread_mutex_unlock(&st->mu);
	return rc;
}

static int write_current(struct store *st, cJSON *doc, const struct store_ver *expect, const struct be_lock *l,
			 struct nv_err *err)
{
	pthread_mutex_lock(&st->mu);
	int rc = write_locked(st, doc, expect, l, err);
	pthread_mutex_unlock(&st->mu);
	return rc;
}

int store_can_write(struct store *st, struct nv_err *err)
{
	pthread_mutex_lock(&st->mu);
	int rc = follow_backend(st, err);
	struct backend *be = st->be;
	struct store_ver have = st->ver, now;
	int cached = st->doc != NULL;
	struct be_obj obj = st->obj;
	pthread_mutex_unlock(&st->mu);
	if (rc < 0)
		return rc;
	if (backend_cas(be)) { /* without quorum the store is read-only: ask it, as a write would */
		char *text = NULL;
		size_t len = 0;
		rc = backend_read(be, &obj, cached ? &have : NULL, &text, &len, &now, err);
		secmem_free(text);
		if (rc == -EROFS || rc == -EHOSTUNREACH)
			return rc;
		nv_err_clear(err);
	}
	return keyring_check(st->keys, err);
}

int store_lock(struct store *st, struct nv_err *err)
{
	pthread_mutex_lock(&st->lock_mu);
	pthread_mutex_lock(&st->mu);
	int rc = follow_backend(st, err);
	struct be_obj obj = st->obj;
	st->lk_be = st->be;
	pthread_mutex_unlock(&st->mu);
	if (rc == 0)
		rc = backend_lock(st->lk_be, &obj, &st->lk, err);
	if (rc < 0)
		pthread_mutex_unlock(&st->lock_mu);
	return rc;
}

void store_unlock(struct store *st, int lock)
{
	if (lock < 0)
		return;
	cJSON_Delete(st->base);
	st->base = NULL;
	backend_unlock(st->lk_be, &st->lk);
	pthread_mutex_unlock(&st->lock_mu);
}

int store_locked_copy(struct store *st, cJSON **doc, struct nv_err *err)
{
	int rc = copy_current(st, doc, &st->base_ver, err);
	cJSON_Delete(st->base);
	st->base = rc == 0 && backend_cas(st->be) ? cJSON_Duplicate(*doc, 1) : NULL;
	return rc;
}

/* Put into to what changed from base to mine, one level into the maps
 * (profiles, order, lastGood, usageStats), so a plain write that landed
 * on another profile meanwhile is kept. */
static void merge_changes(cJSON *to, const cJSON *base, const cJSON *mine, int depth)
{
	const cJSON *sides[2] = { base, mine }, *k;
	for (int side = 0; side < 2; side++)
		cJSON_ArrayForEach(k, sides[side]) {
			const cJSON *b = cJSON_GetObjectItemCaseSensitive(base, k->string);
			const cJSON *m = cJSON_GetObjectItemCaseSensitive(mine, k->string);
			if (side == 1 && b)
				continue;  /* seen from base already */
			if (b && m && cJSON_Compare(b, m, 1))
				continue;
			cJSON *t = cJSON_GetObjectItemCaseSensitive(to, k->string);
			if (depth == 0 && cJSON_IsObject(b) && cJSON_IsObject(m) && cJSON_IsObject(t)) {
				merge_changes(t, b, m, 1);
				continue;
			}
			cJSON_DeleteItemFromObjectCaseSensitive(to, k->string);
			if (m)
				cJSON_AddItemToObject(to, k->string, cJSON_Duplicate(m, 1));
		}
}

int store_locked_write(struct store *st, cJSON *doc, struct nv_err *err)
{
	int rc = write_current(st, doc, &st->base_ver, &st->lk, err);
	for (int tries = 0; rc == -ESTALE && st->base && tries < STORE_CAS_TRIES; tries++) {
		/* a plain write landed while we waited on the network */
		cJSON *fresh;
		struct store_ver ver;
		if ((rc = copy_current(st, &fresh, &ver, err)) < 0)
			break;
		merge_changes(fresh, st->base, doc, 0);
		rc = write_current(st, fresh, &ver, &st->lk, err);
		if (rc == 0)
			cJSON_Delete(doc);  /* taken, as promised */
		else
			cJSON_Delete(fresh);
	}
	return rc;
}

/* A store as a document for txn_run: the version a change read, for its
 * write to go over. */
struct store_txn {
	struct store *st;
	struct store_ver ver;
};

static int txn_lock(void *self, struct nv_err *err)
{
	return store_lock(((struct store_txn *)self)->st, err);
}

static void txn_unlock(void *self, int lock)
{
	store_unlock(((struct store_txn *)self)->st, lock);
}

static int txn_load(void *self, cJSON **doc, struct nv_err *err)
{
	struct store_txn *t = self;
	return copy_current(t->st, doc, &t->ver, err);
}

static int txn_save(void *self, cJSON *doc, struct nv_err *err)
{
	struct store_txn *t = self;
	return write_current(t->st, doc, &t->ver, NULL, err);
}

/* File backend: under the flock, once. etcd: compare-and-swap, and again
 * on a fresh copy while another host wins. */
static int change(struct store *st, store_change_fn fn, void *arg, struct nv_err *err)
{
	int rc = keyring_check(st->keys, err); /* a lost key: create nothing */
	if (rc < 0)
		return rc;
	int cas = backend_cas(st->be);
	struct txn_doc d = { cas ? NULL : txn_lock, txn_unlock, txn_load, txn_save, NULL, STORE_CAS_TRIES };
	struct store_txn t = { .st = st };
	return txn_run(&d, &t, fn, arg, NULL, err);
}

int store_change(struct store *st, store_change_fn fn, void *arg, struct nv_err *err)
{
	return change(st, fn, arg, err);
}

static int write_as_is(cJSON *doc, void *arg, struct nv_err *err)
{
	(void)doc, (void)arg, (void)err;
	return 0;
}

int store_reseal(struct store *st, struct nv_err *err)
{
	int kind = store_kind(st, err);
	if (kind <= STORE_ABSENT)
		return kind;
	int rc = change(st, write_as_is, NULL, err);
	return rc < 0 ? rc : 0;
}
