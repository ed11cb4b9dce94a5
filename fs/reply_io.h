/* The session's own device I/O, so that a read's answer is wiped before
 * libfuse frees it.
 *
 * libfuse answers a read from the buffer read_buf hands it, writes it to
 * /dev/fuse and then free()s it, unwiped. The device writes go through
 * fs_reply_io_install's writev instead: once the kernel has copied the
 * answer, the buffer the calling thread marked with fs_reply_wipe_next
 * is zeroed, and libfuse's free() that follows lets go of zeros. Before
 * this, every read mapped a 128 KiB block of its own (glibc unmaps such a
 * block on free), which cost a map, a page fault, an unmap and a TLB
 * flush on every CPU of the daemon, per read. */
#ifndef NV_FS_REPLY_IO_H
#define NV_FS_REPLY_IO_H

#include <stddef.h>

struct fuse_session;

/* Route the session's device reads and writes through here; 0, or -1
 * when libfuse refuses (the caller must not serve then: answers would go
 * out unwiped). */
int fs_reply_io_install(struct fuse_session *se);

/* The answer this thread sends next holds a secret: once it is written,
 * zero what it was sent from (the buffer read_buf gave, or a copy libfuse
 * made of it). read_buf's answer is that next write: libfuse sends it on
 * the same thread as soon as read_buf returns. */
void fs_reply_wipe_next(void);

#endif
