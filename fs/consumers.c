/* Thin calls into store/consumer and store/audit. The reader of a FUSE
 * request is known only inside the request (fuse_get_context), so the
 * audit line is written by the read that generated the content. */
#define FUSE_USE_VERSION 312
#include "fs/consumers.h"
#include "fs/log.h"
#include "store/audit.h"
#include "store/consumer.h"

#include <errno.h>
#include <fuse.h>
#include <stdio.h>
#include <string.h>

static __thread char served[SERVED_MAX];

void fs_served_set(const char *what)
{
	snprintf(served, sizeof(served), "%s", what ? what : "");
}

void fs_audit_read(struct fs *fs, const struct node *n, const char *path)
{
	struct fuse_context *ctx = fuse_get_context();
	struct audit_event ev = { n->agent, served, n->file->audit, path, ctx->pid, ctx->uid };
	struct nv_err err = { 0 };
	if (ctx->pid <= 0) /* no reader to name (not a request): nothing to record */
		return;
	if (audit_record(fs->home, &ev, &err) < 0)
		log_msg(LOG_WARNING, "audit: %s", err.msg);
}

/* A file made from the agent's secrets by one of store/consumer.h's
 * renderers; what it served is noted for the audit line. For stat
 * (n->local) it renders from what is stored, never refreshing, so the
 * size is a read's without a read's network call. */
typedef int (*consumer_render_fn)(struct store *st, int local, struct out *o, char served[SERVED_MAX],
				  struct nv_err *err);

static int render_consumer(struct fs *fs, const struct node *n, struct out *o, consumer_render_fn fn)
{
	char what[SERVED_MAX] = "";
	struct store *st = fs_store(fs, n->agent);
	int rc = st ? fn(st, n->local, o, what, NULL) : -ENOMEM;
	fs_store_put(fs, st);
	fs_served_set(what);
	return rc;
}

int render_env(struct fs *fs, const struct node *n, struct out *o)
{
	return render_consumer(fs, n, o, envfile_render);
}

int render_audit(struct fs *fs, const struct node *n, struct out *o)
{
	(void)n; /* local or not: reading the trail's files is all it does */
	return audit_tail(fs->home, o, NULL);
}

int audit_source(struct fs *fs, struct file_stamp *out)
{
	return audit_stamp(fs->home, out);
}

static int render_claude(struct fs *fs, const struct node *n, struct out *o)
{
	return render_consumer(fs, n, o, native_claude_render);
}

static int render_codex(struct fs *fs, const struct node *n, struct out *o)
{
	return render_consumer(fs, n, o, native_codex_render);
}

const char *const native_apps[] = { "claude", "codex" };
const size_t n_native_apps = sizeof(native_apps) / sizeof(native_apps[0]);

const struct file_def native_files[] = {
	{ .name = ".credentials.json", .dir = "claude", .level = L_NATIVE, .mode = 0400, .render = render_claude,
	  .timed = 1, .counted = 1, .audit = "mount:native/claude",
	  .doc = "Claude Code's credentials file ({\"claudeAiOauth\":{\"accessToken\",\"refreshToken\":null,\"expiresAt\",\"scopes\",\"subscriptionType\"}}) from the first anthropic token or OAuth profile in order, refreshed first; never the refresh token. Bind-mount it read-only as ~/.claude/.credentials.json. ENOKEY when the agent has none." },
	{ .name = "auth.json", .dir = "codex", .level = L_NATIVE, .mode = 0400, .render = render_codex,
	  .timed = 1, .counted = 1, .audit = "mount:native/codex",
	  .doc = "Codex CLI's auth.json ({\"OPENAI_API_KEY\",\"tokens\":{\"id_token\",\"access_token\",\"refresh_token\":\"\",\"account_id\"},\"last_refresh\"}): the openai-codex login when there is one, else the openai key. Never the refresh token. Bind-mount it read-only as $CODEX_HOME/auth.json. ENOKEY when there is neither." },
};
const size_t n_native_files = sizeof(native_files) / sizeof(native_files[0]);
