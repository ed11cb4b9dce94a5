/* Who a task is, for the audit line every secret read writes (SPEC 13).
 * Names and executables are read afresh on every call (prctl and exec
 * change them); what is kept is the way in and what cannot change while
 * a task lives. Per recent task: an open /proc/<pid>/comm, read again
 * with one pread (a read of the name alone: /proc/<pid>/stat, read before,
 * formats some fifty fields and costs about seven times as much); its
 * process (a task's thread group never changes); and its parent, held by
 * a pidfd, which polls readable once that parent exits (also while it is
 * a zombie, whose comm still reads): the task's status then names the new
 * parent. A comm descriptor is bound
 * to the task, not to its number: once the task is gone the read fails
 * (ESRCH), also when the number went to a new process, and the pid is
 * then opened afresh.
 * The cache is under a read/write lock: a repeat reader's lookups and
 * preads share it (every daemon thread serving readers at once), and
 * only a task seen first, or gone, takes it alone. */
#include "store/procwho.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SLOTS 32 /* tasks kept open: readers that come back, and their parents */

/* Changed only under the write lock: a descriptor is never closed while
 * read; used (least recently used goes first) is bumped under either. */
static struct slot {
	pid_t pid;  /* 0: free */
	pid_t tgid; /* the process of task pid */
	pid_t ppid; /* its parent, as of the last look (parent_follow) */
	int fd;     /* /proc/<pid>/comm */
	atomic_ulong used;
	int parent_seen; /* ppid and pidfd were looked up */
	int pidfd;  /* the parent process (pidfd_open), -1: none or not supported */
} slots[SLOTS];
static atomic_ulong ticks;
/* a writer (a new reader process) goes before readers that come after it */
static pthread_rwlock_t lock = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;

/* The name in fd (/proc/<pid>/comm: the bytes and a newline) into out,
 * NUL-terminated: 1, or 0 when the task is gone. */
static int comm_pread(int fd, char *out, size_t cap)
{
	ssize_t n = pread(fd, out, cap - 1, 0);
	if (n <= 0)
		return 0;
	out[n] = '\0';
	if (out[n - 1] == '\n')
		out[n - 1] = '\0';
	return 1;
}

/* Tgid and PPid of task pid, from one read of its status: 1, or 0 if gone. */
static int status_ids(pid_t pid, pid_t *tgid, pid_t *ppid)
{
	char p[64], text[1024]; /* both are in the first lines */
	snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? 0 : read(fd, text, sizeof(text) - 1);
	if (fd >= 0)
		close(fd);
	text[n > 0 ? n : 0] = '\0';
	const char *t = strstr(text, "\nTgid:"), *pp = strstr(text, "\nPPid:");
	if (!t || !pp)
		return 0;
	*tgid = (pid_t)atol(t + 6);
	*ppid = (pid_t)atol(pp + 6);
	return *tgid > 0;
}

static struct slot *slot_find(pid_t pid)
{
	for (int i = 0; i < SLOTS; i++)
		if (slots[i].pid == pid)
			return &slots[i];
	return NULL;
}

static void slot_drop(struct slot *s)
{
	close(s->fd);
	if (s->pidfd >= 0)
		close(s->pidfd);
	s->pid = 0;
}

/* A free slot, else the least recently used one, emptied. */
static struct slot *slot_take(void)
{
	struct slot *lru = &slots[0];
	for (int i = 0; i < SLOTS; i++) {
		if (!slots[i].pid)
			return &slots[i];
		if (slots[i].used < lru->used)
			lru = &slots[i];
	}
	slot_drop(lru);
	return lru;
}

static unsigned long tick(void)
{
	return atomic_fetch_add_explicit(&ticks, 1, memory_order_relaxed) + 1;
}

/* Task pid's slot, with its name read now into comm: NULL when the task
 * is gone or hidden. With the read lock only (writer 0), a task without
 * a slot or whose slot fails sets *miss instead: the caller starts again
 * holding the write lock. */
static struct slot *task(pid_t pid, char *comm, size_t cap, int writer, int *miss)
{
	struct slot *s = slot_find(pid);
	if (s && comm_pread(s->fd, comm, cap)) {
		atomic_store_explicit(&s->used, tick(), memory_order_relaxed);
		return s;
	}
	if (!writer) {
		*miss = 1;
		return NULL;
	}
	if (s)
		slot_drop(s); /* gone, or its number now names another task */
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/comm", (int)pid);
	int fd = pid > 0 ? open(p, O_RDONLY | O_CLOEXEC) : -1;
	pid_t tgid, ppid;
	/* the ids after the descriptor: both are of the task it is bound to */
	if (fd < 0 || !status_ids(pid, &tgid, &ppid) || !comm_pread(fd, comm, cap)) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	s = slot_take();
	s->pid = pid, s->tgid = tgid, s->ppid = ppid, s->fd = fd;
	s->parent_seen = 0, s->pidfd = -1;
	atomic_store_explicit(&s->used, tick(), memory_order_relaxed);
	return s;
}

/* Printable ASCII only ('?' for the rest: a process name is chosen by
 * whoever runs it), cut at the first newline. */
static void printable(char *s)
{
	s[strcspn(s, "\n")] = '\0';
	for (char *c = s; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
}

/* name into out, escaped (newline and backslash) as /proc/<pid>/status
 * shows it when escape is set, else as it is; then made printable. */
static void put_name(const char *name, int escape, char *out, size_t cap)
{
	size_t o = 0;
	for (const char *c = name; *c && o + 3 < cap; c++) {
		if (escape && (*c == '\n' || *c == '\\'))
			out[o++] = '\\', out[o++] = *c == '\n' ? 'n' : '\\';
		else
			out[o++] = *c;
	}
	out[o] = '\0';
	printable(out);
}

static void proc_exe(pid_t pid, char *out, size_t cap)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(p, out, cap - 1);
	out[n > 0 ? n : 0] = '\0';
	for (char *c = out; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
}

static int pidfd_of(pid_t pid)
{
#ifdef SYS_pidfd_open
	return pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
#else
	(void)pid;
	return -1;
#endif
}

/* 0 once the process pidfd refers to has exited (a zombie too: its
 * children were given a new parent when it exited, not when reaped). */
static int alive(int pidfd)
{
	struct pollfd p = { pidfd, POLLIN, 0 };
	return poll(&p, 1, 0) == 0;
}

/* r's parent as it is now, from its status, held by a pidfd: a process,
 * not a number (a number may go to another process once the parent is
 * reaped). The status is read again after the pidfd is opened: when it
 * names the same parent, that parent lived all along, and the pidfd is
 * its. Caller holds the write lock. */
static void parent_follow(struct slot *r)
{
	if (r->pidfd >= 0)
		close(r->pidfd);
	r->pidfd = -1;
	r->parent_seen = 1;
	for (int tries = 0; tries < 3; tries++) {
		pid_t tgid, ppid, again;
		if (!status_ids(r->pid, &tgid, &ppid)) {
			r->ppid = 0;
			return;
		}
		int fd = pidfd_of(ppid);
		if (status_ids(r->pid, &tgid, &again) && again == ppid) {
			r->ppid = ppid;
			r->pidfd = fd;
			return;
		}
		if (fd >= 0)
			close(fd);
	}
}

/* The parent of task slot r, named into w. Kept while its pidfd says it
 * lives; a parent that exited (or one without a pidfd) is looked up again
 * by a writer (see task()): the exited one's comm may still read while it
 * is a zombie, and its number may name another process once it is reaped. */
static void parent_of(struct slot *r, struct proc_who *w, int writer, int *miss)
{
	char name[64];
	if (!r->parent_seen || (r->ppid > 0 && (r->pidfd < 0 || !alive(r->pidfd)))) {
		if (!writer) {
			*miss = 1;
			return;
		}
		parent_follow(r);
	}
	if (r->ppid <= 0)
		return;
	w->ppid = r->ppid;
	/* r may be moved by task(): not used after it */
	if (task(r->ppid, name, sizeof(name), writer, miss))
		put_name(name, 0, w->pcomm, sizeof(w->pcomm));
}

/* w for tid under the read lock (writer 0) or the write lock: 0, or -1
 * when the read lock was not enough. */
static int who(pid_t tid, struct proc_who *w, int writer)
{
	char name[64];
	int miss = 0;
	memset(w, 0, sizeof(*w));
	w->pid = tid;
	struct slot *r = task(tid, name, sizeof(name), writer, &miss);
	if (r) {
		w->pid = r->tgid;
		/* the name as before: the reader's own, escaped as status shows
		 * it, when it is the main thread; else the process's (a thread's
		 * name is its own) */
		if (r->tgid == tid)
			put_name(name, 1, w->comm, sizeof(w->comm));
		else if (task(r->tgid, name, sizeof(name), writer, &miss))
			put_name(name, 0, w->comm, sizeof(w->comm));
		/* a thread's parent is its process's; task() above may have
		 * moved r: find it again */
		if (!miss && (r = slot_find(tid)))
			parent_of(r, w, writer, &miss);
	}
	return miss ? -1 : 0;
}

void proc_who(pid_t tid, struct proc_who *w)
{
	pthread_rwlock_rdlock(&lock);
	int rc = who(tid, w, 0);
	pthread_rwlock_unlock(&lock);
	if (rc < 0) {
		pthread_rwlock_wrlock(&lock);
		who(tid, w, 1);
		pthread_rwlock_unlock(&lock);
	}
	proc_exe(w->pid, w->exe, sizeof(w->exe));
}
