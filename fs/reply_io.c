/* The session's device I/O (see reply_io.h for why). */
#define FUSE_USE_VERSION 312
#include "fs/reply_io.h"

#include <errno.h>
#include <fuse_lowlevel.h>
#include <sodium.h>
#include <sys/uio.h>
#include <unistd.h>

/* Set by read_buf, used by the write that answers it, on the same thread. */
static __thread int wipe_next;

void fs_reply_wipe_next(void)
{
	wipe_next = 1;
}

/* iov[0] is libfuse's header for the answer (on its stack); the rest is
 * the payload, zeroed once the kernel has its copy, sent or not (an
 * interrupted request fails the write with ENOENT). */
static ssize_t io_writev(int fd, struct iovec *iov, int count, void *userdata)
{
	(void)userdata;
	ssize_t n = writev(fd, iov, count);
	if (wipe_next) {
		int saved = errno; /* libfuse reads it after a failed write */
		for (int i = 1; i < count; i++)
			sodium_memzero(iov[i].iov_base, iov[i].iov_len);
		wipe_next = 0;
		errno = saved;
	}
	return n;
}

static ssize_t io_read(int fd, void *buf, size_t len, void *userdata)
{
	(void)userdata;
	return read(fd, buf, len);
}

int fs_reply_io_install(struct fuse_session *se)
{
	/* no splice functions: requests and answers stay in memory we see
	 * (op_init also stops libfuse asking the kernel for splice) */
	static const struct fuse_custom_io io = { .writev = io_writev, .read = io_read };
	return fuse_session_custom_io(se, &io, fuse_session_fd(se)) == 0 ? 0 : -1;
}
