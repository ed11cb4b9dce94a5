/* Environment precedence. Existing values always win: every layer uses
 * setenv(..., 0), applied from the strongest layer to the weakest. */
#include "store/env.h"
#include "store/config.h"
#include "store/fileio.h"
#include "store/profile.h"
#include "store/provider.h"
#include "store/secmem.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DOTENV_MAX (1 << 20)

static int key_ok(const char *k, size_t n)
{
	if (n == 0 || isdigit((unsigned char)k[0]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)k[i]) && k[i] != '_')
			return 0;
	return 1;
}

/* One line into key/value (in place). 1 = pair, 0 = blank/comment, -1 bad. */
static int dotenv_line(char *line, char **key, char **val)
{
	while (isspace((unsigned char)*line))
		line++;
	if (!*line || *line == '#')
		return 0;
	if (strncmp(line, "export ", 7) == 0)
		line += 7;
	char *eq = strchr(line, '=');
	if (!eq)
		return -1;
	char *kend = eq;
	while (kend > line && isspace((unsigned char)kend[-1]))
		kend--;
	if (!key_ok(line, (size_t)(kend - line)))
		return -1;
	*kend = '\0';
	char *v = eq + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	if (*v == '"' || *v == '\'') {
		char *close = strrchr(v + 1, *v);
		if (!close)
			return -1;
		for (char *t = close + 1; *t; t++)
			if (!isspace((unsigned char)*t))
				return -1;
		*close = '\0';
		v++;
	} else {
		char *hash = strstr(v, " #");
		if (hash)
			*hash = '\0';
		size_t n = strlen(v);
		while (n && isspace((unsigned char)v[n - 1]))
			v[--n] = '\0';
	}
	*key = line;
	*val = v;
	return 1;
}

/* What a pass does with each pair, with the line it came from. */
typedef void (*line_fn)(int lineno, const char *key, const char *value, void *arg);

static int dotenv_pass(const char *path, const char *text, size_t len, line_fn fn, void *arg, struct nv_err *err)
{
	char *copy = secmem_strndup(text, len);
	if (!copy)
		return nv_fail(err, ENOMEM, "out of memory");
	int rc = 0, lineno = 0;
	char *save = NULL;
	for (char *p = copy; p && rc == 0; p = save) {
		save = strchr(p, '\n');
		if (save)
			*save++ = '\0';
		lineno++;
		char *k, *v;
		int r = dotenv_line(p, &k, &v);
		if (r < 0)
			rc = nv_fail(err, EINVAL, "%s:%d: expected KEY=value", path, lineno);
		else if (r > 0 && fn)
			fn(lineno, k, v, arg);
	}
	secmem_free(copy);
	return rc;
}

/* The file's lines, all or nothing: a malformed line fails before fn
 * has seen any pair. */
static int dotenv_walk(const char *path, const char *text, size_t len, line_fn fn, void *arg, struct nv_err *err)
{
	if (memchr(text, '\0', len))
		return nv_fail(err, EINVAL, "%s: contains a NUL byte", path);
	int rc = dotenv_pass(path, text, len, NULL, NULL, err);
	return rc < 0 ? rc : dotenv_pass(path, text, len, fn, arg, err);
}

struct plain_fn {
	dotenv_fn fn;
	void *arg;
};

static void without_line(int lineno, const char *k, const char *v, void *arg)
{
	(void)lineno;
	struct plain_fn *p = arg;
	p->fn(k, v, p->arg);
}

int dotenv_parse(const char *path, const char *text, size_t len, dotenv_fn fn, void *arg, struct nv_err *err)
{
	struct plain_fn p = { fn, arg };
	return dotenv_walk(path, text, len, fn ? without_line : NULL, &p, err);
}

/* Collect a pair unless a stronger layer already gave the key. */
static void collect(const char *k, const char *v, void *arg)
{
	if (!cJSON_GetObjectItemCaseSensitive(arg, k))
		cJSON_AddStringToObject(arg, k, v);
}

static int is_env_name(const char *k, const char *provider)
{
	const char *names[2];
	char buf[96];
	int n = provider_env_names(provider, names, buf, sizeof(buf));
	for (int j = 0; j < n; j++)
		if (strcmp(k, names[j]) == 0)
			return 1;
	return 0;
}

int env_credential_var(const char *k, const cJSON *config)
{
	for (size_t i = 0; i < provider_count(); i++)
		if (is_env_name(k, provider_at(i)))
			return 1;
	const cJSON *p;
	cJSON_ArrayForEach(p, config_object(config, "models.providers"))
		if (p->string && is_env_name(k, p->string))
			return 1;
	return 0;
}

/* What a layer may set: a trusted file (the state dir's) anything but
 * where the state dir is (it was found before the file was read); the
 * working directory's only credentials. */
struct layer {
	cJSON *into;
	const cJSON *config; /* non-NULL: the untrusted ./.env */
	env_ignored_fn ignored;
	void *arg;
};

static int layer_takes(const struct layer *l, const char *k)
{
	if (strcmp(k, "NOVA_ENGINE_STATE_DIR") == 0)
		return 0;
	return !l->config || env_credential_var(k, l->config);
}

static void collect_line(int lineno, const char *k, const char *v, void *arg)
{
	struct layer *l = arg;
	if (layer_takes(l, k)) {
		if (l->into)
			collect(k, v, l->into);
	} else if (l->ignored) {
		l->ignored(lineno, k, l->arg);
	}
}

/* A ./.env that another user owns, or that every user may write, holds
 * someone else's words: a credential there would send this user's
 * requests to that person's account. Root's is taken (root could do
 * worse). Judged on what was read (st), not on a second look. */
static int cwd_env_trusted(const char *path, const struct stat *st, struct nv_err *err)
{
	if (st->st_uid != getuid() && st->st_uid != 0)
		return nv_fail(err, EPERM, "%s belongs to uid %u, not to you: nothing is taken from it "
			       "(delete it, or make it yours with chown)", path, (unsigned)st->st_uid);
	if (st->st_mode & S_IWOTH)
		return nv_fail(err, EPERM, "%s may be written by every user: nothing is taken from it "
			       "(chmod o-w %s)", path, path);
	return 0;
}

static int load_file(const char *path, struct layer *l, struct nv_err *err)
{
	char *text;
	size_t len;
	struct stat st;
	int rc = file_read_st(path, DOTENV_MAX, &text, &len, &st, err);
	if (rc == -ENOENT) {
		nv_err_clear(err);
		return 0;
	}
	if (rc < 0)
		return rc;
	if (l->config && (rc = cwd_env_trusted(path, &st, err)) < 0) {
		secmem_free(text);
		return rc;
	}
	rc = dotenv_walk(path, text, len, collect_line, l, err);
	secmem_free(text);
	return rc;
}

int env_cwd_ignored(const char *path, const cJSON *config, env_ignored_fn fn, void *arg, struct nv_err *err)
{
	struct layer l = { NULL, config ? config : cJSON_CreateObject(), fn, arg };
	int rc = load_file(path, &l, err);
	if (l.config != config)
		cJSON_Delete((cJSON *)l.config);
	return rc;
}

int env_shell_enabled(const cJSON *config)
{
	const char *flag = getenv("NOVA_ENGINE_LOAD_SHELL_ENV");
	if (flag && strcmp(flag, "1") == 0)
		return 1;
	return cJSON_IsTrue(config_get(config, "env.shellEnv.enabled"));
}

static int expected_key(const char *k)
{
	for (size_t i = 0; i < provider_count(); i++)
		if (is_env_name(k, provider_at(i)))
			return 1;
	size_t n = strlen(k);
	return n > 8 && strcmp(k + n - 8, "_API_KEY") == 0;
}

/* Read `$SHELL -l -c 'env -0'` with a deadline; import expected keys. */
static void import_shell_env(int64_t timeout_ms, cJSON *into)
{
	const char *shell = getenv("SHELL");
	int fds[2];
	if (!shell || !*shell || pipe(fds) < 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		/* its own process group, no stdin/stderr of ours: on a timeout the
		 * whole group dies and nothing it started holds our pipes */
		setpgid(0, 0);
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 2);
		dup2(fds[1], 1);
		close(fds[0]);
		execl(shell, shell, "-l", "-c", "env -0", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	size_t cap = 1 << 20, len = 0;
	char *buf = pid > 0 ? secmem_alloc(cap + 1) : NULL;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (buf && len < cap) {
		struct timespec t;
		clock_gettime(CLOCK_MONOTONIC, &t);
		int64_t left = timeout_ms - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		struct pollfd pfd = { fds[0], POLLIN, 0 };
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			break;
		ssize_t n = read(fds[0], buf + len, cap - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fds[0]);
	if (pid > 0) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	for (size_t i = 0; buf && i < len;) {
		char *entry = buf + i;
		size_t n = strnlen(entry, len - i);
		entry[n < len - i ? n : len - i - 1] = '\0';
		char *eq = strchr(entry, '=');
		if (eq) {
			*eq = '\0';
			if (expected_key(entry))
				collect(entry, eq + 1, into);
		}
		i += n + 1;
	}
	secmem_free(buf);
}

/* The keys the layers set last time: a reload may change or drop them,
 * but never what the process was started with. Guarded by the callers
 * (start-up, or the daemon's one reload thread). */
static cJSON *applied;

static void apply_locked(cJSON *layers);

/* Lookups against the reload: glibc's setenv may move the environment
 * array that a getenv in another thread is reading. */
static pthread_rwlock_t env_lock = PTHREAD_RWLOCK_INITIALIZER;

static void apply(cJSON *layers)
{
	pthread_rwlock_wrlock(&env_lock);
	apply_locked(layers);
	pthread_rwlock_unlock(&env_lock);
}

static void apply_locked(cJSON *layers)
{
	const cJSON *e;
	if (!applied)
		applied = cJSON_CreateObject();
	cJSON_ArrayForEach(e, applied)
		if (!cJSON_GetObjectItemCaseSensitive(layers, e->string))
			unsetenv(e->string); /* gone from every file: ours to drop */
	cJSON *now = cJSON_CreateObject();
	cJSON_ArrayForEach(e, layers) {
		int ours = cJSON_GetObjectItemCaseSensitive(applied, e->string) != NULL;
		if (getenv(e->string) && !ours)
			continue; /* the process environment always wins */
		setenv(e->string, e->valuestring, 1);
		cJSON_AddTrueToObject(now, e->string);
	}
	cJSON_Delete(applied);
	applied = now;
}

int env_load(const char *cwd_env, const char *state_dir, const cJSON *config, struct nv_err *err)
{
	char path[PATH_MAX];
	cJSON *layers = cJSON_CreateObject();
	cJSON *none = config ? NULL : cJSON_CreateObject();
	struct layer untrusted = { layers, config ? config : none, NULL, NULL };
	struct layer trusted = { layers, NULL, NULL, NULL };
	int rc = cwd_env ? load_file(cwd_env, &untrusted, err) : 0;
	if (rc < 0) {
		/* ./.env is whatever another tool (or an attacker) wrote: a file
		 * we cannot read or parse gives nothing, as its other lines give
		 * nothing, and never stops a command (doctor names the problem) */
		nv_err_clear(err); /* all or nothing: no line was taken */
		rc = 0;
	}
	snprintf(path, sizeof(path), "%s/.env", state_dir);
	if (rc == 0)
		rc = load_file(path, &trusted, err);
	if (rc == 0) {
		const cJSON *v;
		cJSON_ArrayForEach(v, config_object(config, "env.vars"))
			if (cJSON_IsString(v) && key_ok(v->string, strlen(v->string)) && layer_takes(&trusted, v->string))
				collect(v->string, v->valuestring, layers);
		if (env_shell_enabled(config))
			import_shell_env(config_int(config, "env.shellEnv.timeoutMs", 15000), layers);
		apply(layers);
	}
	cJSON_Delete(layers);
	cJSON_Delete(none);
	return rc;
}

static const char *lookup(const char *provider, const char **var)
{
	const char *names[2];
	static _Thread_local char buf[96];
	int n = provider_env_names(provider, names, buf, sizeof(buf));
	for (int i = 0; i < n; i++) {
		const char *v = getenv(names[i]);
		if (v && *v) {
			if (var)
				*var = names[i];
			return v;
		}
	}
	if (var)
		*var = names[0];
	return NULL;
}

int env_credential_copy(const char *provider, char *out, size_t cap, const char **var, struct nv_err *err)
{
	const char *name = NULL;
	pthread_rwlock_rdlock(&env_lock);
	const char *v = lookup(provider, &name);
	size_t full = v ? strlen(v) : 0;
	if (v)
		snprintf(out, cap, "%s", v);
	pthread_rwlock_unlock(&env_lock);
	if (var)
		*var = name;
	if (!v)
		return 0;
	/* checked as a paste is: a ./.env may put a value too long for out
	 * (cut by the copy) or terminal escapes there, and it is handed out raw */
	char what[96];
	snprintf(what, sizeof(what), "%s in the environment", name);
	int rc = secret_check(out, full, what, err);
	return rc < 0 ? rc : 1;
}

int env_has_credential(const char *provider, const char **var)
{
	pthread_rwlock_rdlock(&env_lock);
	int yes = lookup(provider, var) != NULL;
	pthread_rwlock_unlock(&env_lock);
	return yes;
}

int env_copy(const char *name, char *out, size_t cap)
{
	pthread_rwlock_rdlock(&env_lock);
	const char *v = getenv(name);
	if (v)
		snprintf(out, cap, "%s", v);
	pthread_rwlock_unlock(&env_lock);
	return v != NULL;
}
