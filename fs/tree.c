/* Paths to nodes, listings, mkdir and rmdir. Lookups of names that file
 * managers probe (.hidden, .Trash-1000, desktop.ini) fail before any
 * store is read. */
#include "fs/tree.h"
#include "fs/consumers.h"
#include "fs/pending.h"
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

/* Is there a stored profile of provider (id NULL) or with this id? */
static int stored(struct fs *fs, const char *agent, const char *provider, const char *id)
{
	struct store *st = fs_store(fs, agent);
	struct cred_filter f = { id ? NULL : provider, id };
	int rc = st ? creds_has(st, &f, NULL) : -ENOMEM;
	fs_store_put(fs, st);
	return rc;
}

static int provider_ok(struct fs *fs, const char *agent, const char *provider)
{
	char canon[PROVIDER_MAX + 1];
	if (junk_name(provider) || provider_normalize(provider, canon, NULL) < 0 || strcmp(canon, provider) != 0)
		return -ENOENT;
	if (provider_find(provider) || pending_has(fs, agent, provider, NULL))
		return 0;
	int rc = stored(fs, agent, provider, NULL);
	return rc < 0 ? rc : rc ? 0 : -ENOENT;
}

static int profile_ok(struct fs *fs, struct node *n)
{
	if (junk_name(n->name) || profile_name_check(n->name, NULL) < 0)
		return -ENOENT;
	snprintf(n->id, sizeof(n->id), "%s:%s", n->provider, n->name);
	if (pending_has(fs, n->agent, n->provider, n->name))
		return 0;
	int rc = stored(fs, n->agent, n->provider, n->id);
	return rc < 0 ? rc : rc ? 0 : -ENOENT;
}

static const struct file_def *file_named(enum level lv, const char *name)
{
	size_t count;
	const struct file_def *f = tree_files(lv, &count);
	for (size_t i = 0; i < count; i++)
		if (strcmp(f[i].name, name) == 0)
			return &f[i];
	return NULL;
}

/* Split path into at most 6 components. */
static int split(const char *path, char parts[6][PROFILE_NAME_MAX + 1])
{
	int n = 0;
	while (*path) {
		while (*path == '/')
			path++;
		if (!*path)
			break;
		size_t len = strcspn(path, "/");
		if (n == 6 || len > PROFILE_NAME_MAX)
			return -ENOENT;
		memcpy(parts[n], path, len);
		parts[n++][len] = '\0';
		path += len;
	}
	return n;
}

static int as_file(struct node *n, enum level lv, const char *name)
{
	n->file = file_named(lv, name);
	n->kind = N_FILE;
	return n->file ? 0 : -ENOENT;
}

/* agents/<a>/sessions[/<sid>[/<file>]] */
static int resolve_session(struct fs *fs, struct node *n, const char *sid, const char *file, int depth)
{
	if (depth == 3)
		return n->kind = N_SESSIONS, 0;
	if (depth > 5 || junk_name(sid) || session_id_check(sid, NULL) < 0)
		return -ENOENT;
	struct store *st = fs_store(fs, n->agent);
	int rc = st ? session_exists(st, sid) : -ENOMEM;
	fs_store_put(fs, st);
	if (rc <= 0)
		return rc < 0 ? rc : -ENOENT;
	snprintf(n->session, sizeof(n->session), "%s", sid);
	if (depth == 4)
		return n->kind = N_SESSION, 0;
	return as_file(n, L_SESSION, file);
}

/* agents/<a>/native[/<app>[/<file>]]: the files' own names start with a
 * dot (Claude Code's), so they are matched here before any junk check. */
static int resolve_native(struct node *n, const char *app, const char *file, int depth)
{
	if (depth == 3)
		return n->kind = N_NATIVE, 0;
	for (size_t i = 0; i < n_native_apps && depth <= 5; i++) {
		if (strcmp(app, native_apps[i]) != 0)
			continue;
		snprintf(n->name, sizeof(n->name), "%s", app);
		if (depth == 4)
			return n->kind = N_NATIVE_APP, 0;
		for (size_t f = 0; f < n_native_files; f++)
			if (strcmp(native_files[f].dir, app) == 0 && strcmp(native_files[f].name, file) == 0)
				return n->kind = N_FILE, n->file = &native_files[f], 0;
	}
	return -ENOENT;
}

int tree_resolve(struct fs *fs, const char *path, struct node *n)
{
	char c[6][PROFILE_NAME_MAX + 1];
	int depth = split(path, c), rc = 0;
	memset(n, 0, sizeof(*n));
	if (depth < 0)
		return depth;
	if (depth == 0)
		return n->kind = N_ROOT, 0;
	if (strcmp(c[0], ".nova-engine") == 0) {
		if (depth == 1)
			return n->kind = N_META, 0;
		return depth == 2 ? as_file(n, L_META, c[1]) : -ENOENT;
	}
	if (strcmp(c[0], "agents") != 0)
		return -ENOENT;
	if (depth == 1)
		return n->kind = N_AGENTS, 0;
	if (strlen(c[1]) > AGENT_MAX || junk_name(c[1]) || !agent_ok(fs, c[1]))
		return -ENOENT;
	snprintf(n->agent, sizeof(n->agent), "%s", c[1]);
	if (depth == 2)
		return n->kind = N_AGENT, 0;
	if (strcmp(c[2], "sessions") == 0)
		return resolve_session(fs, n, c[3], c[4], depth);
	if (strcmp(c[2], "native") == 0)
		return resolve_native(n, c[3], c[4], depth);
	if (strcmp(c[2], "profiles") != 0)
		return depth == 3 ? as_file(n, L_AGENT, c[2]) : -ENOENT;
	if (depth == 3)
		return n->kind = N_PROFILES, 0;
	if (strlen(c[3]) > PROVIDER_MAX || (rc = provider_ok(fs, n->agent, c[3])) < 0)
		return rc < 0 ? rc : -ENOENT;
	snprintf(n->provider, sizeof(n->provider), "%s", c[3]);
	if (depth == 4)
		return n->kind = N_PROVIDER, 0;
	if (depth == 5 && file_named(L_PROVIDER, c[4]))
		return as_file(n, L_PROVIDER, c[4]);
	snprintf(n->name, sizeof(n->name), "%s", c[4]);
	if ((rc = profile_ok(fs, n)) < 0)
		return rc;
	if (depth == 5)
		return n->kind = N_PROFILE, 0;
	return as_file(n, L_PROFILE, c[5]);
}

static int list_files(enum level lv, entry_fn fn, void *arg)
{
	size_t count;
	const struct file_def *f = tree_files(lv, &count);
	for (size_t i = 0; i < count; i++)
		if (fn(arg, f[i].name, 0))
			return 0;
	return 0;
}

static int list_agents(struct fs *fs, entry_fn fn, void *arg)
{
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

/* Child names gathered from several places (built-in providers, the
 * store, mkdir'd directories), listed once each and sorted. */
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
	struct cred_filter f = { a->provider, NULL };
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

static int list_children(struct fs *fs, const struct node *n, entry_fn fn, void *arg)
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

struct session_list {
	entry_fn fn;
	void *arg;
};

static void list_session(void *arg, const char *sid)
{
	struct session_list *a = arg;
	a->fn(a->arg, sid, 1);
}

int tree_list(struct fs *fs, const struct node *n, entry_fn fn, void *arg)
{
	switch (n->kind) {
	case N_ROOT:
		fn(arg, ".nova-engine", 1);
		fn(arg, "agents", 1);
		return 0;
	case N_META:
		return list_files(L_META, fn, arg);
	case N_AGENTS:
		return list_agents(fs, fn, arg);
	case N_AGENT:
		list_files(L_AGENT, fn, arg);
		fn(arg, "profiles", 1);
		fn(arg, "sessions", 1);
		fn(arg, "native", 1);
		return 0;
	case N_NATIVE:
		for (size_t i = 0; i < n_native_apps; i++)
			fn(arg, native_apps[i], 1);
		return 0;
	case N_NATIVE_APP:
		for (size_t f = 0; f < n_native_files; f++)
			if (strcmp(native_files[f].dir, n->name) == 0)
				fn(arg, native_files[f].name, 0);
		return 0;
	case N_SESSIONS: {
		struct session_list a = { fn, arg };
		struct store *st = fs_store(fs, n->agent);
		int rc = st ? session_each(st, list_session, &a) : -ENOMEM;
		fs_store_put(fs, st);
		return rc;
	}
	case N_SESSION:
		return list_files(L_SESSION, fn, arg);
	case N_PROFILES:
		return list_children(fs, n, fn, arg);
	case N_PROVIDER:
		list_files(L_PROVIDER, fn, arg);
		return list_children(fs, n, fn, arg);
	case N_PROFILE:
		return list_files(L_PROFILE, fn, arg);
	default:
		return -ENOTDIR;
	}
}

/* Resolve the parent of path and return the last component in leaf. */
static int parent_of(struct fs *fs, const char *path, struct node *parent, char *leaf, size_t cap)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	if (!slash || strlen(slash + 1) >= cap)
		return -ENAMETOOLONG;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	snprintf(leaf, cap, "%s", slash + 1);
	return tree_resolve(fs, dir[0] ? dir : "/", parent);
}

int tree_mkdir(struct fs *fs, const char *path)
{
	struct node parent, existing;
	char leaf[PROFILE_NAME_MAX + 1];
	int rc = parent_of(fs, path, &parent, leaf, sizeof(leaf));
	if (rc < 0)
		return rc;
	if (tree_resolve(fs, path, &existing) == 0)
		return -EEXIST;
	if (parent.kind == N_PROFILES) {
		char canon[PROVIDER_MAX + 1];
		if (junk_name(leaf) || home_provider(fs->home, leaf, canon, NULL) < 0 || strcmp(canon, leaf) != 0)
			return -EINVAL; /* a typo, or a provider the config does not declare */
		return pending_add(fs, parent.agent, leaf, NULL);
	}
	if (parent.kind == N_PROVIDER) {
		if (junk_name(leaf) || profile_name_new_check(leaf, NULL) < 0)
			return -EINVAL;
		return pending_add(fs, parent.agent, parent.provider, leaf);
	}
	if (parent.kind == N_SESSIONS) {
		if (junk_name(leaf) || session_id_check(leaf, NULL) < 0)
			return -EINVAL;
		struct store *st = fs_store(fs, parent.agent);
		rc = st ? session_create(st, leaf, NULL) : -ENOMEM;
		fs_store_put(fs, st);
		return rc;
	}
	return -EPERM;
}

int tree_rmdir(struct fs *fs, const char *path)
{
	struct node n;
	int rc = tree_resolve(fs, path, &n);
	if (rc < 0)
		return rc;
	if (n.kind == N_PROFILE) {
		rc = stored(fs, n.agent, n.provider, n.id);
		if (rc != 0)
			return rc < 0 ? rc : -ENOTEMPTY;
		return pending_del(fs, n.agent, n.provider, n.name);
	}
	if (n.kind == N_PROVIDER) {
		rc = stored(fs, n.agent, n.provider, NULL);
		if (rc != 0)
			return rc < 0 ? rc : -ENOTEMPTY;
		if (provider_find(n.provider))
			return -EPERM; /* a built-in provider is always listed */
		return pending_del(fs, n.agent, n.provider, NULL);
	}
	if (n.kind == N_SESSION) {
		struct store *st = fs_store(fs, n.agent);
		rc = st ? session_delete(st, n.session, NULL) : -ENOMEM;
		fs_store_put(fs, st);
		return rc;
	}
	return n.kind == N_FILE ? -ENOTDIR : -EPERM;
}
