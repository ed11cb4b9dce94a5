/* The audit trail. Appends are one write(2) on an O_APPEND descriptor
 * under flock, so lines of concurrent readers (the daemon's threads, CLI
 * processes) never interleave, and rotation cannot lose a line: a writer
 * that finds the file renamed under it reopens the new one. */
#include "store/audit.h"
#include "store/config.h"
#include "store/fileio.h"
#include "store/secmem.h"
#include "store/timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

void audit_path(struct home *h, char *out, size_t cap)
{
	snprintf(out, cap, "%s/audit.jsonl", h->state_dir);
}

/* Config audit.*, from the current config snapshot. */
static void audit_config(struct home *h, int *enabled, int *to_syslog, long *max_bytes)
{
	struct config_snap *c = home_config_get(h);
	*enabled = !cJSON_IsFalse(config_get(c->json, "audit.enabled"));
	*to_syslog = !cJSON_IsFalse(config_get(c->json, "audit.syslog"));
	*max_bytes = (long)config_int(c->json, "audit.maxBytes", AUDIT_MAX_BYTES_DEFAULT);
	config_snap_put(c);
	if (*max_bytes < 4096)
		*max_bytes = 4096;
}

/* First line of /proc/<pid>/<what>, printable ASCII only ('?' for the
 * rest: a process name is chosen by whoever runs it). */
static void proc_text(pid_t pid, const char *what, char *out, size_t cap)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/%s", (int)pid, what);
	out[0] = '\0';
	FILE *f = fopen(p, "re");
	if (!f)
		return;
	if (fgets(out, (int)cap, f))
		out[strcspn(out, "\n")] = '\0';
	fclose(f);
	for (char *c = out; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
}

/* A field "Name:\t<number>" of /proc/<pid>/status, or 0. */
static long proc_status_num(pid_t pid, const char *field)
{
	char p[64], line[256];
	size_t n = strlen(field);
	long v = 0;
	snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	FILE *f = fopen(p, "re");
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, field, n) == 0 && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	if (f)
		fclose(f);
	return v;
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

/* The whole line for ev, NUL-terminated with its newline. */
static char *audit_line(const struct audit_event *ev)
{
	pid_t pid = ev->pid ? ev->pid : getpid();
	uid_t uid = ev->pid ? ev->uid : getuid();
	long tgid = proc_status_num(pid, "Tgid"); /* FUSE gives the reading thread */
	if (tgid > 0)
		pid = (pid_t)tgid;
	pid_t ppid = (pid_t)proc_status_num(pid, "PPid");
	char comm[64], pcomm[64], exe[PATH_MAX], ts[32];
	proc_text(pid, "comm", comm, sizeof(comm));
	proc_exe(pid, exe, sizeof(exe));
	if (ppid > 0)
		proc_text(ppid, "comm", pcomm, sizeof(pcomm));
	else
		pcomm[0] = '\0';
	int64_t now = now_ms();
	time_iso(now, ts);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "time", ts);
	cJSON_AddNumberToObject(o, "ts", (double)now);
	cJSON_AddStringToObject(o, "agent", ev->agent ? ev->agent : "");
	cJSON_AddStringToObject(o, "profile", ev->profile ? ev->profile : "");
	cJSON_AddStringToObject(o, "how", ev->how);
	if (ev->path)
		cJSON_AddStringToObject(o, "path", ev->path);
	cJSON_AddNumberToObject(o, "uid", (double)uid);
	cJSON_AddNumberToObject(o, "pid", (double)pid);
	cJSON_AddStringToObject(o, "comm", comm);
	cJSON_AddStringToObject(o, "exe", exe);
	cJSON_AddNumberToObject(o, "ppid", (double)ppid);
	cJSON_AddStringToObject(o, "pcomm", pcomm);
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	char *line = text ? secmem_alloc(strlen(text) + 2) : NULL;
	if (line)
		sprintf(line, "%s\n", text);
	cJSON_free(text);
	return line;
}

/* Open the trail for appending, locked, rotated first when it is full.
 * Returns the fd or -errno. */
static int open_locked(const char *path, long max_bytes, size_t adding)
{
	for (int tries = 0; tries < 5; tries++) {
		int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return -errno;
		struct stat mine, now;
		if (flock(fd, LOCK_EX) < 0 || fstat(fd, &mine) < 0) {
			close(fd);
			return -errno;
		}
		/* renamed away by a writer that rotated while we waited */
		if (stat(path, &now) < 0 || now.st_ino != mine.st_ino || now.st_dev != mine.st_dev) {
			close(fd);
			continue;
		}
		if (mine.st_size == 0 || mine.st_size + (off_t)adding <= max_bytes)
			return fd;
		char old[PATH_MAX + 4];
		snprintf(old, sizeof(old), "%s.1", path);
		int rc = rename(path, old) < 0 ? -errno : 0;
		close(fd);
		if (rc < 0)
			return rc;
	}
	return -EAGAIN;
}

static int append(struct home *h, const char *line, long max_bytes, struct nv_err *err)
{
	char path[PATH_MAX];
	audit_path(h, path, sizeof(path));
	int rc = dir_make(h->state_dir, 0700, err);
	if (rc < 0)
		return rc;
	int fd = open_locked(path, max_bytes, strlen(line));
	if (fd < 0)
		return nv_fail(err, -fd, "cannot append to %s: %s", path, strerror(-fd));
	size_t len = strlen(line);
	ssize_t n = write(fd, line, len);
	rc = n == (ssize_t)len ? 0 : nv_fail(err, n < 0 ? errno : EIO, "cannot append to %s: %s", path,
					      n < 0 ? strerror(errno) : "short write");
	close(fd);
	return rc;
}

int audit_record(struct home *h, const struct audit_event *ev, struct nv_err *err)
{
	int enabled, to_syslog;
	long max_bytes;
	audit_config(h, &enabled, &to_syslog, &max_bytes);
	if (!enabled)
		return 0;
	char *line = audit_line(ev);
	if (!line)
		return nv_fail(err, ENOMEM, "out of memory");
	int rc = append(h, line, max_bytes, err);
	if (to_syslog) {
		line[strcspn(line, "\n")] = '\0';
		syslog(LOG_AUTHPRIV | LOG_NOTICE, "nova-engine secret read: %s", line);
	}
	secmem_free(line);
	return rc;
}

/* Read the rotated and the current file, oldest first, into one buffer. */
static int read_both(struct home *h, struct out *all, struct nv_err *err)
{
	char path[PATH_MAX], old[PATH_MAX + 4];
	int enabled, to_syslog;
	long max_bytes;
	audit_config(h, &enabled, &to_syslog, &max_bytes);
	audit_path(h, path, sizeof(path));
	snprintf(old, sizeof(old), "%s.1", path);
	const char *files[] = { old, path };
	for (int i = 0; i < 2; i++) {
		char *text;
		size_t len;
		/* a file grows while we read: allow a margin over the limit */
		int rc = file_read(files[i], (size_t)max_bytes * 2 + 65536, &text, &len, err);
		if (rc == -ENOENT)
			continue;
		if (rc < 0)
			return rc;
		rc = out_puts(all, text);
		secmem_free(text);
		if (rc < 0)
			return nv_fail(err, ENOMEM, "out of memory");
	}
	nv_err_clear(err);
	return 0;
}

/* Start of the last n lines of text (which ends in a newline, or not). */
static const char *last_lines(const char *text, size_t len, size_t n)
{
	const char *p = text + len;
	if (p > text && p[-1] == '\n')
		p--;
	while (p > text) {
		if (p[-1] == '\n' && --n == 0)
			break;
		p--;
	}
	return p;
}

int audit_tail(struct home *h, struct out *o, struct nv_err *err)
{
	struct out all = { 0 };
	int rc = read_both(h, &all, err);
	if (rc == 0 && all.len)
		rc = out_puts(o, last_lines(all.p, all.len, AUDIT_TAIL_LINES));
	out_free(&all);
	return rc;
}

static int keep(const cJSON *line, const char *agent, int64_t since_ms)
{
	const char *a = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(line, "agent"));
	double ts = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(line, "ts"));
	if (agent && (!a || strcmp(a, agent) != 0))
		return 0;
	return !since_ms || ts >= (double)since_ms;
}

int audit_read(struct home *h, const char *agent, int64_t since_ms, size_t max, cJSON **out, struct nv_err *err)
{
	struct out all = { 0 };
	*out = NULL;
	int rc = read_both(h, &all, err);
	cJSON *rows = rc == 0 ? cJSON_CreateArray() : NULL;
	char *save = NULL;
	size_t count = 0;
	for (char *l = all.p ? strtok_r(all.p, "\n", &save) : NULL; rows && l; l = strtok_r(NULL, "\n", &save)) {
		cJSON *line = cJSON_Parse(l); /* a torn or edited line is skipped */
		if (!cJSON_IsObject(line) || !keep(line, agent, since_ms)) {
			cJSON_Delete(line);
			continue;
		}
		cJSON_AddItemToArray(rows, line);
		if (max && ++count > max)
			cJSON_DeleteItemFromArray(rows, 0);
	}
	out_free(&all);
	if (rc < 0)
		return rc;
	if (!rows)
		return nv_fail(err, ENOMEM, "out of memory");
	*out = rows;
	return 0;
}
