/* Who a task is, as the audit trail names it (SPEC 13): its process, the
 * process's name and executable, and the parent with its name, as they
 * are at the call (a process may exec or be renamed between two reads).
 * The /proc/<pid>/comm descriptors of recent tasks are kept open, so a
 * repeat reader costs one pread per task instead of open, read and close;
 * a descriptor outlives neither its task nor a reuse of its pid (the read
 * fails with ESRCH and the pid is looked up afresh). The parent is held
 * by a pidfd, so one that exits is followed at once (procwho.c). */
#ifndef NV_PROCWHO_H
#define NV_PROCWHO_H

#include <limits.h>
#include <sys/types.h>

struct proc_who {
	pid_t pid;            /* the process (thread group) of the task */
	pid_t ppid;           /* its parent, 0 if unknown */
	char comm[64];        /* the process's name, printable ASCII */
	char exe[PATH_MAX];   /* its executable, "" when not visible to us */
	char pcomm[64];       /* the parent's name, printable ASCII */
};

/* Fill w for task tid (a thread id is mapped to its process). A task that
 * is gone or hidden leaves empty names. Thread-safe; cannot fail. */
void proc_who(pid_t tid, struct proc_who *w);

#endif
