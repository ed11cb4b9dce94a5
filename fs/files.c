/* The one table of files in the tree, and what each file does. Every
 * function here is a thin call into store/. */
#include "fs/consumers.h"
#include "fs/log.h"
#include "fs/metrics.h"
#include "fs/pending.h"
#include "fs/tree.h"
#include "store/settings.h"
#include "store/creds.h"
#include "store/refresh.h"
#include "store/secmem.h"
#include "store/session.h"
#include "store/status.h"
#include "store/version.h"
#include "store/vis.h"

#include <ctype.h>
#include <stdatomic.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The agent's store for one call: held until put_store. */
static struct store *store_of(struct fs *fs, const struct node *n)
{
	return fs_store(fs, n->agent);
}

static int put_store(struct fs *fs, struct store *st, int rc)
{
	fs_store_put(fs, st);
	return rc;
}

/* Quoted text longer than this in a refusal is what was written (an
 * order word, a report, a model), and may be a key written to the wrong
 * file: the log says how long it was, not what it was. */
#define LOG_QUOTE_MAX 24

/* msg with each long "..." span replaced by its length. */
static void log_redact(const char *msg, char *out, size_t cap)
{
	size_t o = 0;
	for (const char *p = msg; *p && o + 1 < cap;) {
		const char *end = *p == '"' ? strchr(p + 1, '"') : NULL;
		if (end && (size_t)(end - p - 1) > LOG_QUOTE_MAX) {
			int k = snprintf(out + o, cap - o, "\"(%zu characters, not shown)\"", (size_t)(end - p - 1));
			o = k < 0 || (size_t)k >= cap - o ? cap - 1 : o + (size_t)k;
			p = end + 1;
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
}

/* Log a refused change (ids and the message; never content). */
static int refused(const struct node *n, const struct nv_err *err, int rc)
{
	char msg[sizeof(err->msg) + 64];
	log_redact(err->msg, msg, sizeof(msg));
	log_msg(LOG_NOTICE, "agent %s: %s/%s: %s", n->agent, n->id[0] ? n->id : n->provider,
		n->file ? n->file->name : "", msg);
	return rc;
}

/* Put the JSON value as text (terminal-safe, store/vis.h); consumes v. */
static int out_json(struct out *o, cJSON *v)
{
	char *t = vis_json_print(v, 1);
	cJSON_Delete(v);
	int rc = t ? out_puts(o, t) : -ENOMEM;
	if (t && rc == 0)
		rc = out_puts(o, "\n");
	cJSON_free(t);
	return rc;
}

static int render_version(struct fs *fs, const struct node *n, struct out *o)
{
	(void)fs, (void)n;
	return out_printf(o, "nova-engine %s\n", NOVA_VERSION);
}

static int render_store(struct fs *fs, const struct node *n, struct out *o)
{
	struct nv_err err = { 0 };
	cJSON *doc;
	struct store *st = store_of(fs, n);
	int rc = put_store(fs, st, creds_snapshot(st, &doc, &err));
	return rc < 0 ? rc : out_json(o, doc);
}

static int render_token(struct fs *fs, const struct node *n, struct out *o)
{
	struct selection sel;
	struct nv_err err = { 0 };
	struct store *st = store_of(fs, n);
	int rc;
	if (n->local) /* stat: the stored secret as it is, never a refresh */
		rc = n->id[0] ? creds_get_unrefreshed(st, n->id, &sel, &(int64_t){ 0 })
			      : creds_select_local(st, n->provider, NULL, &sel, &err);
	else
		rc = n->id[0] ? creds_get(st, n->id, &sel, &err) : creds_select(st, n->provider, NULL, &sel, &err);
	fs_served_set(sel.id[0] ? sel.id : sel.env_var);
	if (rc == 0)
		rc = out_line(o, sel.secret);
	selection_wipe(&sel);
	return put_store(fs, st, rc);
}

static int render_order(struct fs *fs, const struct node *n, struct out *o)
{
	struct nv_err err = { 0 };
	cJSON *ids, *e;
	struct store *st = store_of(fs, n);
	int rc = put_store(fs, st, creds_order_effective(st, n->provider, &ids, &err));
	if (rc < 0)
		return rc;
	cJSON_ArrayForEach(e, ids) {
		if (rc == 0)
			rc = vis_put(o, e->valuestring); /* a legacy store's ids may hold anything */
		if (rc == 0)
			rc = out_puts(o, "\n");
	}
	cJSON_Delete(ids);
	return rc;
}

/* Status readers that may wait on a provider at once. The rest (and
 * stat) get the last answer, or "pending", at once: waiting readers hold
 * FUSE workers, and FS_MAX_THREADS - STATUS_WAITERS_MAX of those stay
 * free for everything else, so one hung provider never stalls a token
 * read whatever the number of its readers. */
#define STATUS_WAITERS_MAX 128

static int status_entries(struct fs *fs, const struct node *n, cJSON **out)
{
	struct nv_err err = { 0 };
	const char *only = n->id;
	struct mount_settings s;
	mount_settings(fs->home, &s);
	struct status_probe probe = {
		fs->probes,
		{ s.probe_ttl_ms, s.probe_timeout_ms, fs->interrupted, NULL, 0 },
		8,
	};
	struct status_request req = { .provider = n->provider, .ids = n->id[0] ? &only : NULL,
				      .n_ids = n->id[0] ? 1 : 0, .probe = &probe };
	int waits = !n->local && atomic_fetch_add(&fs->status_waiting, 1) < STATUS_WAITERS_MAX;
	if (!n->local && !waits)
		atomic_fetch_sub(&fs->status_waiting, 1);
	probe.policy.no_wait = !waits;
	struct store *st = store_of(fs, n);
	int rc = put_store(fs, st, st ? status_build(st, &req, out, &err) : -ENOMEM);
	if (waits)
		atomic_fetch_sub(&fs->status_waiting, 1);
	if (rc == 0) /* the daemon's refresh plan and backoff, for oauth profiles */
		refresh_annotate(n->agent, *out);
	return rc;
}

/* Put the value as "key: value" text; consumes v. */
static int out_text(struct out *o, cJSON *v)
{
	int rc = status_text(v, o);
	cJSON_Delete(v);
	return rc;
}

static int render_status(struct fs *fs, const struct node *n, struct out *o)
{
	cJSON *entries;
	int rc = status_entries(fs, n, &entries);
	return rc < 0 ? rc : out_text(o, entries);
}

static int render_status_json(struct fs *fs, const struct node *n, struct out *o)
{
	cJSON *entries;
	int rc = status_entries(fs, n, &entries);
	if (rc == 0 && n->id[0]) { /* a profile's file holds one object */
		cJSON *one = cJSON_DetachItemFromArray(entries, 0);
		cJSON_Delete(entries);
		entries = one ? one : cJSON_CreateObject();
	}
	return rc < 0 ? rc : out_json(o, entries);
}

static int render_health(struct fs *fs, const struct node *n, struct out *o)
{
	struct nv_err err = { 0 };
	cJSON *u;
	struct store *st = store_of(fs, n);
	int rc = put_store(fs, st, usage_build(st, n->id, &u, &err));
	return rc < 0 ? rc : out_text(o, u);
}

/* The profile a token file stands for: its own, or <provider>:default for
 * the provider's token (where writes go and what rm deletes). */
static void token_target(const struct node *n, char id[PROFILE_ID_MAX + 1])
{
	snprintf(id, PROFILE_ID_MAX + 1, n->id[0] ? "%s" : "%s:default", n->id[0] ? n->id : n->provider);
}

static int accept_token(struct fs *fs, const struct node *n, char *data, size_t len)
{
	struct nv_err err = { 0 };
	char id[PROFILE_ID_MAX + 1];
	cJSON *cred;
	enum cred_type type;
	token_target(n, id);
	if (memchr(data, '\0', len))
		return refused(n, &(struct nv_err){ EINVAL, "token contains a NUL byte" }, -EINVAL);
	len = secret_trim(data, len);
	int rc = cred_from_text(n->provider, data, len, CRED_NONE, &cred, &err);
	if (rc < 0)
		return refused(n, &err, -EINVAL);
	struct store *st = store_of(fs, n);
	rc = put_store(fs, st, creds_save(st, id, n->provider, cred, &type, &err));
	if (rc < 0) /* a store key that is not there is ENOKEY, like a missing credential */
		return refused(n, &err, rc == -ENOENT ? -ENOKEY : rc);
	log_msg(LOG_INFO, "agent %s: stored %s (%s)", n->agent, id, cred_type_name(type));
	return 0;
}

/* Written content is complete at a newline: the order and command checks
 * look only then (more may follow a partial line). No check changes
 * anything; the token check also refuses at once what cannot become valid. */
static int line_complete(const char *data, size_t len)
{
	return len && data[len - 1] == '\n';
}

/* For the line checks: -EINVAL for a NUL anywhere; 0 while the line is
 * not complete; else 1 and *copy, a NUL-terminated copy to secmem_free. */
static int complete_copy(const char *data, size_t len, char **copy)
{
	if (memchr(data, '\0', len))
		return -EINVAL;
	if (!line_complete(data, len))
		return 0;
	*copy = secmem_strndup(data, len);
	return *copy ? 1 : -ENOMEM;
}

static int check_token(struct fs *fs, const struct node *n, const char *data, size_t len)
{
	struct nv_err err = { 0 };
	if (cred_text_check(n->provider, data, len, &err) < 0)
		return refused(n, &err, -EINVAL);
	if (!line_complete(data, len))
		return 0;
	struct store *st = store_of(fs, n); /* a value to store and no key to seal it: say so now */
	int rc = put_store(fs, st, st ? store_can_write(st, &err) : -ENOMEM);
	return rc < 0 ? refused(n, &err, rc) : 0;
}

/* Split an order file's content (len bytes, edited in place) into
 * *words, every one of them (a word and its separator take two bytes at
 * least); free *words. The count, or -ENOMEM. */
static long order_split(char *data, size_t len, const char ***words)
{
	size_t count = 0;
	char *save = NULL;
	if (!(*words = calloc(len / 2 + 1, sizeof(**words))))
		return -ENOMEM;
	for (char *w = strtok_r(data, " \t\r\n,", &save); w; w = strtok_r(NULL, " \t\r\n,", &save))
		(*words)[count++] = w;
	return (long)count;
}

static int check_order(struct fs *fs, const struct node *n, const char *data, size_t len)
{
	struct nv_err err = { 0 };
	const char **words;
	char *copy;
	int rc = complete_copy(data, len, &copy);
	if (rc <= 0)
		return rc;
	long count = order_split(copy, len, &words);
	struct store *st = count > 0 ? store_of(fs, n) : NULL;
	if (count > 0)
		rc = put_store(fs, st, st ? creds_order_check(st, n->provider, words, (size_t)count, &err) : -ENOMEM);
	else
		rc = count < 0 ? (int)count : 0;
	free(words);
	secmem_free(copy);
	return rc < 0 ? refused(n, &err, rc == -ENOENT ? -EINVAL : rc) : 0;
}

static int parse_report(const char *line, struct nv_err *err)
{
	enum failure_reason r;
	return creds_report_check(line, &r, err);
}


/* A one-line command: a session's model (a chat command) or a profile's
 * health (a usage report). */
static int check_command(struct fs *fs, const struct node *n, const char *data, size_t len)
{
	struct nv_err err = { 0 };
	char *copy;
	int rc = complete_copy(data, len, &copy);
	if (rc <= 0)
		return rc;
	secret_trim(copy, len);
	if (n->file->level == L_SESSION) { /* the model and pin too, as the close will */
		struct store *st = store_of(fs, n);
		rc = put_store(fs, st, st ? session_command_check(st, copy, &err) : -ENOMEM);
	} else {
		rc = parse_report(copy, &err);
	}
	secmem_free(copy);
	return rc < 0 ? refused(n, &err, rc == -ENOENT ? -EINVAL : rc) : 0;
}

static int accept_order(struct fs *fs, const struct node *n, char *data, size_t len)
{
	struct nv_err err = { 0 };
	const char **words;
	if (memchr(data, '\0', len))
		return -EINVAL;
	long count = order_split(data, len, &words);
	if (count < 0)
		return (int)count;
	struct store *st = store_of(fs, n);
	int rc = count ? creds_order_set(st, n->provider, words, (size_t)count, &err) : creds_order_clear(st, n->provider, &err);
	put_store(fs, st, 0);
	free(words);
	if (rc < 0)
		return refused(n, &err, rc == -ENOENT ? -EINVAL : rc);
	log_msg(LOG_INFO, "agent %s: order for %s %s", n->agent, n->provider, count ? "set" : "cleared");
	return 0;
}

static int truncated_order(struct fs *fs, const struct node *n, void **undo)
{
	struct nv_err err = { 0 };
	cJSON *before = NULL;
	if (undo) {
		struct store *st = store_of(fs, n);
		int rc = put_store(fs, st, st ? creds_order_override(st, n->provider, &before, &err) : -ENOMEM);
		if (rc < 0)
			return refused(n, &err, rc);
	}
	int rc = accept_order(fs, n, (char[]){ "" }, 0);
	if (rc == 0 && undo)
		*undo = before;
	else
		cJSON_Delete(before);
	return rc;
}

/* The override that was there before the truncation, set again. */
static void untruncate_order(struct fs *fs, const struct node *n, void *undo, int apply)
{
	struct nv_err err = { 0 };
	cJSON *before = undo, *e;
	int count = cJSON_GetArraySize(before), i = 0;
	const char **words = apply && count > 0 ? calloc((size_t)count, sizeof(*words)) : NULL;
	cJSON_ArrayForEach(e, before)
		if (words && cJSON_IsString(e))
			words[i++] = e->valuestring;
	if (words && i > 0) {
		struct store *st = store_of(fs, n);
		int rc = put_store(fs, st, st ? creds_order_set(st, n->provider, words, (size_t)i, &err) : -ENOMEM);
		if (rc < 0)
			refused(n, &err, rc);
		else
			log_msg(LOG_INFO, "agent %s: order for %s put back", n->agent, n->provider);
	}
	free(words);
	cJSON_Delete(before);
}

static int accept_health(struct fs *fs, const struct node *n, char *data, size_t len)
{
	struct nv_err err = { 0 };
	if (memchr(data, '\0', len))
		return -EINVAL;
	secret_trim(data, len);
	struct store *st = store_of(fs, n);
	int rc = put_store(fs, st, creds_report(st, n->id, data, &err));
	return rc < 0 ? refused(n, &err, rc == -ENOENT ? -EINVAL : rc) : 0;
}

static int render_session_model(struct fs *fs, const struct node *n, struct out *o)
{
	struct nv_err err = { 0 };
	char *reply = NULL;
	if (n->local)
		return -EAGAIN; /* the view selects (and may refresh) a credential */
	struct store *st = store_of(fs, n);
	int rc = put_store(fs, st, session_command(st, n->session, "/model status", &reply, &err));
	if (rc == 0)
		rc = out_puts(o, reply);
	secmem_free(reply);
	return rc;
}

static int accept_session_model(struct fs *fs, const struct node *n, char *data, size_t len)
{
	struct nv_err err = { 0 };
	char *reply = NULL;
	if (memchr(data, '\0', len))
		return -EINVAL;
	secret_trim(data, len);
	struct store *st = store_of(fs, n);
	int rc = put_store(fs, st, session_command(st, n->session, data, &reply, &err));
	secmem_free(reply);
	if (rc < 0)
		return refused(n, &err, rc == -ENOENT ? -EINVAL : rc);
	log_msg(LOG_INFO, "agent %s: session %s: command applied", n->agent, n->session);
	return 0;
}

static int render_session_token(struct fs *fs, const struct node *n, struct out *o)
{
	struct selection sel;
	struct nv_err err = { 0 };
	if (n->local)
		return -EAGAIN; /* reading it selects, refreshes and records */
	struct store *st = store_of(fs, n);
	int rc = put_store(fs, st, session_token(st, n->session, &sel, &err));
	fs_served_set(sel.id[0] ? sel.id : sel.env_var);
	if (rc == 0)
		rc = out_line(o, sel.secret);
	selection_wipe(&sel);
	return rc;
}

static int remove_token(struct fs *fs, const struct node *n)
{
	struct nv_err err = { 0 };
	char id[PROFILE_ID_MAX + 1];
	token_target(n, id);
	struct store *st = store_of(fs, n);
	int rc = put_store(fs, st, creds_delete(st, id, &err));
	if (rc == -ENOENT && n->id[0] && pending_has(fs, n->agent, n->provider, n->name))
		return 0; /* made with mkdir, nothing stored yet: rm -r of it goes on to rmdir */
	if (rc < 0)
		return rc;
	log_msg(LOG_INFO, "agent %s: deleted %s", n->agent, id);
	/* keep the directory until rmdir, so `rm -r` can finish */
	if (n->id[0])
		pending_add(fs, n->agent, n->provider, n->name);
	return 0;
}

/* A profile's generated files go away with its credential. */
static int remove_generated(struct fs *fs, const struct node *n)
{
	struct selection sel;
	struct store *st = store_of(fs, n);
	int rc = put_store(fs, st, creds_get_unrefreshed(st, n->id, &sel, &(int64_t){ 0 }));
	selection_wipe(&sel);
	return rc == -ENOENT ? 0 : -EPERM;
}

static const struct file_def meta_files[] = {
	{ .name = "version", .level = L_META, .mode = 0444, .render = render_version,
	  .doc = "The daemon's version." },
	{ .name = "metrics", .level = L_META, .mode = 0440, .render = render_metrics, .networked = 1,
	  .doc = "Prometheus text: per agent and profile the seconds until expiry, the expiry state, the last live check's result and latency; per agent the token reads and writes; the OAuth refreshes made. A scrape never starts a check." },
	{ .name = "audit", .level = L_META, .mode = 0400, .render = render_audit, .static_content = 1,
	  .source = audit_source,
	  .doc = "The last 1,000 lines of the audit trail (<state>/audit.jsonl): one JSON object per read of a secret (time, agent, profile, how, path, uid, pid, comm, exe, ppid, pcomm). Never a secret. Owner only." },
};
static const struct file_def agent_files[] = {
	{ .name = "auth-profiles.json", .level = L_AGENT, .mode = 0400, .render = render_store, .static_content = 1,
	  .doc = "The agent's store, decrypted, in the OpenClaw auth-profiles format. Read-only." },
	{ .name = "env", .level = L_AGENT, .mode = 0600, .render = render_env, .timed = 1, .counted = 1,
	  .audit = "mount:env",
	  .doc = "NAME=value lines, one per provider with a usable credential (ANTHROPIC_API_KEY or ANTHROPIC_OAUTH_TOKEN, OPENAI_API_KEY, GEMINI_API_KEY, <PROVIDER>_API_KEY ...), OAuth refreshed first, for docker run --env-file, systemd EnvironmentFile= and set -a; . ./env. A value with a character outside [A-Za-z0-9_.,:@%+/=-] is left out with a comment line, since those readers would differ on it. Read-only." },
};
static const struct file_def provider_files[] = {
	{ .name = "token", .level = L_PROVIDER, .mode = 0600, .render = render_token, .accept = accept_token,
	  .check = check_token, .remove = remove_token, .counted = 1, .audit = "mount:token",
	  .doc = "Read: the secret the order selects (an OAuth token is refreshed first; the environment is the fallback), one line. ENOKEY when there is none, EKEYEXPIRED when all have expired, EKEYREJECTED when the provider refused them. Write: a secret (sk-ant-oat... is stored as a token, anything else as an API key) or a JSON credential object, stored as <provider>:default; a malformed value fails the write with EINVAL. What is written between open and close is one value, stored at close: a second line, a value over the limit or a bad byte anywhere rejects all of it and nothing changes. Unlink deletes <provider>:default." },
	{ .name = "order", .level = L_PROVIDER, .mode = 0600, .render = render_order, .accept = accept_order,
	  .check = check_order, .truncated = truncated_order, .untruncate = untruncate_order,
	  .doc = "Read: the effective order, one profile id a line. Write: ids or short names separated by spaces, commas or newlines set the agent's override (each must exist and be this provider's, else EINVAL). Truncating it with nothing written clears the override." },
	{ .name = "status", .level = L_PROVIDER, .mode = 0440, .render = render_status, .networked = 1,
	  .doc = "One key: value block per credential, in order: type, source, masked secret, expiry state, cooldown, and a live check (probe) of it, cached for fs.probeTtlSeconds; the last answer is shown, marked stale with its age, when the provider does not answer within fs.probeTimeoutMs. At most 128 readers wait on providers at once; the next gets the last answer, or probe: pending, at once." },
	{ .name = "status.json", .level = L_PROVIDER, .mode = 0440, .render = render_status_json, .networked = 1,
	  .doc = "The same as status, as a JSON array." },
};
static const struct file_def profile_files[] = {
	{ .name = "token", .level = L_PROFILE, .mode = 0600, .render = render_token, .accept = accept_token,
	  .check = check_token, .remove = remove_token, .counted = 1, .audit = "mount:token",
	  .doc = "This profile's secret: read, write (as for the provider's token) and unlink, which deletes the credential." },
	{ .name = "status", .level = L_PROFILE, .mode = 0440, .render = render_status, .remove = remove_generated,
	  .networked = 1, .doc = "The status block of this profile alone." },
	{ .name = "status.json", .level = L_PROFILE, .mode = 0440, .render = render_status_json,
	  .remove = remove_generated, .networked = 1, .doc = "The same as one JSON object." },
	{ .name = "health", .level = L_PROFILE, .mode = 0600, .render = render_health, .accept = accept_health,
	  .check = check_command, .remove = remove_generated,
	  .doc = "Read: last use, cooldown, disabled reason, failure counts. Write \"good\" or \"failure REASON\" (rate_limit, timeout, auth, billing, format, unknown): a failure puts the profile in cooldown (1 m, 5 m, 25 m, 1 h) or, for billing, disables it, and token serves the next profile." },
};

static const struct file_def session_files[] = {
	{ .name = "model", .level = L_SESSION, .mode = 0600, .render = render_session_model, .accept = accept_session_model,
	  .check = check_command, .networked = 1,
	  .doc = "Read: the /model status view of the session (model, pin, auto-selected and next profile, candidates with cooldowns). Write: a chat command (/model <alias-or-id>[@<profile>], /new, /reset) or just <alias-or-id>[@<profile>]; a refused one fails the write with EINVAL." },
	{ .name = "token", .level = L_SESSION, .mode = 0400, .render = render_session_token, .counted = 1, .networked = 1,
	  .audit = "mount:session-token",
	  .doc = "The token for the session's model: its pinned profile first, then the profile auto-selected for it while that is available, then the order." },
};

const struct file_def *tree_files(enum level lv, size_t *count)
{
#define TABLE(t) (*count = sizeof(t) / sizeof(t[0]), t)
	switch (lv) {
	case L_META: return TABLE(meta_files);
	case L_AGENT: return TABLE(agent_files);
	case L_PROVIDER: return TABLE(provider_files);
	case L_SESSION: return TABLE(session_files);
	case L_NATIVE: return *count = n_native_files, native_files;
	case L_PROFILE: return TABLE(profile_files);
	default: return *count = 0, NULL;
	}
#undef TABLE
}
