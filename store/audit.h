/* The audit trail of secret reads (SPEC 13): one JSON line per read in
 * <state>/audit.jsonl (0600, rotated to audit.jsonl.1 at audit.maxBytes)
 * and a line to syslog (authpriv). A line names who read what and how,
 * never the secret. */
#ifndef NV_AUDIT_H
#define NV_AUDIT_H

#include <cjson/cJSON.h>
#include <stdint.h>
#include <sys/types.h>

#include "store/fileio.h"
#include "store/home.h"
#include "store/textbuf.h"

#define AUDIT_MAX_BYTES_DEFAULT (10L * 1024 * 1024)
#define AUDIT_TAIL_LINES 1000

/* One read. pid 0 means this process (its uid, and its parent as the
 * caller); otherwise the reader's pid (a thread id is mapped to its
 * process) and uid as the kernel gave them. */
struct audit_event {
	const char *agent;
	const char *profile;  /* profile id, env variable, or a comma list */
	const char *how;      /* "mount:token", "cli:token", "secrets-resolve", ... */
	const char *path;     /* the file in the mount, or NULL */
	pid_t pid;
	uid_t uid;
};

/* Append ev (when audit.enabled is not false). 0 or -errno; a failure
 * never stops the read it describes, callers just log it. */
int audit_record(struct home *h, const struct audit_event *ev, struct nv_err *err);

/* The audit file path into out. */
void audit_path(struct home *h, char *out, size_t cap);

/* Lines of the trail, oldest first, both files: those of agent (NULL: all)
 * at or after since_ms, the last max of them. *out is a JSON array of the
 * parsed lines (caller frees). */
int audit_read(struct home *h, const char *agent, int64_t since_ms, size_t max, cJSON **out, struct nv_err *err);

/* One line of what audit_read gives, its fields as text for a person:
 * numbers in decimal, a missing or odd field as "-". Not yet made
 * visible: the file is the user's to edit, the caller does that. */
struct audit_row {
	char time[64], agent[80], profile[300], how[64], uid[32], pid[32], comm[64], exe[4096], pcomm[64];
};

/* The i-th of rows into out; 0, or -ENOENT past the last. */
int audit_row_at(const cJSON *rows, int i, struct audit_row *out);

/* The last AUDIT_TAIL_LINES lines as they are in the file. */
int audit_tail(struct home *h, struct out *o, struct nv_err *err);

/* The identity of the trail now (the current file's inode, size and
 * times; exists 0 when there is none): it changes with every line
 * appended and every rotation (which starts a new file), so what
 * audit_tail gives is unchanged while it is. One stat, no lock. */
int audit_stamp(struct home *h, struct file_stamp *out);

#endif
