/* The checks. Each adds findings; fixes are keyed by the check name. */
#include "store/doctor.h"
#include "store/avail.h"
#include "store/backend.h"
#include "store/config.h"
#include "store/config_mode.h"
#include "store/creds.h"
#include "store/env.h"
#include "store/fileio.h"
#include "store/fixcmd.h"
#include "store/health.h"
#include "store/keyring.h"
#include "store/mountreg.h"
#include "store/order.h"
#include "store/rows.h"
#include "store/secmem.h"
#include "store/timefmt.h"
#include "store/verdict.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define MOUNT_PROBE_MS 2000

static void add(cJSON *out, const char *check, const char *sev, const char *subject, int fixable,
		const char *fix, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static void add(cJSON *out, const char *check, const char *sev, const char *subject, int fixable,
		const char *fix, const char *fmt, ...)
{
	char problem[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(problem, sizeof(problem), fmt, ap);
	va_end(ap);
	cJSON *f = cJSON_CreateObject();
	cJSON_AddStringToObject(f, "check", check);
	cJSON_AddStringToObject(f, "severity", sev);
	cJSON_AddStringToObject(f, "subject", subject ? subject : "");
	cJSON_AddStringToObject(f, "problem", problem);
	cJSON_AddStringToObject(f, "fix", fix ? fix : "");
	cJSON_AddBoolToObject(f, "fixable", fixable);
	cJSON_AddItemToArray(out, f);
}

/* A file or directory that must have exactly this mode and be ours. */
static void check_mode(cJSON *out, const char *path, mode_t want, const char *what)
{
	struct stat st;
	char fix[PATH_MAX + 32];
	if (lstat(path, &st) != 0)
		return;
	if (S_ISLNK(st.st_mode)) { /* what it points to can change under us: only report */
		add(out, "symlink", "warning", path, 0, "replace the link with the real file or directory, or check its mode yourself",
		    "%s %s is a symbolic link: doctor checks and fixes modes only on the real thing, never through a link", what, path);
		return;
	}
	if (st.st_uid != geteuid())
		add(out, "owner", "error", path, 0, "", "%s %s is owned by uid %u, not by you (uid %u): chown it back",
		    what, path, (unsigned)st.st_uid, (unsigned)geteuid());
	if ((st.st_mode & 0777) != want) {
		snprintf(fix, sizeof(fix), "chmod %o %s", (unsigned)want, path);
		add(out, "mode", (st.st_mode & 077) ? "error" : "warning", path, 1, fix,
		    "%s %s has mode %o, expected %o", what, path, (unsigned)(st.st_mode & 0777), (unsigned)want);
	}
}

static void check_env_file(cJSON *out, const char *path)
{
	char *text;
	size_t len;
	struct nv_err err = { 0 };
	int rc = file_read(path, 1 << 20, &text, &len, &err);
	if (rc == -ENOENT)
		return;
	if (rc < 0) { /* every other command stops on it: say why */
		add(out, "env-syntax", "error", path, 0, "remove it, or make it a regular file of KEY=value lines",
		    "%s", err.msg);
		return;
	}
	if (dotenv_parse(path, text, len, NULL, NULL, &err) < 0)
		add(out, "env-syntax", "error", path, 0, "edit the file: one KEY=value a line", "%s", err.msg);
	secmem_free(text);
	check_mode(out, path, 0600, ".env file");
}

/* The documented config keys and the JSON type each must have ("*" is
 * any key of an object, "[]" any item of an array). A key of another
 * type is ignored by every command (its default applies): say so. */
static const struct {
	const char *path;
	int type; /* cJSON_* */
} config_types[] = {
	{ "agents", cJSON_Object }, { "agents.default", cJSON_String }, { "agents.list", cJSON_Array },
	{ "agents.list.[]", cJSON_Object }, { "agents.list.[].id", cJSON_String },
	{ "agents.list.[].agentDir", cJSON_String },
	{ "auth", cJSON_Object }, { "auth.profiles", cJSON_Object }, { "auth.profiles.*", cJSON_Object },
	{ "auth.profiles.*.provider", cJSON_String }, { "auth.profiles.*.mode", cJSON_String },
	{ "auth.profiles.*.email", cJSON_String }, { "auth.order", cJSON_Object },
	{ "auth.order.*", cJSON_Array }, { "auth.order.*.[]", cJSON_String },
	{ "auth.cooldowns", cJSON_Object }, { "auth.cooldowns.billingBackoffHours", cJSON_Number },
	{ "auth.cooldowns.billingMaxHours", cJSON_Number }, { "auth.cooldowns.failureWindowHours", cJSON_Number },
	{ "auth.refreshSkewSeconds", cJSON_Number }, { "auth.refreshTimeoutMs", cJSON_Number },
	{ "auth.refreshScanSeconds", cJSON_Number },
	{ "models", cJSON_Object }, { "models.default", cJSON_String }, { "models.fallbacks", cJSON_Array },
	{ "models.fallbacks.[]", cJSON_String }, { "models.aliases", cJSON_Object },
	{ "models.aliases.*", cJSON_String }, { "models.providers", cJSON_Object },
	{ "models.providers.*", cJSON_Object }, { "models.providers.*.baseUrl", cJSON_String },
	{ "models.providers.*.oauth", cJSON_Object }, { "models.providers.*.oauth.tokenUrl", cJSON_String },
	{ "models.providers.*.oauth.clientId", cJSON_String },
	{ "env", cJSON_Object }, { "env.vars", cJSON_Object }, { "env.vars.*", cJSON_String },
	{ "env.shellEnv", cJSON_Object }, { "env.shellEnv.enabled", cJSON_True },
	{ "env.shellEnv.timeoutMs", cJSON_Number },
	{ "fs", cJSON_Object }, { "fs.probeTtlSeconds", cJSON_Number }, { "fs.probeTimeoutMs", cJSON_Number },
	{ "fs.openAgentsMax", cJSON_Number }, { "fs.allowOther", cJSON_True }, { "fs.mountpoint", cJSON_String },
	{ "hooks", cJSON_Object }, { "hooks.onChange", cJSON_Array }, { "hooks.passEnv", cJSON_Array },
	{ "hooks.passEnv.[]", cJSON_String }, { "hooks.timeoutMs", cJSON_Number }, { "hooks.debounceMs", cJSON_Number },
	{ "audit", cJSON_Object }, { "audit.enabled", cJSON_True }, { "audit.syslog", cJSON_True },
	{ "audit.maxBytes", cJSON_Number },
	{ "store", cJSON_Object }, { "store.backend", cJSON_String }, { "store.etcd", cJSON_Object },
	{ "store.etcd.endpoints", cJSON_Array }, { "store.etcd.endpoints.[]", cJSON_String },
	{ "store.etcd.timeoutMs", cJSON_Number },
};

static const char *type_name(int type)
{
	switch (type) {
	case cJSON_Object: return "an object";
	case cJSON_Array: return "a list";
	case cJSON_String: return "a string";
	case cJSON_Number: return "a number";
	default: return "true or false";
	}
}

static int has_type(const cJSON *v, int type)
{
	return type == cJSON_True ? cJSON_IsBool(v) : (v->type & 0xff) == type;
}

/* Walk pat (dotted, "*" and "[]" as above) under v; at its end check
 * the type. shown is the path so far, as a person would write it. */
static void check_type_at(cJSON *out, const char *file, const cJSON *v, const char *pat, int type, const char *shown)
{
	if (!*pat) {
		if (!has_type(v, type)) {
			char fix[320];
			snprintf(fix, sizeof(fix), "make %.200s %s in %.100s, or remove it", shown, type_name(type), file);
			add(out, "config-type", "warning", file, 0, fix, "%s: %s must be %s; it is ignored", file, shown,
			    type_name(type));
		}
		return;
	}
	const char *dot = strchr(pat, '.');
	size_t n = dot ? (size_t)(dot - pat) : strlen(pat);
	const char *rest = dot ? dot + 1 : "";
	char next[512];
	const cJSON *c;
	if (n == 1 && *pat == '*') {
		if (cJSON_IsObject(v))
			cJSON_ArrayForEach(c, v) {
				snprintf(next, sizeof(next), "%s.%s", shown, c->string);
				check_type_at(out, file, c, rest, type, next);
			}
	} else if (n == 2 && strncmp(pat, "[]", 2) == 0) {
		int i = 0;
		if (cJSON_IsArray(v))
			cJSON_ArrayForEach(c, v) {
				snprintf(next, sizeof(next), "%s[%d]", shown, i++);
				check_type_at(out, file, c, rest, type, next);
			}
	} else if (cJSON_IsObject(v)) {
		char key[64];
		snprintf(key, sizeof(key), "%.*s", (int)n, pat);
		if ((c = cJSON_GetObjectItemCaseSensitive(v, key))) {
			snprintf(next, sizeof(next), "%s%s%s", shown, *shown ? "." : "", key);
			check_type_at(out, file, c, rest, type, next);
		}
	}
}

static void check_config_types(cJSON *out, struct home *h)
{
	struct config_snap *c = home_config_get(h);
	for (size_t i = 0; i < sizeof(config_types) / sizeof(config_types[0]); i++)
		check_type_at(out, home_config_path(h), c->json, config_types[i].path, config_types[i].type, "");
	config_snap_put(c);
}

struct ignored_lines {
	cJSON *out;
	const char *path, *state_dir;
};

static void report_ignored(int lineno, const char *key, void *arg)
{
	struct ignored_lines *l = arg;
	char subject[PATH_MAX + 16], fix[PATH_MAX + 64];
	int ours = strncmp(key, "NOVA_", 5) == 0;
	snprintf(subject, sizeof(subject), "%s:%d", l->path, lineno);
	if (strcmp(key, "NOVA_ENGINE_STATE_DIR") == 0)
		snprintf(fix, sizeof(fix), "if you meant it, export it in the environment that runs nova-engine");
	else if (ours)
		snprintf(fix, sizeof(fix), "if you meant it, set it in %s/.env", l->state_dir);
	else
		snprintf(fix, sizeof(fix), "nothing to do (it is not for nova-engine)");
	add(l->out, "env-ignored", ours ? "warning" : "info", subject, 0, fix,
	    "%s:%d: %.64s is ignored: a .env in the working directory is not trusted; only provider credential variables are taken from it",
	    l->path, lineno, key);
}

/* ./.env lines env_load left out, by line and name (never the value). */
static void check_cwd_env(cJSON *out, struct home *h)
{
	struct ignored_lines l = { out, home_cwd_env(h), home_state_dir(h) };
	struct config_snap *c = home_config_get(h);
	struct nv_err err = { 0 };
	if (env_cwd_ignored(home_cwd_env(h), c->json, report_ignored, &l, &err) == -EPERM)
		add(out, "env-owner", "warning", home_cwd_env(h), 0, "delete it, or make it yours and not writable by others",
		    "%s", err.msg);
	config_snap_put(c);
}

struct store_check {
	cJSON *out;
	struct home *home;
	const char *agent, *path;
};

static void check_order_refs(struct store_check *c, const cJSON *doc)
{
	const cJSON *list;
	cJSON_ArrayForEach(list, cJSON_GetObjectItemCaseSensitive(doc, "order")) {
		const cJSON *id;
		cJSON_ArrayForEach(id, list) {
			if (!cJSON_IsString(id) || doc_profile(doc, id->valuestring))
				continue;
			char fix[256], subject[300];
			snprintf(fix, sizeof(fix), "nova-engine models auth order set --agent %s --provider %s ...", c->agent, list->string);
			snprintf(subject, sizeof(subject), "%s/%s", c->agent, list->string);
			add(c->out, "order-dangling", "warning", subject, 1, fix,
			    "agent %s: the %s order names \"%s\", which is not stored", c->agent, list->string, id->valuestring);
		}
	}
}

/* A profile held back by usageStats: what it is, and the fix that fits
 * why (a cooldown ends by itself; billing needs the account looked at;
 * a refused login needs a new one). expired: an expiry error was already
 * given for it. */
static void check_avail(struct store_check *c, const struct cred_row *r, const cJSON *cred, int expired)
{
	int64_t now = now_ms();
	const struct avail a = r->avail;
	const char *id = r->id;
	char what[400], fix[700], cmd[400];
	if (a.kind == AVAIL_NOW)
		return;
	avail_phrase(&a, now, what, sizeof(what));
	fixcmd_report_good(c->home, c->agent, id, cmd, sizeof(cmd));
	const char *why = a.reason ? a.reason : "";
	const char *sev = a.kind == AVAIL_DISABLED_OPEN ? "warning" : "info";
	if (strcmp(why, "auth") == 0) {
		if (expired)
			return; /* the expiry error already says to log in again */
		fixcmd_renew(c->home, c->agent, id, cred, cmd, sizeof(cmd));
		snprintf(fix, sizeof(fix), "the provider refused it: store a new one with %s", cmd);
		sev = "warning";
	} else if (strcmp(why, "billing") == 0) {
		snprintf(fix, sizeof(fix), "check the billing or credits of this %s account; once settled, put it back in use: %s",
			 cred_provider(cred) ? cred_provider(cred) : "", cmd);
	} else if (a.kind == AVAIL_COOLDOWN) {
		char left[16];
		avail_left(&a, now, left, sizeof(left));
		snprintf(fix, sizeof(fix), "none needed: it is used again in %s; if it works already: %s", left, cmd);
	} else {
		snprintf(fix, sizeof(fix), "when it works again, put it back in use: %s", cmd);
	}
	add(c->out, "cooldown", sev, id, 0, fix, "agent %s: %s is %s", c->agent, id, what);
}

static void check_expiry(struct store_check *c, const struct cred_row *r, const cJSON *cred)
{
	int64_t now = now_ms();
	char fix[600], left[16];
	fixcmd_renew(c->home, c->agent, r->id, cred, fix, sizeof(fix));
	duration_format(r->health.left_ms, left, sizeof(left));
	char refused[300] = "", phrase[280]; /* a refresh the provider refused: said beside the expiry */
	if (r->avail.reason && strcmp(r->avail.reason, "auth") == 0) {
		avail_phrase(&r->avail, now, phrase, sizeof(phrase));
		snprintf(refused, sizeof(refused), " and %s", phrase);
	}
	if (r->check == 1)
		add(c->out, "expiry", "error", r->id, 0, fix, "agent %s: %s is %s%s", c->agent, r->id, health_name(r->health.state), refused);
	else if (r->check == 2)
		add(c->out, "expiry", "warning", r->id, 0, fix, "agent %s: %s expires in %s", c->agent, r->id, left);
	check_avail(c, r, cred, r->check == 1);
}

/* A stored credential that cannot be used (SPEC 12), with the command that
 * repairs it; an expired token is the expiry check's finding. */
static void check_unusable(struct store_check *c, const struct cred_row *r, const cJSON *cred, const cJSON *config)
{
	if (r->unusable == USABLE || r->unusable == UNUSABLE_EXPIRED)
		return;
	struct verdict_text t;
	char subject[AGENT_MAX + PROFILE_ID_MAX + 2];
	verdict_explain(r->unusable, c->home, c->agent, r->id, cred, config, &t);
	snprintf(subject, sizeof(subject), "%s/%s", c->agent, r->id);
	if (r->unusable == UNUSABLE_MODE) /* the config's pin is what is wrong: --fix takes it away */
		add(c->out, "unusable", "error", subject, 1, t.unpin, "agent %s: %s is not usable: %s%s%s", c->agent, r->id,
		    t.reason, *t.store ? "; or store what the mode names: " : "", t.store);
	else
		add(c->out, "unusable", "error", subject, 0, t.fix, "agent %s: %s is not usable: %s", c->agent, r->id, t.reason);
}

/* The per-profile checks, from each profile's row: expiry and
 * availability first, then whether it can be used at all. */
static void check_profiles(struct store_check *c, const cJSON *doc)
{
	struct cred_row *rows = NULL;
	size_t n = 0;
	struct config_snap *snap = home_config_get(c->home);
	cred_rows_of(doc, snap->json, NULL, now_ms(), &rows, &n);
	for (size_t i = 0; i < n; i++)
		check_expiry(c, &rows[i], doc_profile(doc, rows[i].id));
	for (size_t i = 0; i < n; i++)
		check_unusable(c, &rows[i], doc_profile(doc, rows[i].id), snap->json);
	cred_rows_free(rows, n);
	config_snap_put(snap);
}

static void check_shadowed(struct store_check *c, const cJSON *doc)
{
	for (size_t i = 0; i < provider_count(); i++) {
		const char *p = provider_at(i), *var;
		if (!env_has_credential(p, &var))
			continue;
		const cJSON *e;
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "profiles")) {
			if (cred_provider(e) && strcmp(cred_provider(e), p) == 0) {
				add(c->out, "env-shadowed", "info", var, 0, "unset it, or remove the stored profiles if the env value is the one to use",
				    "agent %s: %s is set but stored %s profiles are used first", c->agent, var, p);
				break;
			}
		}
	}
}

static int doc_checks(const cJSON *doc, void *arg, struct nv_err *err)
{
	(void)err;
	check_order_refs(arg, doc);
	check_profiles(arg, doc);
	check_shadowed(arg, doc);
	return 0;
}

/* Temp files (<file>.tmp.<hex>, fileio.h) a killed writer left beside
 * file; a minute old, so a live writer's is left alone. what: what the
 * leftover holds and that the file itself is intact. */
static void check_leftovers(cJSON *out, const char *file, const char *what)
{
	char dir[PATH_MAX], prefix[PATH_MAX + 8], path[PATH_MAX + 300];
	path_dirname(file, dir, sizeof(dir));
	snprintf(prefix, sizeof(prefix), "%s%s", strrchr(file, '/') ? strrchr(file, '/') + 1 : file, TEMP_INFIX);
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;
	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && time(NULL) - st.st_mtime > 60)
			add(out, "leftover", "warning", path, 1, "nova-engine doctor --fix (removes it)",
			    "%s was left by an interrupted write (%s)", path, what);
	}
	if (d)
		closedir(d);
}

static void check_agent(cJSON *out, struct home *h, const char *agent)
{
	struct store *st;
	struct nv_err err = { 0 };
	if (store_open(h, agent, &st, &err) < 0)
		return;
	int kind = store_kind(st, &err);
	char fix[PATH_MAX + 64];
	if (kind < 0) {
		add(out, "store-open", "error", store_path(st), 0, "restore the file from a backup, or the right key file",
		    "agent %s: %s", agent, err.msg);
	} else if (kind == STORE_PLAINTEXT) {
		snprintf(fix, sizeof(fix), "nova-engine doctor --fix (seals it with the store key)");
		add(out, "plaintext-store", "warning", agent, 1, fix, "agent %s: %s holds secrets in plaintext (left by an older install)",
		    agent, store_path(st));
	}
	char file[PATH_MAX + 32];
	snprintf(file, sizeof(file), "%s/auth-profiles.json", store_dir(st));
	check_leftovers(out, file, "it is sealed; the store is intact");
	if (kind != 0 && strncmp(store_path(st), "etcd:", 5) != 0) /* even one that does not open: it may be a link */
		check_mode(out, store_path(st), 0600, "store");
	if (kind > 0) {
		struct store_check c = { out, h, agent, store_path(st) };
		store_read(st, doc_checks, &c, NULL);
	}
	store_free(st);
}

static int on_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];
	for (const char *p = path ? path : "/usr/bin:/bin"; p && *p;) {
		size_t n = strcspn(p, ":");
		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p, prog);
		if (access(buf, X_OK) == 0)
			return 1;
		p += n + (p[n] == ':');
	}
	return 0;
}

static void check_fuse(cJSON *out, struct home *h)
{
	if (access("/dev/fuse", R_OK | W_OK) != 0)
		add(out, "fuse-device", "error", "/dev/fuse", 0, "sudo modprobe fuse (or run where FUSE is allowed)",
		    "/dev/fuse is not usable: %s", strerror(errno));
	if (!on_path("fusermount3"))
		add(out, "fusermount", "error", "fusermount3", 0, "sudo apt-get install fuse3", "fusermount3 is not installed");
	struct config_snap *c = h ? home_config_get(h) : NULL;
	int allow = c && cJSON_IsTrue(config_get(c->json, "fs.allowOther"));
	config_snap_put(c);
	if (allow && geteuid() != 0) {
		char *text;
		size_t len;
		int ok = 0;
		if (file_read("/etc/fuse.conf", 1 << 16, &text, &len, NULL) == 0) {
			for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
				ok |= strncmp(l, "user_allow_other", 16) == 0;
			secmem_free(text);
		}
		if (!ok)
			add(out, "allow-other", "error", "/etc/fuse.conf", 0, "echo user_allow_other | sudo tee -a /etc/fuse.conf",
			    "fs.allowOther is set but /etc/fuse.conf lacks user_allow_other");
	}
}

/* Ask a mount whether its daemon answers: 0 it does, -ENOTCONN its
 * daemon is gone, -ETIMEDOUT it hangs (a daemon stopped or wedged). The
 * statfs runs in a child: a hung mount never answers, and doctor must. */
static int mount_probe(const char *mp, int timeout_ms)
{
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* A request a daemon took just before it stopped cannot be
		 * killed until it answers: the child may outlive doctor, and must
		 * not keep doctor's output open (`doctor | less` would wait) */
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		for (int fd = 0; fd <= 2 && null >= 0; fd++)
			dup2(null, fd);
		struct statfs sf; /* statfs always reaches the daemon; stat may be cached */
		_exit(statfs(mp, &sf) == 0 ? 0 : errno == ENOTCONN ? 1 : 2);
	}
	for (int waited = 0; waited < timeout_ms; waited += 10) {
		int status;
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return WIFEXITED(status) && WEXITSTATUS(status) == 1 ? -ENOTCONN : 0;
		if (r < 0 && errno != EINTR)
			return 0;
		usleep(10000);
	}
	kill(pid, SIGKILL); /* it may stay until the mount is detached */
	return -ETIMEDOUT;
}

/* Mounts of ours (this state dir's, or fs.mountpoint) from
 * /proc/self/mountinfo: stale ones and the daemon. Others are left alone:
 * their statfs could hang on a daemon that is not ours. */
static void check_mounts(cJSON *out, struct home *h)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096], mp[PATH_MAX];
	struct config_snap *c = h ? home_config_get(h) : NULL;
	const char *want = c ? cJSON_GetStringValue(config_get(c->json, "fs.mountpoint")) : NULL;
	int want_seen = 0;
	while (f && fgets(line, sizeof(line), f)) {
		if (!strstr(line, " - fuse.nova-engine "))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
			continue;
		if (!(want && strcmp(want, mp) == 0) && !mountreg_has(h, mp))
			continue;
		int rc = mount_probe(mp, MOUNT_PROBE_MS);
		if (rc < 0) {
			char fix[PATH_MAX + 40];
			snprintf(fix, sizeof(fix), "fusermount3 -uz %s", mp);
			if (rc == -ENOTCONN)
				add(out, "stale-mount", "error", mp, 1, fix, "%s is a dead mount (its daemon is gone): it answers ENOTCONN", mp);
			else
				add(out, "stale-mount", "error", mp, 1, fix,
				    "%s does not answer within %d ms (its daemon is stopped or stuck)", mp, MOUNT_PROBE_MS);
		} else if (want && strcmp(want, mp) == 0) {
			want_seen = 1;
		}
	}
	if (f)
		fclose(f);
	if (want && !want_seen) {
		char fix[PATH_MAX + 80];
		snprintf(fix, sizeof(fix), "systemctl --user start nova-engine-mount, or: nova-engine mount %s", want);
		add(out, "daemon", "warning", want, 0, fix, "the filesystem is not mounted on %s (fs.mountpoint)", want);
	}
	config_snap_put(c);
}

static void report_backend(void *arg, const char *check, const char *sev, const char *subject, const char *fix,
			   const char *problem)
{
	add(arg, check, sev, subject, 0, fix, "%s", problem);
}

/* The store backend (SPEC 14): its settings, and etcd's members, quorum,
 * stores and key. */
static void check_backend(cJSON *out, struct home *h)
{
	struct backend *b;
	struct nv_err err = { 0 };
	if (backend_of(h, &b, &err) < 0)
		add(out, "store-backend", "error", "store", 0, "fix the store settings in the config (docs/etcd.md)", "%s", err.msg);
	else
		backend_check(b, h, report_backend, out);
}

cJSON *doctor_run(struct home *h, const struct nv_err *config_err)
{
	cJSON *out = cJSON_CreateArray();
	char path[PATH_MAX + 16];
	if (config_err && config_err->code)
		add(out, "config", "error", "", 0, "fix the file at that line and column", "%s", config_err->msg);
	if (!h) {
		check_fuse(out, NULL);
		return out;
	}
	check_mode(out, home_state_dir(h), 0700, "state dir");
	struct keyring *kr = home_keyring(h);
	if (keyring_creatable(kr)) /* systemd's credentials are its own business */
		check_mode(out, keyring_path(kr), 0600, "key file");
	if (keyring_rekey_interrupted(kr))
		add(out, "rekey", "warning", keyring_path(kr), 0, "nova-engine store rekey (finishes it; keep the .next file until then)",
		    "a rekey was interrupted: %s.next holds the key that stores written since are sealed with", keyring_path(kr));
	if (keyring_creatable(kr)) {
		char next[PATH_MAX + 8];
		snprintf(next, sizeof(next), "%s.next", keyring_path(kr));
		check_leftovers(out, keyring_path(kr), "it holds key material; the key file is intact");
		check_leftovers(out, next, "it holds key material; the key file is intact");
	}
	check_mode(out, home_config_path(h), 0600, "config");
	check_leftovers(out, home_config_path(h), "it may hold env values; the config is intact");
	check_config_types(out, h);
	snprintf(path, sizeof(path), "%s/.env", home_state_dir(h));
	check_env_file(out, path);
	if (home_cwd_env(h)[0]) {
		check_env_file(out, home_cwd_env(h));
		check_cwd_env(out, h);
	}
	char **ids;
	size_t n;
	if (home_agents(h, &ids, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			check_agent(out, h, ids[i]);
		home_agents_free(ids, n);
	}
	check_backend(out, h);
	check_fuse(out, h);
	check_mounts(out, h);
	return out;
}

static const char *text(const cJSON *f, const char *key)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, key));
	return s ? s : "";
}

int doctor_finding(const cJSON *findings, int i, struct finding *out)
{
	const cJSON *f = cJSON_GetArrayItem(findings, i);
	if (!f)
		return -ENOENT;
	*out = (struct finding){ text(f, "check"), text(f, "severity"), text(f, "subject"), text(f, "problem"),
				 text(f, "fix"), cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "fixable")) };
	return 0;
}

int doctor_healthy(const cJSON *findings)
{
	const cJSON *f;
	cJSON_ArrayForEach(f, findings) {
		const char *sev = cJSON_GetStringValue(cJSON_GetObjectItem(f, "severity"));
		if (sev && strcmp(sev, "info") != 0)
			return 1;
	}
	return 0;
}

static int drop_dangling(cJSON *doc, void *arg, struct nv_err *err)
{
	(void)arg, (void)err;
	cJSON *profiles = cJSON_GetObjectItemCaseSensitive(doc, "profiles"), *list;
	int changed = 0;
	cJSON_ArrayForEach(list, cJSON_GetObjectItemCaseSensitive(doc, "order")) {
		for (int i = cJSON_GetArraySize(list) - 1; i >= 0; i--) {
			const char *id = cJSON_GetStringValue(cJSON_GetArrayItem(list, i));
			if (!id || !cJSON_GetObjectItemCaseSensitive(profiles, id)) {
				cJSON_DeleteItemFromArray(list, i);
				changed = 1;
			}
		}
	}
	return changed ? 0 : 1;
}

static int with_store(struct home *h, const char *agent, int (*fn)(struct store *, struct nv_err *), struct nv_err *err)
{
	struct store *st;
	int rc = store_open(h, agent, &st, err);
	if (rc == 0)
		rc = fn(st, err);
	store_free(st);
	return rc;
}

static int fix_dangling(struct store *st, struct nv_err *err)
{
	int rc = store_change(st, drop_dangling, NULL, err);
	return rc < 0 ? rc : 0;
}

static int run_quiet(const char *const argv[])
{
	pid_t pid = fork();
	if (pid == 0) {
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	int status;
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

int doctor_fix(struct home *h, const cJSON *f, struct nv_err *err)
{
	const char *check = cJSON_GetStringValue(cJSON_GetObjectItem(f, "check"));
	const char *subject = cJSON_GetStringValue(cJSON_GetObjectItem(f, "subject"));
	if (!cJSON_IsTrue(cJSON_GetObjectItem(f, "fixable")) || !check || !subject)
		return nv_fail(err, EINVAL, "this finding has no automatic fix");
	if (strcmp(check, "mode") == 0)
		return file_fix_mode(subject, 0700, 0600, err);
	if (strcmp(check, "plaintext-store") == 0) {
		struct store *st;
		int rc = store_open(h, subject, &st, err);
		if (rc == 0)
			rc = store_reseal(st, err);
		store_free(st);
		return rc;
	}
	if (strcmp(check, "order-dangling") == 0) {
		char agent[AGENT_MAX + 1];
		snprintf(agent, sizeof(agent), "%.*s", (int)strcspn(subject, "/"), subject);
		return with_store(h, agent, fix_dangling, err);
	}
	if (strcmp(check, "unusable") == 0 && strchr(subject, '/')) /* only a mode's finding is fixable */
		return config_mode_unpin(h, strchr(subject, '/') + 1, err);
	if (strcmp(check, "leftover") == 0)
		return unlink(subject) == 0 ? 0 : nv_fail(err, errno, "cannot remove %s: %s", subject, strerror(errno));
	if (strcmp(check, "stale-mount") == 0) {
		const char *argv[] = { "fusermount3", "-uz", subject, NULL };
		if (run_quiet(argv) != 0)
			return nv_fail(err, EIO, "fusermount3 -uz %s failed", subject);
		mountreg_remove(h, subject);
		return 0;
	}
	return nv_fail(err, EINVAL, "no automatic fix for %s", check);
}
