/* The file backend: <agentDir>/auth-profiles.json, replaced atomically,
 * writers serialised by a flock on auth-profiles.lock beside it, readers
 * revalidating by file identity (inode, size, mtime, ctime). */
#include "store/backend_impl.h"
#include "store/fileio.h"
#include "store/seal.h"
#include "store/secmem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STORE_MAX (16 << 20)

static void object(const struct backend *b, struct home *h, const char *agent, struct be_obj *o)
{
	(void)b;
	snprintf(o->agent, sizeof(o->agent), "%s", agent);
	home_agent_dir(h, agent, o->dir, sizeof(o->dir));
	snprintf(o->path, sizeof(o->path), "%.4000s/auth-profiles.json", o->dir);
	snprintf(o->lock_path, sizeof(o->lock_path), "%.4000s/auth-profiles.lock", o->dir);
	snprintf(o->seal_name, sizeof(o->seal_name), "%s", agent);
	o->key[0] = 0;
}

static struct store_ver ver_of(const struct stat *s)
{
	struct store_ver v = { file_stamp_of(s), 0 };
	return v;
}

static int file_read_ver(const struct backend *b, const struct be_obj *o, const struct store_ver *have,
			 char **text, size_t *len, struct store_ver *now, struct nv_err *err)
{
	(void)b;
	struct stat s;
	memset(now, 0, sizeof(*now));
	if (stat(o->path, &s) == 0)
		*now = ver_of(&s);
	else if (errno != ENOENT)
		return nv_fail(err, errno, "cannot open store %s: %s", o->path, strerror(errno));
	if (have && file_stamp_same(&now->f, &have->f))
		return 1;
	if (!now->f.exists)
		return -ENOENT;
	int rc = file_read_st(o->path, STORE_MAX, text, len, &s, err);
	if (rc == 0)
		*now = ver_of(&s);
	else if (rc == -ENOENT)
		now->f.exists = 0;
	return rc;
}

static int file_write(const struct backend *b, const struct be_obj *o, const char *text, size_t len,
		      const struct store_ver *expect, const struct be_lock *l, struct store_ver *now, struct nv_err *err)
{
	(void)b, (void)expect, (void)l;  /* the writer holds the flock */
	int rc = dir_make(o->dir, 0700, err);
	if (rc == 0)
		rc = file_replace(o->path, text, len, 0600, err);
	struct stat s;
	memset(now, 0, sizeof(*now));
	if (rc == 0 && stat(o->path, &s) == 0)
		*now = ver_of(&s);
	return rc;
}

static int file_lock_store(const struct backend *b, const struct be_obj *o, struct be_lock *l, struct nv_err *err)
{
	(void)b;
	int rc = dir_make(o->dir, 0700, err);
	l->fd = rc < 0 ? rc : file_lock(o->lock_path, LOCK_WAIT_MS, err);
	return l->fd < 0 ? l->fd : 0;
}

static void file_unlock(const struct backend *b, struct be_lock *l)
{
	(void)b;
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

static int file_sealed_any(const struct backend *b, struct home *h, struct nv_err *err)
{
	char **ids;
	size_t n;
	if (home_agents(h, &ids, &n) < 0)
		return nv_fail(err, ENOMEM, "out of memory");
	struct be_obj *o = malloc(sizeof(*o));
	int found = o ? 0 : nv_fail(err, ENOMEM, "out of memory");
	for (size_t i = 0; o && !found && i < n; i++) {
		char *text;
		size_t len;
		object(b, h, ids[i], o);
		int rc = file_read(o->path, STORE_MAX, &text, &len, NULL);
		found = rc != -ENOENT && (rc < 0 || seal_is_envelope(text, len));
		if (rc == 0)
			secmem_free(text);
	}
	free(o);
	home_agents_free(ids, n);
	return found;
}

const struct backend_ops backend_file_ops = {
	"file", 0, 0, object, file_read_ver, file_write, file_lock_store, file_unlock, file_sealed_any, NULL,
};
