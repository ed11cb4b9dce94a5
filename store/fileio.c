/* Capped reads and atomic replacement of small files. */
#include "store/fileio.h"
#include "store/secmem.h"

#include <errno.h>
#include <sodium.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TEMP_ATTEMPTS 16

int file_read(const char *path, size_t cap, char **out, size_t *len, struct nv_err *err)
{
	struct stat st;
	return file_read_st(path, cap, out, len, &st, err);
}

int file_read_st(const char *path, size_t cap, char **out, size_t *len, struct stat *stp, struct nv_err *err)
{
	/* O_NONBLOCK: a FIFO planted as ./.env must not hang the open; a
	 * regular file (all that is read) ignores the flag. */
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return nv_fail(err, ENOENT, "%s does not exist", path);
		if (errno == ELOOP)
			return nv_fail(err, ELOOP, "%s is a symbolic link, which is not followed: put the file itself there", path);
		return nv_fail(err, errno, "cannot open %s: %s", path, strerror(errno));
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return nv_fail(err, EINVAL, "%s is not a regular file", path);
	}
	if ((size_t)st.st_size > cap) {
		close(fd);
		return nv_fail(err, EFBIG, "%s is too large (%lld bytes, at most %zu)",
			       path, (long long)st.st_size, cap);
	}
	char *buf = secmem_alloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	int e = errno;
	close(fd);
	if (!buf)
		return nv_fail(err, ENOMEM, "out of memory reading %s", path);
	if (got != (size_t)st.st_size) {
		secmem_free(buf);
		return nv_fail(err, EIO, "cannot read %s: %s", path, strerror(e));
	}
	buf[got] = '\0';
	*stp = st;
	*out = buf;
	*len = got;
	return 0;
}

void path_dirname(const char *path, char *out, size_t cap)
{
	const char *slash = strrchr(path, '/');
	if (!slash) {
		snprintf(out, cap, ".");
		return;
	}
	size_t n = slash == path ? 1 : (size_t)(slash - path);
	snprintf(out, cap, "%.*s", (int)n, path);
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fsync_dir(const char *path)
{
	char dir[PATH_MAX];
	path_dirname(path, dir, sizeof(dir));
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

/* A root process writing into a directory someone else owns (root
 * mounting the gateway user's state dir with --uid, docs/consumers.md)
 * gives what it creates there to that owner: a root-owned store, lock or
 * audit file would lock the owner out of its own credentials (its
 * `secrets resolve` and CLI could no longer open them). The directory's
 * owner can replace any file in it anyway, so this gives nothing away.
 * Only what root itself made is changed, on the open descriptor. */
void file_own_like_dir(int fd, const char *path)
{
	if (geteuid() != 0)
		return;
	char dir[PATH_MAX];
	struct stat d, f;
	path_dirname(path, dir, sizeof(dir));
	if (stat(dir, &d) < 0 || d.st_uid == 0 || fstat(fd, &f) < 0 || f.st_uid != 0)
		return;
	if (fchown(fd, d.st_uid, d.st_gid) < 0)
		return; /* as before: root's, which root can still read */
}

/* A temp file beside path that nobody could have predicted (a random
 * name: someone who can write the directory cannot plant a symlink or a
 * file there first), created O_EXCL|O_NOFOLLOW; a collision is retried. */
static int temp_create(const char *path, mode_t mode, char *tmp, size_t cap)
{
	for (int attempt = 0; attempt < TEMP_ATTEMPTS; attempt++) {
		unsigned char r[8];
		char hex[2 * sizeof(r) + 1];
		randombytes_buf(r, sizeof(r));
		sodium_bin2hex(hex, sizeof(hex), r, sizeof(r));
		if (snprintf(tmp, cap, "%s%s%s", path, TEMP_INFIX, hex) >= (int)cap)
			return -ENAMETOOLONG;
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0)
			file_own_like_dir(fd, tmp);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
	}
	return -EEXIST;
}

/* data in a new temp file beside path (its name into tmp), written,
 * fsynced when sync is set, and closed: 0, or the error (err says what
 * could not be done to path, as verb says) with the temp file removed. */
static int temp_write(const char *path, const void *data, size_t len, mode_t mode, int sync, const char *verb,
		      char tmp[PATH_MAX], struct nv_err *err)
{
	int fd = temp_create(path, mode, tmp, PATH_MAX);
	if (fd == -ENAMETOOLONG)
		return nv_fail(err, ENAMETOOLONG, "path too long: %s", path);
	if (fd < 0)
		return nv_fail(err, -fd, "cannot %s %s: %s", verb, path, strerror(-fd));
	int rc = write_all(fd, data, len);
	if (rc == 0 && sync && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc < 0) {
		unlink(tmp);
		return nv_fail(err, -rc, "cannot %s %s: %s", verb, path, strerror(-rc));
	}
	return 0;
}

/* The new name of path's directory entry made durable. */
static int dir_synced(const char *path, struct nv_err *err)
{
	int rc = fsync_dir(path);
	return rc < 0 ? nv_fail(err, -rc, "cannot sync the directory of %s: %s", path, strerror(-rc)) : 0;
}

static int replace(const char *path, const void *data, size_t len, mode_t mode, int sync, struct nv_err *err)
{
	char tmp[PATH_MAX];
	int rc = temp_write(path, data, len, mode, sync, "write", tmp, err);
	if (rc < 0)
		return rc;
	if (rename(tmp, path) < 0) {
		rc = errno;
		unlink(tmp);
		return nv_fail(err, rc, "cannot write %s: %s", path, strerror(rc));
	}
	return sync ? dir_synced(path, err) : 0;
}

int file_replace(const char *path, const void *data, size_t len, mode_t mode, struct nv_err *err)
{
	return replace(path, data, len, mode, 1, err);
}

int file_create_whole(const char *path, const void *data, size_t len, mode_t mode, struct nv_err *err)
{
	char tmp[PATH_MAX];
	int rc = temp_write(path, data, len, mode, 1, "create", tmp, err);
	if (rc < 0)
		return rc;
	rc = link(tmp, path) < 0 ? -errno : 0;
	unlink(tmp);
	if (rc == -EEXIST)
		return rc; /* another made it first: err untouched */
	if (rc < 0)
		return nv_fail(err, -rc, "cannot create %s: %s", path, strerror(-rc));
	return dir_synced(path, err);
}

int file_replace_unsynced(const char *path, const void *data, size_t len, mode_t mode, struct nv_err *err)
{
	return replace(path, data, len, mode, 0, err);
}

int dir_make(const char *path, mode_t mode, struct nv_err *err)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return nv_fail(err, ENAMETOOLONG, "path too long: %s", path);
	for (char *p = buf + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(buf, mode) == 0) {
			int dfd = open(buf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (dfd >= 0) {
				file_own_like_dir(dfd, buf);
				close(dfd);
			}
		} else if (errno != EEXIST) {
			return nv_fail(err, errno, "cannot create directory %s: %s", buf, strerror(errno));
		}
		*p = c;
		if (!c)
			break;
	}
	return 0;
}

int file_lock(const char *path, int wait_ms, struct nv_err *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return nv_fail(err, errno, "cannot open lock file %s: %s", path, strerror(errno));
	file_own_like_dir(fd, path);
	struct timespec nap = { 0, 2 * 1000 * 1000 };
	for (int waited = 0;; waited += 2) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno != EWOULDBLOCK && errno != EINTR)
			break;
		if (waited >= wait_ms) {
			close(fd);
			return nv_fail(err, ETIMEDOUT, "%s is held by another process (waited %d ms): try again", path, wait_ms);
		}
		nanosleep(&nap, NULL);
	}
	int e = errno;
	close(fd);
	return nv_fail(err, e, "cannot lock %s: %s", path, strerror(e));
}

struct file_stamp file_stamp_of(const struct stat *s)
{
	struct file_stamp id = { 1, s->st_dev, s->st_ino, s->st_size, s->st_mtim, s->st_ctim };
	return id;
}

int file_stamp_get(const char *path, struct file_stamp *out)
{
	struct stat s;
	memset(out, 0, sizeof(*out));
	if (stat(path, &s) == 0)
		*out = file_stamp_of(&s);
	else if (errno != ENOENT && errno != ENOTDIR)
		return -errno;
	return 0;
}

int file_stamp_same(const struct file_stamp *a, const struct file_stamp *b)
{
	if (a->exists != b->exists)
		return 0;
	return !a->exists || (a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
			      a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
			      a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec);
}

/* chmod what fd is (O_PATH: fchmod would say EBADF, so through its
 * /proc/self/fd entry, which names that same inode, not a path). */
static int fd_chmod(int fd, int is_path, mode_t mode)
{
	char proc[64];
	if (!is_path)
		return fchmod(fd, mode) < 0 ? -errno : 0;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return chmod(proc, mode) < 0 ? -errno : 0;
}

int file_fix_mode(const char *path, mode_t dir_mode, mode_t file_mode, struct nv_err *err)
{
	int is_path = 0;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 && errno == EACCES) { /* a mode that lets even us not read it */
		fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		is_path = 1;
	}
	if (fd < 0 && errno == ELOOP)
		return nv_fail(err, ELOOP, "%s is a symbolic link: no mode is changed through a link (check what it points to yourself)", path);
	if (fd < 0)
		return nv_fail(err, errno, "cannot open %s: %s", path, strerror(errno));
	struct stat st;
	int rc = fstat(fd, &st) < 0 ? -errno : 0;
	if (rc < 0)
		rc = nv_fail(err, -rc, "cannot stat %s: %s", path, strerror(-rc));
	else if (S_ISLNK(st.st_mode))
		rc = nv_fail(err, ELOOP, "%s is a symbolic link: no mode is changed through a link (check what it points to yourself)", path);
	else if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		rc = nv_fail(err, EINVAL, "%s is neither a file nor a directory: not changed", path);
	else if (st.st_uid != geteuid())
		rc = nv_fail(err, EPERM, "%s is owned by uid %u, not by you: not changed", path, (unsigned)st.st_uid);
	else if ((rc = fd_chmod(fd, is_path, S_ISDIR(st.st_mode) ? dir_mode : file_mode)) < 0)
		rc = nv_fail(err, -rc, "chmod %s: %s", path, strerror(-rc));
	close(fd);
	return rc;
}
