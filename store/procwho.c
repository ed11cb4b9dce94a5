/* Who a task is, for the audit line every secret read writes (SPEC 13).
 * Each call reads /proc afresh: names and executables change (prctl,
 * exec), so nothing of them is cached. What is kept is the way in: an
 * open /proc/<pid>/stat per recent task, read again with one pread. Such
 * a descriptor is bound to the task, not to its number: once the task is
 * gone the read fails (ESRCH), also when the number was given to a new
 * process, and the pid is then opened afresh. A task's process (its
 * thread group) never changes while the task lives, so it is looked up
 * once, when the descriptor is opened. */
#include "store/procwho.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SLOTS 32 /* tasks kept open: readers that come back */

/* All of it under mu: a descriptor is never closed while read. */
static struct slot {
	pid_t pid;  /* 0: free */
	pid_t tgid; /* the process of task pid */
	int fd;     /* /proc/<pid>/stat */
	unsigned long used;
} slots[SLOTS];
static unsigned long ticks;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

/* The start of /proc/<pid>/stat ("pid (comm) S ppid ...") through fd,
 * NUL-terminated: 1, or 0 when the task is gone. */
static int stat_pread(int fd, char *text, size_t cap)
{
	ssize_t n = pread(fd, text, cap - 1, 0);
	if (n <= 0)
		return 0;
	text[n] = '\0';
	return 1;
}

/* The thread group of task pid, from one read of its status; 0 if gone. */
static pid_t status_tgid(pid_t pid)
{
	char p[64], text[512]; /* Tgid is in the first lines */
	snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? 0 : read(fd, text, sizeof(text) - 1);
	if (fd >= 0)
		close(fd);
	text[n > 0 ? n : 0] = '\0';
	const char *t = strstr(text, "\nTgid:");
	return t ? (pid_t)atol(t + 6) : 0;
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

/* /proc/<pid>/stat into text and the task's process into *tgid: 1, or 0
 * when the task is gone or hidden. Caller holds mu. */
static int task_stat(pid_t pid, char *text, size_t cap, pid_t *tgid)
{
	struct slot *s = slot_find(pid);
	if (s && stat_pread(s->fd, text, cap)) {
		s->used = ++ticks;
		*tgid = s->tgid;
		return 1;
	}
	if (s)
		slot_drop(s); /* gone, or its number now names another task */
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	int fd = pid > 0 ? open(p, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0)
		return 0;
	pid_t g = status_tgid(pid);
	if (g <= 0 || !stat_pread(fd, text, cap)) {
		close(fd);
		return 0;
	}
	s = slot_take();
	*s = (struct slot){ pid, g, fd, ++ticks };
	*tgid = g;
	return 1;
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

/* The name in a stat text into out; escaped (newline and backslash) as
 * /proc/<pid>/status shows it when escape is set, else the bytes as
 * /proc/<pid>/comm has them. Then made printable. */
static void stat_comm(const char *text, int escape, char *out, size_t cap)
{
	const char *open = strchr(text, '('), *close = strrchr(text, ')');
	size_t o = 0;
	for (const char *c = open ? open + 1 : close; open && close && c < close && o + 3 < cap; c++) {
		if (escape && (*c == '\n' || *c == '\\'))
			out[o++] = '\\', out[o++] = *c == '\n' ? 'n' : '\\';
		else
			out[o++] = *c;
	}
	out[o] = '\0';
	printable(out);
}

/* The parent pid in a stat text (the field after the state), 0 if none. */
static pid_t stat_ppid(const char *text)
{
	const char *close = strrchr(text, ')');
	return close && strlen(close) > 4 ? (pid_t)atol(close + 4) : 0;
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

void proc_who(pid_t tid, struct proc_who *w)
{
	char text[256], ptext[256]; /* pid, name, state and ppid come first */
	pid_t tgid = 0, unused;
	memset(w, 0, sizeof(*w));
	w->pid = tid;
	pthread_mutex_lock(&mu);
	if (task_stat(tid, text, sizeof(text), &tgid)) {
		w->pid = tgid;
		w->ppid = stat_ppid(text); /* a thread's parent is its process's */
		/* the name as before: the reader's status when it is the main
		 * thread, else the process's comm (a thread's name is its own) */
		if (tgid == tid)
			stat_comm(text, 1, w->comm, sizeof(w->comm));
		else if (task_stat(tgid, ptext, sizeof(ptext), &unused))
			stat_comm(ptext, 0, w->comm, sizeof(w->comm));
	}
	if (w->ppid > 0 && task_stat(w->ppid, ptext, sizeof(ptext), &unused))
		stat_comm(ptext, 0, w->pcomm, sizeof(w->pcomm));
	pthread_mutex_unlock(&mu);
	proc_exe(w->pid, w->exe, sizeof(w->exe));
}
