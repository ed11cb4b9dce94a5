/* Paths to nodes, listings, mkdir and rmdir, read off the directory
 * table (fs/dirs.c) and the file table (fs/files.c). */
#include "fs/tree.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The file called name in the directory n names (NULL: none). Files of a
 * level with their own directory (native/<app>) belong to that one. */
static const struct file_def *file_in(const struct node *n, const char *name)
{
	size_t count;
	const struct dir_def *d = tree_dir(n->kind);
	const struct file_def *f = d && d->files != L_NONE ? tree_files(d->files, &count) : NULL;
	for (size_t i = 0; f && i < count; i++)
		if (strcmp(f[i].name, name) == 0 && (!f[i].dir || strcmp(f[i].dir, n->name) == 0))
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

/* The row of the directories with variable names under kind (NULL: none). */
static const struct dir_def *variable_child(enum node_kind kind)
{
	size_t count;
	const struct dir_def *d = tree_dirs(&count);
	for (size_t i = 0; i < count; i++)
		if (d[i].parent == kind && d[i].kind != kind && !d[i].name)
			return &d[i];
	return NULL;
}

/* One step down from the directory n names, by name: a child directory
 * of that fixed name, else one of its files, else a child with a
 * variable name. */
static int step(struct fs *fs, struct node *n, const char *name)
{
	size_t count;
	const struct dir_def *d = tree_dirs(&count), *var = variable_child(n->kind);
	if (n->kind == N_FILE)
		return -ENOENT;
	for (size_t i = 0; i < count; i++)
		if (d[i].parent == n->kind && d[i].kind != n->kind && d[i].name && strcmp(d[i].name, name) == 0)
			return n->kind = d[i].kind, 0;
	if ((n->file = file_in(n, name)))
		return n->kind = N_FILE, 0;
	return var ? var->enter(fs, n, name) : -ENOENT;
}

int tree_resolve(struct fs *fs, const char *path, struct node *n)
{
	char c[6][PROFILE_NAME_MAX + 1];
	int depth = split(path, c), rc = 0;
	memset(n, 0, sizeof(*n));
	n->kind = N_ROOT;
	for (int i = 0; rc == 0 && i < depth; i++)
		rc = step(fs, n, c[i]);
	return depth < 0 ? depth : rc;
}

/* Files first, then child directories in table order. */
int tree_list(struct fs *fs, const struct node *n, entry_fn fn, void *arg)
{
	size_t n_files = 0, n_dirs, i;
	const struct dir_def *d = tree_dir(n->kind), *all = tree_dirs(&n_dirs);
	if (!d)
		return -ENOTDIR;
	const struct file_def *f = d->files != L_NONE ? tree_files(d->files, &n_files) : NULL;
	for (i = 0; i < n_files; i++)
		if ((!f[i].dir || strcmp(f[i].dir, n->name) == 0) && fn(arg, f[i].name, 0))
			break;
	int rc = 0;
	for (i = 0; i < n_dirs && rc == 0; i++) {
		if (all[i].parent != n->kind || all[i].kind == n->kind)
			continue;
		if (all[i].name)
			fn(arg, all[i].name, 1);
		else
			rc = all[i].names(fs, n, fn, arg);
	}
	return rc;
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
	const struct dir_def *d = variable_child(parent.kind);
	return d && d->make ? d->make(fs, &parent, leaf) : -EPERM;
}

int tree_rmdir(struct fs *fs, const char *path)
{
	struct node n;
	int rc = tree_resolve(fs, path, &n);
	if (rc < 0)
		return rc;
	const struct dir_def *d = tree_dir(n.kind);
	if (!d)
		return -ENOTDIR;
	return d->remove ? d->remove(fs, &n) : -EPERM;
}
