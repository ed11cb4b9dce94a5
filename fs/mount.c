/* Mounting: checks that fail before the daemon detaches (so the user sees
 * them), the FUSE session, signals, and a clean unmount. */
#define FUSE_USE_VERSION 312
#include "fs/fs.h"
#include "fs/fuse_dl.h"
#include "fs/reply_io.h"
#include "fs/log.h"
#include "fs/notify.h"
#include "fs/hooks.h"
#include "fs/ops.h"
#include "fs/refresher.h"
#include "store/mountreg.h"
#include "store/secmem.h"
#include "store/vis.h"
#include "store/watch.h"

#include <errno.h>
#include <fuse.h>
#include <fuse_lowlevel.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Before the daemon detaches: "Error: ..." on stderr, control bytes of
 * the mountpoint and the message made visible. */
static int fail(const char *fmt, const char *a, const char *b)
{
	struct out o = { 0 };
	char *shown = out_printf(&o, fmt, a, b) == 0 ? vis_dup(o.p) : NULL;
	fprintf(stderr, "Error: %s\n", shown ? shown : "out of memory");
	secmem_free(shown);
	out_free(&o);
	return 1;
}

/* What can be checked before mounting, with a message a person can act on. */
static int preflight(struct fs *fs)
{
	const struct fs_options *opt = &fs->opt;
	struct stat st;
	struct nv_err err = { 0 };
	if (fs_fuse_load(&err) < 0)
		return fail("%s%s", err.msg, "");
	if (access("/dev/fuse", R_OK | W_OK) != 0)
		return fail("/dev/fuse is not available (%s): load the fuse module or run where FUSE is allowed%s", strerror(errno), "");
	if (stat(opt->mountpoint, &st) != 0 && errno == ENOTCONN)
		return fail("mountpoint %s is a dead mount (its daemon was killed): run fusermount3 -uz %s, or nova-engine doctor --fix", opt->mountpoint, opt->mountpoint);
	if (stat(opt->mountpoint, &st) != 0)
		return fail("mountpoint %s: %s (create it with mkdir first)", opt->mountpoint, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fail("mountpoint %s is not a directory%s", opt->mountpoint, "");
	struct stat parent;
	char up[4096];
	snprintf(up, sizeof(up), "%s/..", opt->mountpoint);
	if (stat(up, &parent) == 0 && parent.st_dev != st.st_dev)
		return fail("mountpoint %s is busy: something is already mounted there (run: nova-engine umount %s)", opt->mountpoint, opt->mountpoint);
	/* the default agent (or the chosen ones) must open: a wrong key or a
	 * damaged store is reported now, not as EIO later */
	char dflt[AGENT_MAX + 1];
	home_default_agent(fs->home, dflt);
	int n = opt->n_agents ? opt->n_agents : 1;
	for (int i = 0; i < n; i++) {
		const char *agent = opt->n_agents ? opt->agents[i] : dflt;
		struct nv_err err = { 0 };
		char out[AGENT_MAX + 1];
		struct store *s;
		if (home_agent_resolve(fs->home, agent, out, &err) < 0)
			return fail("%s%s", err.msg, "");
		int rc = (s = fs_store(fs, out)) ? store_kind(s, &err) : 0;
		fs_store_put(fs, s);
		if (rc < 0)
			return fail("%s%s", err.msg, "");
	}
	return 0;
}

static int build_args(const struct fs *fs, struct fuse_args *args)
{
	char opts[1024];
	snprintf(opts, sizeof(opts), "default_permissions,nosuid,nodev,noexec,fsname=nova-engine,subtype=nova-engine%s%s%s%s",
		 fs->opt.allow_other ? ",allow_other" : "", fs->opt.read_only ? ",ro" : "",
		 fs->opt.fuse_opts ? "," : "", fs->opt.fuse_opts ? fs->opt.fuse_opts : "");
	if (fuse_opt_add_arg(args, "nova-engine") || fuse_opt_add_arg(args, "-o") || fuse_opt_add_arg(args, opts))
		return -1;
	return 0;
}

/* SIGHUP reloads config and .env. It is blocked in every thread and taken
 * here with sigwait, so the reload runs as ordinary code. */
static void *hup_thread(void *arg)
{
	struct fs *fs = arg;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	for (;;) {
		int sig;
		if (sigwait(&set, &sig) != 0)
			continue;
		struct nv_err err = { 0 };
		if (home_reload(fs->home, &err) < 0)
			log_msg(LOG_WARNING, "reload failed, keeping the old config: %s", err.msg);
		else
			log_msg(LOG_INFO, "reloaded config and .env");
	}
	return NULL;
}

/* Workers: status readers waiting on a provider hold one each, at most
 * STATUS_WAITERS_MAX of them (fs/files.c), so the rest stay free for
 * every other request. Idle ones beyond FS_IDLE_THREADS exit. */
#define FS_MAX_THREADS 192
#define FS_IDLE_THREADS 16

/* The etcd watch saw another host change agent's store: the stamp the
 * notify thread compares moves, so it tells the kernel and listeners. */
static void on_remote_change(void *arg, const char *agent, int exists, int64_t revision)
{
	struct fs *fs = arg;
	if (!agent) {
		fs_notify_change(fs, NULL, NULL);
		return;
	}
	struct store *st = fs_store(fs, agent);
	if (st)
		store_note_revision(st, exists, revision);
	fs_store_put(fs, st);
}

static void watch_start(struct fs *fs)
{
	struct nv_err err = { 0 };
	if (store_watch_start(fs->home, on_remote_change, fs, &fs->watch, &err) < 0)
		log_msg(LOG_WARNING, "changes made on other hosts show on the next read only: %s", err.msg);
}

static int serve(struct fs *fs, struct fuse *f, const char *root)
{
	struct fuse_session *se = fuse_get_session(f);
	/* libfuse only takes signals left at their default: a parent that
	 * ignored SIGINT (nohup, some shells and test runners) must not leave
	 * a mount that Ctrl-C or kill -INT cannot end */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (fuse_set_signal_handlers(se) != 0)
		return 1;
	if (fs_reply_io_install(se) < 0) {
		log_msg(LOG_ERR, "cannot route answers through the wiping writer: not serving");
		return 1;
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGHUP, SIG_DFL); /* an ignored one would never reach sigwait */
	pthread_t hup;
	pthread_create(&hup, NULL, hup_thread, fs);
	pthread_detach(hup);
	if (hooks_start(fs) < 0)
		log_msg(LOG_WARNING, "cannot start the hook runner: hooks.onChange will not run");
	if (fs_notify_start(fs, root) < 0)
		log_msg(LOG_WARNING, "change notices are off: cannot start their thread");
	watch_start(fs);
	if (fs_refresher_start(fs) < 0)
		log_msg(LOG_WARNING, "cannot start the refresher: OAuth tokens are refreshed only when read");
	struct fuse_loop_config *cfg = fuse_loop_cfg_create();
	/* keep idle workers: creating one per burst costs more than a request */
	fuse_loop_cfg_set_max_threads(cfg, FS_MAX_THREADS);
	fuse_loop_cfg_set_idle_threads(cfg, FS_IDLE_THREADS);
	int rc = fuse_loop_mt(f, cfg);
	fs_refresher_stop();
	hooks_stop();
	fuse_loop_cfg_destroy(cfg);
	fuse_remove_signal_handlers(se);
	return rc == 0 ? 0 : 1;
}

/* glibc gives threads up to 8 malloc arenas per core, and each keeps
 * what it freed: after walking 10,000 agents (stores opened, wiped and
 * closed by the LRU) the daemon held 28-34 MiB from run to run, over
 * the 32 MiB it promises; with 2 arenas 20-22 MiB, and no change in a
 * token read with 1 or 8 readers (thread caches serve its small blocks). */
#define FS_MALLOC_ARENAS 2

int fs_run(const struct fs_options *opt)
{
	mallopt(M_ARENA_MAX, FS_MALLOC_ARENAS); /* before any worker starts */
	struct nv_err err = { 0 };
	struct home *h;
	struct fs fs;
	if (home_open(&h, &err) < 0)
		return fail("%s%s", err.msg, "");
	char root[PATH_MAX];
	if (fs_init(&fs, h, opt) < 0 || fs_notify_init(&fs) < 0 || preflight(&fs) != 0) {
		fs_notify_free(&fs);
		fs_release(&fs);
		home_free(h);
		return 1;
	}
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	build_args(&fs, &args);
	struct fuse *f = fuse_new(&args, &nova_ops, sizeof(nova_ops), &fs);
	int rc = 1;
	fs.fuse = f;
	/* the daemon moves to / : the notify thread needs the absolute path */
	if (!realpath(opt->mountpoint, root))
		snprintf(root, sizeof(root), "%s", opt->mountpoint);
	if (!f) {
		/* libfuse said which option above; args may be gone by now */
		if (opt->fuse_opts)
			fail("libfuse refused the mount options \"%s\" (see its message above): "
			     "fix or drop -o, see mount.fuse3(8)%s", opt->fuse_opts, "");
		else
			fail("cannot start FUSE (see the message above)%s%s", "", "");
	} else if (fuse_mount(f, opt->mountpoint) != 0) {
		fail("cannot mount on %s (see the message above)%s", opt->mountpoint, "");
	} else {
		if (log_open(opt->log_file, opt->foreground) < 0)
			fail("cannot open log file %s%s", opt->log_file, "");
		else {
			/* doctor finds it if it dies; recorded before `mount`
			 * returns (fuse_daemonize ends the parent), so from the
			 * moment its user knows it, not some time after */
			if (mountreg_add(h, root, &err) < 0)
				log_msg(LOG_WARNING, "cannot record the mount for doctor: %s", err.msg);
			if (fuse_daemonize(opt->foreground) == 0) {
				log_msg(LOG_INFO, "mounted on %s; memory %s", opt->mountpoint,
					secmem_protect_daemon() ? "locked" : "not locked (memlock limit): secret buffers kept out of dumps");
				rc = serve(&fs, f, root);
				log_msg(LOG_INFO, "unmounting %s", opt->mountpoint);
			}
			mountreg_remove(h, root);
		}
		fuse_unmount(f);
		store_watch_stop(fs.watch);
		fs.watch = NULL;
		fs_notify_stop(&fs); /* after the unmount: a touch in flight fails now */
	}
	if (f)
		fuse_destroy(f);
	fuse_opt_free_args(&args);
	fs_notify_free(&fs);
	fs_release(&fs);
	home_free(h);
	return rc;
}
