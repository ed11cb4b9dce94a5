/* Store files. Lock order: the flock on auth-profiles.lock (cross-process
 * writers) is taken before st->mu (this process's cache); st->mu is never
 * held while waiting for the flock, so readers never wait on a writer of
 * another process. */
#include "store/store.h"
#include "store/config.h"
#include "store/fileio.h"
#include "store/seal.h"
#include "store/secmem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STORE_MAX (16 << 20)

struct store {
	struct home *home;
	char agent[AGENT_MAX + 1];
	char dir[PATH_MAX];
	char path[PATH_MAX];
	char lock_path[PATH_MAX];
	pthread_mutex_t mu;   /* protects doc, id, kind */
	cJSON *doc;           /* cached document, NULL until first read */
	struct file_stamp id; /* identity of the file doc came from */
	int kind;
};

int store_open(struct home *h, const char *agent, struct store **out, struct nv_err *err)
{
	struct store *st = calloc(1, sizeof(*st));
	if (!st)
		return nv_fail(err, ENOMEM, "out of memory");
	st->home = h;
	snprintf(st->agent, sizeof(st->agent), "%s", agent);
	home_agent_dir(h, agent, st->dir, sizeof(st->dir));
	snprintf(st->path, sizeof(st->path), "%.4000s/auth-profiles.json", st->dir);
	snprintf(st->lock_path, sizeof(st->lock_path), "%.4000s/auth-profiles.lock", st->dir);
	pthread_mutex_init(&st->mu, NULL);
	*out = st;
	return 0;
}

void store_free(struct store *st)
{
	if (!st)
		return;
	cJSON_Delete(st->doc);
	pthread_mutex_destroy(&st->mu);
	free(st);
}

const char *store_path(const struct store *st) { return st->path; }
const char *store_dir(const struct store *st) { return st->dir; }
const char *store_agent(const struct store *st) { return st->agent; }
struct home *store_home(const struct store *st) { return st->home; }

int store_stamp(const struct store *st, struct file_stamp *out)
{
	return file_stamp_get(st->path, out);
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
	if (*kind == STORE_SEALED) {
		char keyid[SEAL_KEYID_LEN + 1] = "";
		const struct seal_key *key;
		seal_envelope_keyid(text, len, keyid);
		if ((rc = home_key(st->home, keyid, 0, &key, err)) < 0)
			return rc;
		if ((rc = seal_open(key, st->agent, st->path, text, len, &plain, &plen, err)) < 0)
			return rc;
		text = plain;
		len = plen;
	}
	*doc = cJSON_ParseWithLength(text, len);
	secmem_free(plain);
	if (!*doc)
		return nv_fail(err, EBADMSG, "cannot open store %s: neither a sealed store nor an auth-profiles JSON document", st->path);
	rc = store_doc_check(*doc, st->path, err);
	if (rc < 0) {
		cJSON_Delete(*doc);
		*doc = NULL;
	}
	return rc;
}

/* Make st->doc current. Caller holds st->mu. */
static int refresh_locked(struct store *st, struct nv_err *err)
{
	struct stat s;
	struct file_stamp now = { 0 };
	if (stat(st->path, &s) == 0)
		now = file_stamp_of(&s);
	else if (errno != ENOENT)
		return nv_fail(err, errno, "cannot open store %s: %s", st->path, strerror(errno));
	if (st->doc && file_stamp_same(&now, &st->id))
		return 0;
	char *text = NULL;
	size_t len = 0;
	cJSON *doc = NULL;
	int kind = STORE_ABSENT;
	int rc = now.exists ? file_read_st(st->path, STORE_MAX, &text, &len, &s, err) : -ENOENT;
	if (rc == 0) {
		now = file_stamp_of(&s);
		rc = decode(st, text, len, &doc, &kind, err);
	} else if (rc == -ENOENT) {
		now.exists = 0;
		rc = (doc = empty_doc()) ? 0 : nv_fail(err, ENOMEM, "out of memory");
		nv_err_clear(err);
	}
	secmem_free(text);
	if (rc < 0)
		return rc;
	cJSON_Delete(st->doc);
	st->doc = doc;
	st->id = now;
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

/* Seal doc and replace the file. Caller holds the flock and st->mu. */
static int write_locked(struct store *st, cJSON *doc, struct nv_err *err)
{
	const struct seal_key *key;
	int rc = dir_make(st->dir, 0700, err);
	if (rc == 0)
		rc = home_key(st->home, NULL, 1, &key, err);
	if (rc < 0)
		return rc;
	char *plain = cJSON_PrintUnformatted(doc);
	char *sealed = NULL;
	if (!plain)
		return nv_fail(err, ENOMEM, "out of memory");
	rc = seal_close(key, st->agent, plain, strlen(plain), &sealed, err);
	cJSON_free(plain);
	if (rc == 0)
		rc = file_replace(st->path, sealed, strlen(sealed), 0600, err);
	cJSON_free(sealed);
	struct stat s;
	if (rc == 0 && stat(st->path, &s) == 0) {
		cJSON_Delete(st->doc);
		st->doc = doc;
		st->id = file_stamp_of(&s);
		st->kind = STORE_SEALED;
		return 0;
	}
	return rc;
}

int store_lock(struct store *st, struct nv_err *err)
{
	int rc = dir_make(st->dir, 0700, err);
	return rc < 0 ? rc : file_lock(st->lock_path, LOCK_WAIT_MS, err);
}

void store_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

int store_locked_copy(struct store *st, cJSON **doc, struct nv_err *err)
{
	pthread_mutex_lock(&st->mu);
	int rc = refresh_locked(st, err);
	*doc = rc == 0 ? cJSON_Duplicate(st->doc, 1) : NULL;
	if (rc == 0 && !*doc)
		rc = nv_fail(err, ENOMEM, "out of memory");
	pthread_mutex_unlock(&st->mu);
	return rc;
}

int store_locked_write(struct store *st, cJSON *doc, struct nv_err *err)
{
	pthread_mutex_lock(&st->mu);
	int rc = write_locked(st, doc, err);
	pthread_mutex_unlock(&st->mu);
	return rc;
}

static int change(struct store *st, store_change_fn fn, void *arg, int force, struct nv_err *err)
{
	int fd = home_key_check(st->home, err); /* a lost key: create nothing */
	if (fd == 0)
		fd = store_lock(st, err);
	if (fd < 0)
		return fd;
	cJSON *doc;
	int rc = store_locked_copy(st, &doc, err);
	if (rc == 0 && fn)
		rc = fn(doc, arg, err);
	int result = rc;
	if (rc == 0 || (rc == 1 && force)) {
		rc = store_locked_write(st, doc, err);
		if (rc == 0)
			doc = NULL; /* now owned by the cache */
		else
			result = rc;
	}
	cJSON_Delete(doc);
	store_unlock(fd);
	return result;
}

int store_change(struct store *st, store_change_fn fn, void *arg, struct nv_err *err)
{
	return change(st, fn, arg, 0, err);
}

static int no_change(cJSON *doc, void *arg, struct nv_err *err)
{
	(void)doc, (void)arg, (void)err;
	return 1;
}

int store_reseal(struct store *st, struct nv_err *err)
{
	if (access(st->path, F_OK) != 0)
		return 0;
	int rc = change(st, no_change, NULL, 1, err);
	return rc < 0 ? rc : 0;
}
