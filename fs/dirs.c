/* The one table of directories in the tree, and what each does with the
 * names under it. Lookups of names that file managers probe (.hidden,
 * .Trash-1000, desktop.ini) fail before any store is read. Every function
 * here is a thin call into store/ or fs/pending. */
#include "fs/consumers.h"
#include "fs/pending.h"
#include "fs/tree.h"
#include "store/rows.h"
#include "store/session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int junk_name(const char *name)
{
	static const char *const junk[] = { "desktop.ini", "thumbs.db", "autorun.inf", "folder.jpg", ".directory" };
	if (name[0] == '.')
		return 1;
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		if (strcasecmp(name, junk[i]) == 0)
			return 1;
	return 0;
}

/* Is there a stored profile of provider (id NULL) or with this id? */
static int stored(struct fs *fs, const char *agent, const char *provider, const char *id)
{
	struct store *st = fs_store(fs, agent);
	struct cred_filter f = { id ? NULL : provider, id, 1 };
	int rc = st ? creds_has(st, &f, NULL) : -ENOMEM;
	fs_store_put(fs, st);
	return rc;
}

/* agents/<agent> */

static int agent_ok(struct fs *fs, const char *agent)
{
	char out[AGENT_MAX + 1];
	if (agent_id_check(agent, NULL) < 0)
		return 0;
	if (fs->opt.n_agents) {
		for (int i = 0; i < fs->opt.n_agents; i++)
			if (strcmp(fs->opt.agents[i], agent) == 0)
				return 1;
		return 0;
	}
	return home_agent_resolve(fs->home, agent, out, NULL) == 0;
}

static int enter_agent(struct fs *fs, struct node *n, const char *name)
{
	if (strlen(name) > AGENT_MAX || junk_name(name) || !agent_ok(fs, name))
		return -ENOENT;
	snprintf(n->agent, sizeof(n->agent), "%s", name);
	return n->kind = N_AGENT, 0;
}

static int agent_names(struct fs *fs, const struct node *parent, entry_fn fn, void *arg)
{
	(void)parent;
	if (fs->opt.n_agents) {
		for (int i = 0; i < fs->opt.n_agents; i++)
			fn(arg, fs->opt.agents[i], 1);
		return 0;
	}
	char **ids;
	size_t n;
	if (home_agents(fs->home, &ids, &n) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		fn(arg, ids[i], 1);
	home_agents_free(ids, n);
	return 0;
}

/* profiles/<provider> and profiles/<provider>/<name>: names gathered from
 * several places (built-in providers, the store, mkdir'd directories),
 * listed once each and sorted. */
struct names_args {
	const char *provider;   /* NULL: collect providers, else profile names */
	char (*names)[PROFILE_NAME_MAX + 1];
	size_t n, cap;
	int failed;
};

static int add_name(void *arg, const char *name, int is_dir)
{
	struct names_args *a = arg;
	(void)is_dir;
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		void *g = realloc(a->names, cap * sizeof(*a->names));
		if (!g)
			return a->failed = 1;
		a->names = g;
		a->cap = cap;
	}
	snprintf(a->names[a->n++], PROFILE_NAME_MAX + 1, "%s", name);
	return 0;
}

/* Stored providers (a->provider NULL), else the stored profile names of
 * a->provider that can be directory names. */
static int stored_names(struct store *st, struct names_args *a)
{
	struct cred_row *rows;
	size_t n;
	struct cred_filter f = { a->provider, NULL, 1 };
	int rc = creds_list(st, &f, &rows, &n, NULL);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const struct cred_row *r = &rows[i];
		if (!a->provider && *r->provider && strchr(r->id, ':') && strlen(r->provider) <= PROVIDER_MAX)
			add_name(a, r->provider, 1);
		else if (a->provider && *r->name)
			add_name(a, r->name, 1);
	}
	cred_rows_free(rows, n);
	return rc;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int child_names(struct fs *fs, const struct node *n, entry_fn fn, void *arg)
{
	struct names_args a = { n->kind == N_PROVIDER ? n->provider : NULL, NULL, 0, 0, 0 };
	struct store *st = fs_store(fs, n->agent);
	if (!st)
		return -ENOMEM;
	if (n->kind == N_PROFILES)
		for (size_t i = 0; i < provider_count(); i++)
			add_name(&a, provider_at(i), 1);
	int rc = stored_names(st, &a);
	fs_store_put(fs, st);
	if (rc == 0)
		rc = pending_each(fs, n->agent, a.provider, add_name, &a);
	if (rc == 0 && a.failed)
		rc = -ENOMEM;
	if (rc == 0 && a.n)
		qsort(a.names, a.n, sizeof(*a.names), cmp_name);
	for (size_t i = 0; rc == 0 && i < a.n; i++)
		if (i == 0 || strcmp(a.names[i], a.names[i - 1]) != 0)
			fn(arg, a.names[i], 1);
	free(a.names);
	return rc;
}

static int enter_provider(struct fs *fs, struct node *n, const char *name)
{
	char canon[PROVIDER_MAX + 1];
	if (strlen(name) > PROVIDER_MAX || junk_name(name) || provider_normalize(name, canon, NULL) < 0 ||
	    strcmp(canon, name) != 0)
		return -ENOENT;
	if (!provider_find(name) && !pending_has(fs, n->agent, name, NULL)) {
		int rc = stored(fs, n->agent, name, NULL);
		if (rc <= 0)
			return rc < 0 ? rc : -ENOENT;
	}
	snprintf(n->provider, sizeof(n->provider), "%s", name);
	return n->kind = N_PROVIDER, 0;
}

static int make_provider(struct fs *fs, const struct node *parent, const char *leaf)
{
	char canon[PROVIDER_MAX + 1];
	if (junk_name(leaf) || home_provider(fs->home, leaf, canon, NULL) < 0 || strcmp(canon, leaf) != 0)
		return -EINVAL; /* a typo, or a provider the config does not declare */
	return pending_add(fs, parent->agent, leaf, NULL);
}

static int remove_provider(struct fs *fs, const struct node *n)
{
	int rc = stored(fs, n->agent, n->provider, NULL);
	if (rc != 0)
		return rc < 0 ? rc : -ENOTEMPTY;
	if (provider_find(n->provider))
		return -EPERM; /* a built-in provider is always listed */
	return pending_del(fs, n->agent, n->provider, NULL);
}

static int enter_profile(struct fs *fs, struct node *n, const char *name)
{
	if (junk_name(name) || profile_name_check(name, NULL) < 0)
		return -ENOENT;
	snprintf(n->name, sizeof(n->name), "%s", name);
	snprintf(n->id, sizeof(n->id), "%s:%s", n->provider, n->name);
	if (!pending_has(fs, n->agent, n->provider, n->name)) {
		int rc = stored(fs, n->agent, n->provider, n->id);
		if (rc <= 0)
			return rc < 0 ? rc : -ENOENT;
	}
	return n->kind = N_PROFILE, 0;
}

static int make_profile(struct fs *fs, const struct node *parent, const char *leaf)
{
	if (junk_name(leaf) || profile_name_new_check(leaf, NULL) < 0)
		return -EINVAL;
	return pending_add(fs, parent->agent, parent->provider, leaf);
}

static int remove_profile(struct fs *fs, const struct node *n)
{
	int rc = stored(fs, n->agent, n->provider, n->id);
	if (rc != 0)
		return rc < 0 ? rc : -ENOTEMPTY;
	return pending_del(fs, n->agent, n->provider, n->name);
}

/* sessions/<sid> */

static int enter_session(struct fs *fs, struct node *n, const char *name)
{
	if (junk_name(name) || session_id_check(name, NULL) < 0)
		return -ENOENT;
	struct store *st = fs_store(fs, n->agent);
	int rc = st ? session_exists(st, name) : -ENOMEM;
	fs_store_put(fs, st);
	if (rc <= 0)
		return rc < 0 ? rc : -ENOENT;
	snprintf(n->session, sizeof(n->session), "%s", name);
	return n->kind = N_SESSION, 0;
}

struct session_list {
	entry_fn fn;
	void *arg;
};

static void list_session(void *arg, const char *sid)
{
	struct session_list *a = arg;
	a->fn(a->arg, sid, 1);
}

static int session_names(struct fs *fs, const struct node *parent, entry_fn fn, void *arg)
{
	struct session_list a = { fn, arg };
	struct store *st = fs_store(fs, parent->agent);
	int rc = st ? session_each(st, list_session, &a) : -ENOMEM;
	fs_store_put(fs, st);
	return rc;
}

static int make_session(struct fs *fs, const struct node *parent, const char *leaf)
{
	if (junk_name(leaf) || session_id_check(leaf, NULL) < 0)
		return -EINVAL;
	struct store *st = fs_store(fs, parent->agent);
	int rc = st ? session_create(st, leaf, NULL) : -ENOMEM;
	fs_store_put(fs, st);
	return rc;
}

static int remove_session(struct fs *fs, const struct node *n)
{
	struct store *st = fs_store(fs, n->agent);
	int rc = st ? session_delete(st, n->session, NULL) : -ENOMEM;
	fs_store_put(fs, st);
	return rc;
}

/* native/<app>: the files' own names start with a dot (Claude Code's),
 * and files are matched before any variable name, so no junk check
 * stands in their way. */

static int enter_native_app(struct fs *fs, struct node *n, const char *name)
{
	(void)fs;
	for (size_t i = 0; i < n_native_apps; i++)
		if (strcmp(name, native_apps[i]) == 0) {
			snprintf(n->name, sizeof(n->name), "%s", name);
			return n->kind = N_NATIVE_APP, 0;
		}
	return -ENOENT;
}

static int native_app_names(struct fs *fs, const struct node *parent, entry_fn fn, void *arg)
{
	(void)fs, (void)parent;
	for (size_t i = 0; i < n_native_apps; i++)
		fn(arg, native_apps[i], 1);
	return 0;
}

/* Group bits (shown only under --gid, see shown_mode in ops.c) go on
 * every directory on the way to a file the group may read: agents/,
 * AGENT/, profiles/, PROVIDER/ and NAME/ lead to status and status.json.
 * A directory that leads only to secrets (sessions/, native/) has none:
 * the files' own 0600/0400 would keep them closed anyway, but the group
 * has no business listing session ids or native apps either. */
static const struct dir_def dirs[] = {
	{ .kind = N_ROOT, .parent = N_ROOT, .path = "", .mode = 0755, .files = L_NONE },
	{ .kind = N_META, .parent = N_ROOT, .name = ".nova-engine", .path = ".nova-engine", .mode = 0555, .files = L_META },
	{ .kind = N_AGENTS, .parent = N_ROOT, .name = "agents", .path = "agents", .mode = 0750, .files = L_NONE },
	{ .kind = N_AGENT, .parent = N_AGENTS, .path = "agents/AGENT", .mode = 0750, .files = L_AGENT,
	  .enter = enter_agent, .names = agent_names },
	{ .kind = N_PROFILES, .parent = N_AGENT, .name = "profiles", .path = "agents/AGENT/profiles", .mode = 0750,
	  .files = L_NONE },
	{ .kind = N_PROVIDER, .parent = N_PROFILES, .path = "agents/AGENT/profiles/PROVIDER", .mode = 0750,
	  .files = L_PROVIDER, .enter = enter_provider, .names = child_names, .make = make_provider,
	  .remove = remove_provider, .doc = "mkdir adds a provider" },
	{ .kind = N_PROFILE, .parent = N_PROVIDER, .path = "agents/AGENT/profiles/PROVIDER/NAME", .mode = 0750,
	  .files = L_PROFILE, .enter = enter_profile, .names = child_names, .make = make_profile,
	  .remove = remove_profile, .doc = "the profile PROVIDER:NAME; mkdir adds one, rm -r deletes it" },
	{ .kind = N_SESSIONS, .parent = N_AGENT, .name = "sessions", .path = "agents/AGENT/sessions", .mode = 0700,
	  .files = L_NONE },
	{ .kind = N_SESSION, .parent = N_SESSIONS, .path = "agents/AGENT/sessions/SID", .mode = 0700, .files = L_SESSION,
	  .enter = enter_session, .names = session_names, .make = make_session, .remove = remove_session,
	  .doc = "a chat session; mkdir adds one, rmdir removes it" },
	{ .kind = N_NATIVE, .parent = N_AGENT, .name = "native", .path = "agents/AGENT/native", .mode = 0700,
	  .files = L_NONE },
	{ .kind = N_NATIVE_APP, .parent = N_NATIVE, .path = "agents/AGENT/native/APP", .mode = 0700, .files = L_NATIVE,
	  .enter = enter_native_app, .names = native_app_names,
	  .doc = "claude and codex: provider-native credential files" },
};

const struct dir_def *tree_dirs(size_t *count)
{
	*count = sizeof(dirs) / sizeof(dirs[0]);
	return dirs;
}

const struct dir_def *tree_dir(enum node_kind kind)
{
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (dirs[i].kind == kind)
			return &dirs[i];
	return NULL;
}
