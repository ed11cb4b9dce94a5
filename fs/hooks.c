/* The hook runner. Changes are collected under a mutex; the runner thread
 * waits until hooks.debounceMs (500) pass with no new change (at most 5 s
 * after the first), then runs every command once, one after another.
 * Changes that arrive meanwhile make one more round.
 *
 * A command is a string, run as /bin/sh -c STRING (it is the owner's own
 * config), or an array, run as that argv with no shell. What changed is
 * only ever passed in NOVA_ENGINE_CHANGED, never put into the command
 * text, so no name can inject anything. */
#include "fs/hooks.h"
#include "fs/log.h"
#include "fs/notify.h"
#include "store/settings.h"
#include "store/env.h"
#include "store/timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHANGED_MAX 4096
#define HARD_WAIT_MS 5000
#define ENV_MAX 32
#define LOG_LINES_MAX 200 /* of one run: a chatty hook must not fill the disk */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static char changed[CHANGED_MAX];       /* "a/p b/q", protected by mu */
static int64_t first_at, last_at;       /* monotonic ms, protected by mu */
static int stopping, running;           /* stopping: protected by mu */
static pid_t hook_pid;                  /* the command running now (0: none), protected by mu */
static pthread_t thread;
static struct fs *the_fs;

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void hooks_changed(const char *agent, const char *what)
{
	char item[AGENT_MAX + 300];
	if (strcmp(agent, "*") == 0) /* every agent (the config changed) */
		snprintf(item, sizeof(item), "*");
	else
		snprintf(item, sizeof(item), "%s/%s", agent, what && *what ? what : "*");
	pthread_mutex_lock(&mu);
	size_t n = strlen(changed), il = strlen(item);
	int seen = 0;
	for (const char *p = changed; (p = strstr(p, item)); p += il)
		if ((p == changed || p[-1] == ' ') && (p[il] == ' ' || p[il] == '\0'))
			seen = 1;
	if (!seen && n + il + 2 < sizeof(changed))
		snprintf(changed + n, sizeof(changed) - n, "%s%s", n ? " " : "", item);
	last_at = mono_ms();
	if (!n)
		first_at = last_at;
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&mu);
}

/* The environment a hook gets: a few harmless variables, hooks.passEnv,
 * and NOVA_ENGINE_CHANGED. Credential variables are never passed. */
static int hook_env(const struct hook_settings *hs, const char *what, char **envp, char store[ENV_MAX][PATH_MAX])
{
	static const char *const base[] = { "PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TZ",
					     "XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS",
					     "NOVA_ENGINE_STATE_DIR", "NOVA_ENGINE_CONFIG_PATH" };
	const char *names[ENV_MAX];
	int n = 0, k = 0;
	for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++)
		names[n++] = base[i];
	for (size_t i = 0; i < hs->n_pass; i++) {
		const char *s = hs->pass_env[i];
		size_t l = strlen(s);
		int secret = l && ((l >= 8 && strcmp(s + l - 8, "_API_KEY") == 0) ||
				   (l >= 12 && strcmp(s + l - 12, "_OAUTH_TOKEN") == 0));
		if (!secret && n < ENV_MAX - 2)
			names[n++] = s;
		else if (secret)
			log_msg(LOG_WARNING, "hooks.passEnv: %s is a credential variable and is not passed", s);
	}
	for (int i = 0; i < n; i++) {
		char v[PATH_MAX - 80];
		if (!env_copy(names[i], v, sizeof(v)))
			continue;
		snprintf(store[k], PATH_MAX, "%s=%s", names[i], v);
		envp[k] = store[k];
		k++;
	}
	int have_path = 0;
	for (int i = 0; i < k; i++)
		have_path |= strncmp(envp[i], "PATH=", 5) == 0;
	if (!have_path) { /* the daemon's PATH, or a sane one */
		snprintf(store[k], PATH_MAX, "PATH=/usr/local/bin:/usr/bin:/bin");
		envp[k] = store[k];
		k++;
	}
	snprintf(store[k], PATH_MAX, "NOVA_ENGINE_CHANGED=%s", what);
	envp[k] = store[k];
	envp[++k] = NULL;
	return 0;
}

/* argv[0] found on the hook's PATH (the daemon's own environment may
 * differ from the one the hook gets). */
static void find_program(const char *name, char **envp, char *out, size_t cap)
{
	snprintf(out, cap, "%s", name);
	if (strchr(name, '/'))
		return;
	const char *path = "/usr/local/bin:/usr/bin:/bin";
	for (char **e = envp; *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			path = *e + 5;
	while (*path) {
		size_t l = strcspn(path, ":");
		char cand[PATH_MAX];
		snprintf(cand, sizeof(cand), "%.*s/%s", (int)l, path, name);
		if (access(cand, X_OK) == 0) {
			snprintf(out, cap, "%s", cand);
			return;
		}
		path += l + (path[l] == ':');
	}
}

/* Log the hook's output line by line (control characters made visible),
 * the first LOG_LINES_MAX lines, until it closes it or the deadline
 * passes; then kill its process group. */
static int collect_output(int fd, pid_t pid, const char *label, int64_t end)
{
	char buf[4096], line[512];
	size_t ll = 0;
	unsigned long lines = 0;
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		int64_t left = end - mono_ms();
		if (left <= 0 || poll(&p, 1, (int)left) == 0) {
			kill(-pid, SIGKILL);
			if (lines > LOG_LINES_MAX)
				log_msg(LOG_INFO, "hook %s: %lu more lines of output not logged", label, lines - LOG_LINES_MAX);
			log_msg(LOG_WARNING, "hook %s: killed at hooks.timeoutMs", label);
			return -ETIMEDOUT;
		}
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		for (ssize_t i = 0; i <= n; i++) {
			int eof = n <= 0 && i == 0, nl = i < n && buf[i] == '\n';
			if ((eof || nl || ll == sizeof(line) - 1) && ll) {
				line[ll] = '\0';
				if (++lines <= LOG_LINES_MAX)
					log_msg(LOG_INFO, "hook %s: %s", label, line);
				ll = 0;
			}
			if (i < n && !nl)
				line[ll++] = (unsigned char)buf[i] < 0x20 || buf[i] == 0x7f ? '?' : buf[i];
		}
		if (n <= 0) {
			if (lines > LOG_LINES_MAX)
				log_msg(LOG_INFO, "hook %s: %lu more lines of output not logged", label, lines - LOG_LINES_MAX);
			return 0;
		}
	}
}

/* Reap pid, killing its group at the deadline. It stops being the
 * running hook under mu, as it is reaped: hooks_stop never signals a
 * reused pid. */
static int reap(pid_t pid, int64_t end)
{
	int status = 0;
	for (;;) {
		pthread_mutex_lock(&mu);
		pid_t r = waitpid(pid, &status, WNOHANG);
		int gone = r == pid || (r < 0 && errno != EINTR);
		if (gone)
			hook_pid = 0;
		pthread_mutex_unlock(&mu);
		if (gone)
			return status;
		if (mono_ms() >= end)
			kill(-pid, SIGKILL);
		usleep(10000);
	}
}

static int start(char *prog, char *const *argv, char **envp, int out, pid_t *pid)
{
	*pid = fork();
	if (*pid == 0) { /* only async-signal-safe calls until exec */
		setpgid(0, 0);
		int null = open("/dev/null", O_RDONLY);
		dup2(null, 0), dup2(out, 1), dup2(out, 2);
		syscall(SYS_close_range, 3, ~0U, 0); /* the FUSE device and every store fd stay here */
		execve(prog, argv, envp);
		_exit(127);
	}
	return *pid < 0 ? -errno : 0;
}

static void run_one(const struct hook_cmd *cmd, const char *what, const struct hook_settings *hs, long timeout_ms)
{
	char *const *argv = cmd->argv;
	char label[64], prog[PATH_MAX], *envp[ENV_MAX + 1];
	static char env_store[ENV_MAX][PATH_MAX];
	if (!argv[0]) {
		log_msg(LOG_WARNING, "hooks.onChange: each command must be a string or an array of strings; skipped");
		return;
	}
	snprintf(label, sizeof(label), "\"%.50s\"", cmd->shell ? argv[2] : argv[0]);
	hook_env(hs, what, envp, env_store);
	find_program(argv[0], envp, prog, sizeof(prog));
	int fds[2];
	pid_t pid;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		log_msg(LOG_WARNING, "hook %s: cannot start: %s", label, strerror(errno));
		return;
	}
	int rc = start(prog, argv, envp, fds[1], &pid);
	close(fds[1]);
	if (rc < 0) {
		close(fds[0]);
		log_msg(LOG_WARNING, "hook %s: cannot start: %s", label, strerror(-rc));
		return;
	}
	pthread_mutex_lock(&mu);
	hook_pid = pid;
	if (stopping) /* the unmount came while it started */
		kill(-pid, SIGKILL);
	pthread_mutex_unlock(&mu);
	int64_t end = mono_ms() + timeout_ms;
	collect_output(fds[0], pid, label, end);
	close(fds[0]);
	int status = reap(pid, end);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		log_msg(LOG_INFO, "hook %s: done (%s)", label, what);
	else
		log_msg(LOG_WARNING, "hook %s: failed (%s %d)", label, WIFEXITED(status) ? "exit" : "signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

static void run_all(const char *what)
{
	struct home *h = the_fs->home;
	struct hook_settings hs;
	struct mount_settings s;
	mount_settings(h, &s);
	if (hook_settings_get(h, &hs) < 0) {
		log_msg(LOG_WARNING, "hooks: out of memory; none run for this change");
		return;
	}
	for (size_t i = 0; i < hs.n_cmds; i++) {
		pthread_mutex_lock(&mu);
		int stop = stopping;
		pthread_mutex_unlock(&mu);
		if (stop)
			break;
		run_one(&hs.cmds[i], what, &hs, s.hook_timeout_ms);
	}
	hook_settings_free(&hs);
}

static int64_t debounce_ms(void)
{
	struct mount_settings s;
	mount_settings(the_fs->home, &s);
	return s.hook_debounce_ms;
}

static void *run(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	while (!stopping) {
		if (!changed[0]) {
			pthread_cond_wait(&wake, &mu);
			continue;
		}
		int64_t now = mono_ms(), quiet = last_at + debounce_ms(), hard = first_at + HARD_WAIT_MS;
		int64_t at = quiet < hard ? quiet : hard;
		if (now < at) {
			struct timespec ts = { (time_t)(at / 1000), (long)(at % 1000) * 1000000 };
			pthread_cond_timedwait(&wake, &mu, &ts);
			continue;
		}
		char what[CHANGED_MAX];
		memcpy(what, changed, sizeof(what));
		changed[0] = '\0';
		pthread_mutex_unlock(&mu);
		run_all(what);
		pthread_mutex_lock(&mu);
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

/* A notice from fs/notify: whoever made the change. */
static void on_change(void *arg, const char *agent, const char *profile_id)
{
	(void)arg;
	hooks_changed(agent ? agent : "*", profile_id);
}

int hooks_start(struct fs *fs)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_destroy(&wake);
	pthread_cond_init(&wake, &ca);
	pthread_condattr_destroy(&ca);
	the_fs = fs;
	stopping = 0;
	int rc = pthread_create(&thread, NULL, run, NULL);
	running = rc == 0;
	if (rc == 0 && fs_notify_listen(fs, on_change, NULL) < 0)
		log_msg(LOG_WARNING, "hooks: cannot listen for changes");
	return -rc;
}

/* A hook still running is killed: the kernel's requests to the mount
 * wait, unanswered, until the daemon unmounts. */
void hooks_stop(void)
{
	pthread_mutex_lock(&mu);
	stopping = 1;
	if (hook_pid > 0)
		kill(-hook_pid, SIGKILL);
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&mu);
	if (running)
		pthread_join(thread, NULL);
	running = 0;
}
