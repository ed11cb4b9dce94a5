/* The notify thread: a queue of notices, the watcher, and the walk that
 * tells the kernel. See notify.h for why it touches its own mount.
 *
 * The touches themselves run in a child process (this program again, as
 * FS_TOUCHER_ARGV0), not in a thread of the daemon: a daemon thread waiting on its own mount can never be answered
 * once the daemon is killed (kill -9 while a touch is in flight left a
 * zombie whose mount hung instead of answering ENOTCONN). The child holds
 * no /dev/fuse descriptor, so the daemon's death aborts the connection,
 * which ends the child's wait; it also dies with the daemon
 * (PR_SET_PDEATHSIG). Paths go to it over a non-blocking pipe: a stuck
 * child costs touches, never the daemon. */
#define FUSE_USE_VERSION 312
#include "fs/notify.h"
#include "fs/log.h"
#include "store/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define QUEUE_MAX 256
#define LISTENERS_MAX 8
#define WALK_AGENTS_MAX FS_STORES_MAX

struct notice {
	char agent[AGENT_MAX + 1];
	char id[PROFILE_ID_MAX + 1];   /* "" : anything of the agent */
};

struct notifier {
	pthread_mutex_t mu;            /* protects everything up to the thread */
	pthread_cond_t wake;
	struct notice queue[QUEUE_MAX];
	size_t queued;
	int all;                       /* every agent changed (or the queue overflowed) */
	int stop;
	struct { fs_change_fn fn; void *arg; } listeners[LISTENERS_MAX];
	size_t n_listeners;
	pthread_t thread;              /* the rest is the thread's own */
	int running;
	int touch_fd;                  /* pipe to the toucher (-1: none yet) */
	int touch_failed;              /* it could not be started: no more tries */
	pid_t toucher;
	char root[PATH_MAX];
	struct file_stamp config_seen, agents_seen, audit_seen;
};

int fs_notify_init(struct fs *fs)
{
	struct notifier *nt = calloc(1, sizeof(*nt));
	if (!nt)
		return -ENOMEM;
	pthread_mutex_init(&nt->mu, NULL);
	pthread_cond_init(&nt->wake, NULL);
	nt->touch_fd = -1;
	fs->notify = nt;
	return 0;
}

void fs_notify_free(struct fs *fs)
{
	struct notifier *nt = fs->notify;
	if (!nt)
		return;
	pthread_cond_destroy(&nt->wake);
	pthread_mutex_destroy(&nt->mu);
	free(nt);
	fs->notify = NULL;
}

void fs_notify_change(struct fs *fs, const char *agent, const char *profile_id)
{
	struct notifier *nt = fs->notify;
	if (!nt)
		return;
	pthread_mutex_lock(&nt->mu);
	size_t i = 0;
	if (!agent || nt->queued == QUEUE_MAX) {
		nt->all = 1;
		nt->queued = 0;
	} else if (!nt->all) {
		const char *id = profile_id ? profile_id : "";
		while (i < nt->queued && !(strcmp(nt->queue[i].agent, agent) == 0 && strcmp(nt->queue[i].id, id) == 0))
			i++;
		if (i == nt->queued) {
			snprintf(nt->queue[i].agent, sizeof(nt->queue[i].agent), "%s", agent);
			snprintf(nt->queue[i].id, sizeof(nt->queue[i].id), "%s", id);
			nt->queued++;
		}
	}
	pthread_cond_signal(&nt->wake);
	pthread_mutex_unlock(&nt->mu);
}

int fs_notify_listen(struct fs *fs, fs_change_fn fn, void *arg)
{
	struct notifier *nt = fs->notify;
	pthread_mutex_lock(&nt->mu);
	int rc = nt->n_listeners < LISTENERS_MAX ? 0 : -ENOSPC;
	if (rc == 0) {
		nt->listeners[nt->n_listeners].fn = fn;
		nt->listeners[nt->n_listeners++].arg = arg;
	}
	pthread_mutex_unlock(&nt->mu);
	return rc;
}

struct names {
	char (*v)[PROFILE_NAME_MAX + 1];
	size_t n, cap;
};

static int collect(void *arg, const char *name, int is_dir)
{
	struct names *a = arg;
	(void)is_dir;
	if (a->n == a->cap) {
		void *g = realloc(a->v, (a->cap = a->cap ? a->cap * 2 : 32) * sizeof(*a->v));
		if (!g)
			return 1;
		a->v = g;
	}
	snprintf(a->v[a->n++], sizeof(a->v[0]), "%s", name);
	return 0;
}

/* Tell the kernel that rel changed, and (deep) everything below it that
 * the kernel knows. What the kernel has never looked up has nothing
 * cached and nobody watching: fuse_invalidate_path fails for it, and the
 * walk stops there (so an agent nobody looked at costs nothing). */
static int toucher_start(struct notifier *nt);

static void announce(struct fs *fs, const char *rel, int deep)
{
	struct notifier *nt = fs->notify;
	if (fuse_invalidate_path(fs->fuse, rel) != 0)
		return;
	/* started on the first touch, not with the mount: a mount that no
	 * change reaches (a read, an unmount) never starts a process for it */
	if (nt->touch_fd < 0 && !nt->touch_failed && toucher_start(nt) < 0) {
		nt->touch_failed = 1;
		log_msg(LOG_WARNING, "inotify on the mount is off: cannot start the process that touches changed files");
	}
	char line[PIPE_BUF];
	int len = snprintf(line, sizeof(line), "%s%s\n", nt->root, rel);
	/* the toucher makes a setattr through the VFS: fsnotify sends
	 * IN_ATTRIB to watchers (op_utimens accepts it, changes nothing). One
	 * write of at most PIPE_BUF is atomic; a full pipe drops the touch. */
	if (nt->touch_fd >= 0 && len > 0 && (size_t)len < sizeof(line))
		(void)!write(nt->touch_fd, line, (size_t)len);
	struct node n;
	if (!deep || tree_resolve(fs, rel, &n) < 0 || n.kind == N_FILE)
		return;
	struct names kids = { 0 };
	tree_list(fs, &n, collect, &kids);
	for (size_t i = 0; i < kids.n; i++) {
		char child[PATH_MAX];
		snprintf(child, sizeof(child), "%s/%s", rel, kids.v[i]);
		announce(fs, child, 1);
	}
	free(kids.v);
}

/* One profile changed: the agent's document, its provider's directory
 * (token, order and status depend on every profile of the provider), the
 * provider list, and the sessions (whose token may be this one). */
static void announce_agent(struct fs *fs, const char *agent, const char *id)
{
	char rel[PATH_MAX];
	const char *colon = id && *id ? strchr(id, ':') : NULL;
	if (!colon) {
		snprintf(rel, sizeof(rel), "/agents/%s", agent);
		announce(fs, rel, 1);
		return;
	}
	snprintf(rel, sizeof(rel), "/agents/%s/auth-profiles.json", agent);
	announce(fs, rel, 0);
	snprintf(rel, sizeof(rel), "/agents/%s/profiles", agent);
	announce(fs, rel, 0);
	snprintf(rel, sizeof(rel), "/agents/%s/profiles/%.*s", agent, (int)(colon - id), id);
	announce(fs, rel, 1);
	snprintf(rel, sizeof(rel), "/agents/%s/sessions", agent);
	announce(fs, rel, 1);
}

static void tell_listeners(struct fs *fs, const char *agent, const char *id)
{
	struct notifier *nt = fs->notify;
	pthread_mutex_lock(&nt->mu);
	size_t n = nt->n_listeners;
	__typeof__(nt->listeners[0]) ls[LISTENERS_MAX];
	memcpy(ls, nt->listeners, n * sizeof(ls[0]));
	pthread_mutex_unlock(&nt->mu);
	for (size_t i = 0; i < n; i++)
		ls[i].fn(ls[i].arg, agent, id && *id ? id : NULL);
}

/* Every agent: the agents directory and each open agent's tree. */
static void announce_all(struct fs *fs)
{
	char (*agents)[AGENT_MAX + 1] = calloc(WALK_AGENTS_MAX, sizeof(*agents));
	announce(fs, "/agents", 0);
	size_t n = agents ? fs_stores_list(fs, agents, WALK_AGENTS_MAX) : 0;
	for (size_t i = 0; i < n; i++)
		announce_agent(fs, agents[i], NULL);
	free(agents);
	tell_listeners(fs, NULL, NULL);
}

/* Changes made elsewhere: the config (reloaded, then every agent), new
 * or removed agents, and the open agents' store files. */
static void watch(struct fs *fs, int first)
{
	struct notifier *nt = fs->notify;
	struct file_stamp s;
	char dir[PATH_MAX + 8];
	if (file_stamp_get(home_config_path(fs->home), &s) == 0 && !file_stamp_same(&s, &nt->config_seen)) {
		struct nv_err err = { 0 };
		nt->config_seen = s;
		int rc = first ? 0 : home_config_reload(fs->home, &err);
		if (rc < 0)
			log_msg(LOG_WARNING, "config changed but does not load, keeping the old one: %s", err.msg);
		else if (rc == 1) /* not when this daemon wrote it (a token write notes the profile there) */
			fs_notify_change(fs, NULL, NULL);
	}
	snprintf(dir, sizeof(dir), "%s/agents", home_state_dir(fs->home));
	if (file_stamp_get(dir, &s) == 0 && !file_stamp_same(&s, &nt->agents_seen)) {
		nt->agents_seen = s;
		if (!first)
			announce(fs, "/agents", 0);
	}
	/* a line was added to the audit trail (every read of a secret, in
	 * any mount or the CLI, adds one): the kernel's size of the audit
	 * file goes. Not a touch: that has the kernel ask for the size at
	 * once, a rendering of the whole trail every few reads; this way
	 * only a stat pays for one. */
	if (audit_stamp(fs->home, &s) == 0 && !file_stamp_same(&s, &nt->audit_seen)) {
		nt->audit_seen = s;
		if (!first)
			fuse_invalidate_path(fs->fuse, "/.nova-engine/audit");
	}
	char changed[64][AGENT_MAX + 1];
	size_t n = fs_stores_changed(fs, changed, 64);
	for (size_t i = 0; i < n; i++)
		fs_notify_change(fs, changed[i], NULL);
}

static long ms_since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

static void deadline_in(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_nsec += (ms % 1000) * 1000000L;
	ts->tv_sec += ms / 1000 + ts->tv_nsec / 1000000000L;
	ts->tv_nsec %= 1000000000L;
}

/* Announce what the queue holds; caller holds nt->mu, which is dropped
 * meanwhile (a request handler may queue more). */
static void drain(struct fs *fs, struct notice *batch)
{
	struct notifier *nt = fs->notify;
	size_t n = nt->queued;
	int all = nt->all;
	memcpy(batch, nt->queue, n * sizeof(*batch));
	nt->queued = 0;
	nt->all = 0;
	pthread_mutex_unlock(&nt->mu);
	if (all)
		announce_all(fs);
	for (size_t i = 0; i < n && !all; i++) {
		fs_store_seen(fs, batch[i].agent); /* the watcher need not report it again */
		announce_agent(fs, batch[i].agent, batch[i].id);
		tell_listeners(fs, batch[i].agent, batch[i].id);
	}
	pthread_mutex_lock(&nt->mu);
}

static void *run(void *arg)
{
	struct fs *fs = arg;
	struct notifier *nt = fs->notify;
	struct notice *batch = calloc(QUEUE_MAX, sizeof(*batch));
	struct timespec watched;
	clock_gettime(CLOCK_MONOTONIC, &watched);
	watch(fs, 1);
	pthread_mutex_lock(&nt->mu);
	while (!nt->stop && batch) {
		/* the queue first: a change this mount made and announced is
		 * then recorded as seen before the watcher looks */
		if (nt->queued || nt->all)
			drain(fs, batch);
		long left = FS_WATCH_MS - ms_since(&watched);
		if (left <= 0) { /* also under a steady stream of notices */
			pthread_mutex_unlock(&nt->mu);
			watch(fs, 0);
			clock_gettime(CLOCK_MONOTONIC, &watched);
			pthread_mutex_lock(&nt->mu);
		} else if (!nt->queued && !nt->all && !nt->stop) {
			struct timespec ts;
			deadline_in(&ts, left);
			pthread_cond_timedwait(&nt->wake, &nt->mu, &ts);
		}
	}
	pthread_mutex_unlock(&nt->mu);
	free(batch);
	return NULL;
}

/* The toucher: touch each path read from stdin until EOF. */
int fs_toucher_main(void)
{
	char buf[4 * PIPE_BUF];
	size_t have = 0;
	for (;;) {
		ssize_t n = read(0, buf + have, sizeof(buf) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		have += (size_t)n;
		char *start = buf, *nl;
		while ((nl = memchr(start, '\n', (size_t)(buf + have - start)))) {
			*nl = '\0';
			utimensat(AT_FDCWD, start, NULL, AT_SYMLINK_NOFOLLOW);
			start = nl + 1;
		}
		have -= (size_t)(start - buf);
		memmove(buf, start, have);
		if (have == sizeof(buf))
			have = 0; /* no line is this long */
	}
}

static int toucher_start(struct notifier *nt)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid == 0) { /* async-signal-safe calls only until exec: the daemon has threads */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* keep only the pipe (as stdin) and the daemon's stdout/stderr:
		 * above all not its /dev/fuse */
		if (getppid() == 1 || dup2(p[0], 0) < 0)
			_exit(1);
		close_range(3, ~0U, 0);
		execl("/proc/self/exe", FS_TOUCHER_ARGV0, (char *)NULL);
		_exit(127);
	}
	close(p[0]);
	if (pid < 0) {
		close(p[1]);
		return -errno;
	}
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	nt->touch_fd = p[1];
	nt->toucher = pid;
	return 0;
}

int fs_notify_start(struct fs *fs, const char *root)
{
	struct notifier *nt = fs->notify;
	snprintf(nt->root, sizeof(nt->root), "%s", root);
	int rc = pthread_create(&nt->thread, NULL, run, fs);
	nt->running = rc == 0;
	return -rc;
}

void fs_notify_stop(struct fs *fs)
{
	struct notifier *nt = fs->notify;
	if (!nt || !nt->running)
		return;
	pthread_mutex_lock(&nt->mu);
	nt->stop = 1;
	pthread_cond_signal(&nt->wake);
	pthread_mutex_unlock(&nt->mu);
	pthread_join(nt->thread, NULL);
	nt->running = 0;
	if (nt->touch_fd >= 0) {
		close(nt->touch_fd);
		kill(nt->toucher, SIGKILL);
		waitpid(nt->toucher, NULL, 0);
		nt->touch_fd = -1;
	}
}
