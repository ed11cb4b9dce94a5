/* Small file primitives: capped reads and crash-safe replacement. */
#ifndef NV_FILEIO_H
#define NV_FILEIO_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "store/error.h"

/* Read a whole regular file (O_NOFOLLOW) of at most cap bytes into a
 * wiping buffer (secmem_free it), NUL-terminated. Returns 0, -ENOENT when
 * absent, or -errno with err filled naming the file. */
int file_read(const char *path, size_t cap, char **out, size_t *len, struct nv_err *err);

/* The same, also giving the fstat of what was read (for revalidation). */
int file_read_st(const char *path, size_t cap, char **out, size_t *len, struct stat *st, struct nv_err *err);

/* Take an exclusive flock on path (created 0600), waiting at most
 * wait_ms. Returns the fd (close it to release) or -errno; ETIMEDOUT
 * names what is locked. */
int file_lock(const char *path, int wait_ms, struct nv_err *err);

/* Run as root in a directory another user owns: a file root just made
 * there (fd, named path) becomes that user's. Nothing otherwise. */
void file_own_like_dir(int fd, const char *path);

/* Temp files are named <path> TEMP_INFIX <16 random hex digits>. */
#define TEMP_INFIX ".tmp."

/* Replace path atomically: temp file 0600 beside it (random name,
 * O_EXCL|O_NOFOLLOW, retried on a collision), write, fsync, rename,
 * fsync the directory. A crash leaves the old or the new file. */
int file_replace(const char *path, const void *data, size_t len, mode_t mode, struct nv_err *err);

/* Create path only if it does not exist, whole: the data is written and
 * fsynced in a temp file beside it that is then linked (link(2) fails
 * when path exists), so no process ever sees path empty or half written.
 * -EEXIST (err untouched) when another made path first. */
int file_create_whole(const char *path, const void *data, size_t len, mode_t mode, struct nv_err *err);

/* The same without the two fsyncs: whole or absent if the process dies,
 * but not kept through a power loss. Only for records that mean nothing
 * after a reboot (the mount registry: no mount outlives one). */
int file_replace_unsynced(const char *path, const void *data, size_t len, mode_t mode, struct nv_err *err);

/* A file's identity as stat sees it: a change by any process (even an
 * atomic replace of the same size within one mtime tick) changes it. */
struct file_stamp {
	int exists;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};
struct file_stamp file_stamp_of(const struct stat *st);
/* stat path into *out; absent is {0} and not an error. 0 or -errno. */
int file_stamp_get(const char *path, struct file_stamp *out);
int file_stamp_same(const struct file_stamp *a, const struct file_stamp *b);

/* Set the mode of path itself (dir_mode for a directory, file_mode for a
 * regular file) on the descriptor that was checked: opened O_NOFOLLOW, so
 * a symbolic link is refused (ELOOP), never followed; also refused when
 * not owned by us (EPERM) or neither file nor directory (EINVAL). */
int file_fix_mode(const char *path, mode_t dir_mode, mode_t file_mode, struct nv_err *err);

/* mkdir -p with the given mode for every directory it creates. */
int dir_make(const char *path, mode_t mode, struct nv_err *err);

/* The directory part of path into out. */
void path_dirname(const char *path, char *out, size_t cap);

#endif
