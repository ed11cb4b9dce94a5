/* The audit trail. Appends are one write(2) on an O_APPEND descriptor
 * under a shared flock, so lines of concurrent readers (the daemon's
 * threads, CLI processes) never interleave, and rotation (under the lock
 * alone) cannot lose a line or leave a hole (see struct trail).
 * A line is written on every secret read, inside the read: the system
 * calls it takes are kept few (the trail's descriptor kept open, one
 * pread per /proc task through store/procwho.h, syslog skipped while
 * there is no syslog socket), as they were most of a mount token read's
 * cost. */
#include "store/audit.h"
#include "store/config.h"
#include "store/fileio.h"
#include "store/procwho.h"
#include "store/secmem.h"
#include "store/timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

void audit_path(struct home *h, char *out, size_t cap)
{
	snprintf(out, cap, "%s/audit.jsonl", home_state_dir(h));
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

#define LINE_MAX_BYTES (3 * PATH_MAX)

/* snprintf at o, never past end (a field too long is cut, never overrun). */
static char *put(char *o, const char *end, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static char *put(char *o, const char *end, const char *fmt, ...)
{
	va_list ap;
	if (o >= end)
		return o;
	va_start(ap, fmt);
	int n = vsnprintf(o, (size_t)(end - o), fmt, ap);
	va_end(ap);
	return n < 0 ? o : o + n < end ? o + n : (char *)end - 1;
}

/* Append s at o (bounded by end): a line is built on every secret read,
 * and vsnprintf for each piece was a tenth of the audit's cost. */
static char *lit(char *o, const char *end, const char *s)
{
	while (*s && o < end - 1)
		*o++ = *s++;
	return o;
}

/* Append n in decimal. */
static char *num(char *o, const char *end, long long n)
{
	char digits[24], *d = digits + sizeof(digits);
	unsigned long long u = n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n;
	*--d = '\0';
	do
		*--d = (char)('0' + u % 10);
	while ((u /= 10));
	if (n < 0)
		*--d = '-';
	return lit(o, end, d);
}

/* Append s as a JSON string at o (bounded by end). */
static char *json_str(char *o, const char *end, const char *s)
{
	if (o < end)
		*o++ = '"';
	for (; *s && o + 7 < end; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			*o++ = '\\', *o++ = (char)c;
		else if (c < 0x20 || c == 0x7f)
			o = put(o, end, "\\u%04x", c);
		else
			*o++ = (char)c;
	}
	if (o < end)
		*o++ = '"';
	return o;
}

/* The whole line for ev into line (LINE_MAX_BYTES), with its newline.
 * Built on the stack: a secret read costs no heap here. */
static void audit_line(const struct audit_event *ev, char *line)
{
	uid_t uid = ev->pid ? ev->uid : getuid();
	struct proc_who r;
	proc_who(ev->pid ? ev->pid : getpid(), &r);
	char ts[32];
	int64_t now = now_ms();
	time_iso(now, ts);
	char *o = line, *end = line + LINE_MAX_BYTES - 2;
	/* time comes first and always: the others start with their comma */
	const char *keys[] = { "{\"time\":", ",\"agent\":", ",\"profile\":", ",\"how\":", ",\"path\":" };
	const char *vals[] = { ts, ev->agent ? ev->agent : "", ev->profile ? ev->profile : "", ev->how, ev->path };
	for (int i = 0; i < 5; i++) {
		if (!vals[i])
			continue;
		o = json_str(lit(o, end, keys[i]), end, vals[i]);
		if (i == 0)
			o = num(lit(o, end, ",\"ts\":"), end, now);
	}
	o = num(lit(o, end, ",\"uid\":"), end, (long long)uid);
	o = num(lit(o, end, ",\"pid\":"), end, r.pid);
	o = json_str(lit(o, end, ",\"comm\":"), end, r.comm);
	o = json_str(lit(o, end, ",\"exe\":"), end, r.exe);
	o = num(lit(o, end, ",\"ppid\":"), end, r.ppid);
	o = json_str(lit(o, end, ",\"pcomm\":"), end, r.pcomm);
	if (o > end - 1)
		o = (char *)end - 1;
	*o++ = '}';
	*o++ = '\n';
	*o = '\0';
}

/* Each thread keeps its own descriptor on the trail, so that flock,
 * which is per open file, orders it against the other threads as well as
 * against other processes. An append holds the lock shared (LOCK_SH)
 * across its look at the path and its write: a line is one write(2) on
 * an O_APPEND descriptor, which never interleaves with another, so
 * appenders never wait for each other. Rotation takes the lock alone
 * (LOCK_EX): no line is written to a file while it is renamed away, and
 * every line lands in the file the path names at that moment (a line
 * written to a file already rotated away would be dropped with it at the
 * next rotation, leaving a hole among newer lines). */
struct trail {
	int fd;            /* -1: not open */
	dev_t dev;         /* what fd is open on */
	ino_t ino;
	char path[PATH_MAX];
};
static pthread_key_t trail_key;
static pthread_once_t trail_once = PTHREAD_ONCE_INIT;

static void trail_close(struct trail *t)
{
	if (t->fd >= 0)
		close(t->fd); /* and with it the flock */
	t->fd = -1;
}

static void trail_free(void *p)
{
	trail_close(p);
	free(p);
}

static void trail_key_make(void)
{
	pthread_key_create(&trail_key, trail_free);
}

/* This thread's trail; NULL when out of memory. */
static struct trail *my_trail(void)
{
	pthread_once(&trail_once, trail_key_make);
	struct trail *t = pthread_getspecific(trail_key);
	if (!t && (t = malloc(sizeof(*t)))) {
		t->fd = -1;
		t->path[0] = '\0';
		if (pthread_setspecific(trail_key, t) != 0) {
			free(t);
			t = NULL;
		}
	}
	return t;
}

static int open_append(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0)
		file_own_like_dir(fd, path); /* a root daemon's new file in the owner's state dir */
	return fd;
}

/* t->fd open on path; the state dir is made only when it is missing. */
static int trail_open(struct trail *t, struct home *h, const char *path, struct nv_err *err)
{
	if (t->fd >= 0 && strcmp(t->path, path) == 0)
		return 0;
	trail_close(t);
	int fd = open_append(path);
	if (fd < 0 && errno == ENOENT) {
		int rc = dir_make(home_state_dir(h), 0700, err);
		if (rc < 0)
			return rc;
		fd = open_append(path);
	}
	struct stat s;
	if (fd >= 0 && fstat(fd, &s) < 0) {
		int e = errno;
		close(fd);
		fd = -1;
		errno = e;
	}
	if (fd < 0)
		return nv_fail(err, errno, "cannot append to %s: %s", path, strerror(errno));
	t->fd = fd;
	t->dev = s.st_dev;
	t->ino = s.st_ino;
	snprintf(t->path, sizeof(t->path), "%s", path);
	return 0;
}

/* 1 when path still names the file t has open (its size into *size), 0
 * when it was renamed away (a writer rotated it) or removed. */
static int trail_current(const struct trail *t, const char *path, off_t *size)
{
	struct stat now;
	if (stat(path, &now) < 0 || now.st_ino != t->ino || now.st_dev != t->dev)
		return 0;
	*size = now.st_size;
	return 1;
}

static int trail_failed(struct trail *t, const char *path, struct nv_err *err)
{
	int rc = errno;
	trail_close(t);
	return nv_fail(err, rc, "cannot append to %s: %s", path, strerror(rc));
}

/* Lock the trail for one append of adding bytes: shared, on the file now
 * at path (reopened when it was rotated or removed); a full file is
 * rotated first, under the lock alone. */
static int trail_lock(struct trail *t, struct home *h, const char *path, long max_bytes, size_t adding,
		      struct nv_err *err)
{
	for (int tries = 0; tries < 5; tries++) {
		int rc = trail_open(t, h, path, err);
		if (rc < 0)
			return rc;
		off_t size;
		if (flock(t->fd, LOCK_SH) < 0)
			return trail_failed(t, path, err);
		if (!trail_current(t, path, &size)) {
			trail_close(t);
			continue;
		}
		if (size == 0 || size + (off_t)adding <= max_bytes)
			return 0;
		/* full: rotate it alone (the lock is dropped on the way: look again) */
		if (flock(t->fd, LOCK_EX) < 0)
			return trail_failed(t, path, err);
		int current = trail_current(t, path, &size);
		if (current && size + (off_t)adding <= max_bytes)
			return 0; /* emptied meanwhile: append under this lock */
		char old[PATH_MAX + 4];
		snprintf(old, sizeof(old), "%s.1", path);
		if (current && rename(path, old) < 0)
			return trail_failed(t, path, err);
		trail_close(t); /* rotated, by us or by another: the new file next */
	}
	return nv_fail(err, EAGAIN, "cannot append to %s: %s", path, strerror(EAGAIN));
}

static int append(struct home *h, const char *line, long max_bytes, struct nv_err *err)
{
	char path[PATH_MAX];
	size_t len = strlen(line);
	audit_path(h, path, sizeof(path));
	struct trail *t = my_trail();
	if (!t)
		return nv_fail(err, ENOMEM, "cannot append to %s: %s", path, strerror(ENOMEM));
	int rc = trail_lock(t, h, path, max_bytes, len, err);
	if (rc < 0)
		return rc;
	ssize_t n = write(t->fd, line, len);
	if (n != (ssize_t)len) {
		if (n >= 0)
			errno = EIO; /* a short write: the disk is full */
		return trail_failed(t, path, err); /* closing drops the lock */
	}
	flock(t->fd, LOCK_UN);
	return 0;
}

/* syslog(3) tries to connect again on every call while there is no
 * syslog socket (a socket, a failed connect and a close per line, inside
 * the read): whether the socket exists is looked at once a second
 * instead, so a syslog that starts after the daemon gets lines within a
 * second of it. */
static int syslog_present(void)
{
	static _Atomic int64_t next_look;
	static _Atomic int present;
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	int64_t now = (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
	if (now >= atomic_load(&next_look)) {
		atomic_store(&present, access(_PATH_LOG, F_OK) == 0);
		atomic_store(&next_look, now + 1000);
	}
	return atomic_load(&present);
}

int audit_record(struct home *h, const struct audit_event *ev, struct nv_err *err)
{
	int enabled, to_syslog;
	long max_bytes;
	audit_config(h, &enabled, &to_syslog, &max_bytes);
	if (!enabled)
		return 0;
	char line[LINE_MAX_BYTES];
	audit_line(ev, line);
	int rc = append(h, line, max_bytes, err);
	if (to_syslog && syslog_present()) {
		line[strcspn(line, "\n")] = '\0';
		syslog(LOG_AUTHPRIV | LOG_NOTICE, "nova-engine secret read: %s", line);
	}
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

#define TAIL_CHUNK 65536

/* The end of the file at path that holds its last want lines, appended
 * to o; *more: how many lines short it fell (the file read whole). Read
 * backwards a chunk at a time: a full trail is audit.maxBytes (10 MiB by
 * default), its last lines a few hundred KiB. */
static int file_tail(const char *path, size_t want, struct out *o, size_t *more, struct nv_err *err)
{
	*more = want;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : nv_fail(err, errno, "cannot open %s: %s", path, strerror(errno));
	struct stat st;
	char *buf = malloc(TAIL_CHUNK);
	off_t start = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? st.st_size : 0, end = start;
	size_t newlines = 0;
	int rc = buf ? 0 : nv_fail(err, ENOMEM, "out of memory");
	/* want + 1 newlines: the one before the first line wanted ends the cut */
	while (rc == 0 && start > 0 && newlines <= want) {
		size_t n = start < TAIL_CHUNK ? (size_t)start : TAIL_CHUNK;
		start -= (off_t)n;
		if (pread(fd, buf, n, start) != (ssize_t)n)
			rc = nv_fail(err, EIO, "cannot read %s: %s", path, strerror(errno ? errno : EIO));
		for (size_t i = 0; rc == 0 && i < n; i++)
			newlines += buf[i] == '\n';
	}
	free(buf);
	size_t len = (size_t)(end - start);
	char *text = rc == 0 && len ? malloc(len) : NULL;
	if (rc == 0 && len && (!text || pread(fd, text, len, start) != (ssize_t)len))
		rc = nv_fail(err, text ? EIO : ENOMEM, "cannot read %s", path);
	if (rc == 0 && len && out_putn(o, text, len) < 0)
		rc = nv_fail(err, ENOMEM, "out of memory");
	free(text);
	close(fd);
	if (rc == 0)
		*more = start > 0 || newlines >= want ? 0 : want - newlines;
	return rc;
}

int audit_tail(struct home *h, struct out *o, struct nv_err *err)
{
	char path[PATH_MAX], old[PATH_MAX + 4];
	struct out older = { 0 }, newer = { 0 };
	size_t more, unused;
	audit_path(h, path, sizeof(path));
	snprintf(old, sizeof(old), "%s.1", path);
	int rc = file_tail(path, AUDIT_TAIL_LINES, &newer, &more, err);
	if (rc == 0 && more) /* the rotated file has the older ones */
		rc = file_tail(old, more, &older, &unused, err);
	if (rc == 0 && newer.len && out_putn(&older, newer.p, newer.len) < 0)
		rc = nv_fail(err, ENOMEM, "out of memory");
	if (rc == 0 && older.len)
		rc = out_puts(o, last_lines(older.p, older.len, AUDIT_TAIL_LINES));
	out_free(&older);
	out_free(&newer);
	return rc;
}

int audit_stamp(struct home *h, struct file_stamp *out)
{
	char path[PATH_MAX];
	audit_path(h, path, sizeof(path));
	return file_stamp_get(path, out);
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

static void row_field(const cJSON *row, const char *key, char *buf, size_t cap)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, key);
	if (cJSON_IsNumber(v))
		snprintf(buf, cap, "%.0f", v->valuedouble);
	else
		snprintf(buf, cap, "%s", cJSON_IsString(v) ? v->valuestring : "-");
}

int audit_row_at(const cJSON *rows, int i, struct audit_row *out)
{
	const cJSON *row = cJSON_GetArrayItem(rows, i);
	if (!row)
		return -ENOENT;
#define FIELD(f) row_field(row, #f, out->f, sizeof(out->f))
	FIELD(time), FIELD(agent), FIELD(profile), FIELD(how), FIELD(uid), FIELD(pid), FIELD(comm), FIELD(exe), FIELD(pcomm);
#undef FIELD
	return 0;
}
