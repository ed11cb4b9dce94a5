/* The mounted tree: paths to nodes, ONE table of the directories in it
 * (fs/dirs.c: where each sits, its mode, the files it holds, how its
 * names are checked, listed, made and removed) and ONE table of the
 * files (fs/files.c: name, level, mode, how to render, how to accept a
 * write, how to remove). Every FUSE operation reads those tables. */
#ifndef NV_FS_TREE_H
#define NV_FS_TREE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "fs/fs.h"
#include "store/fileio.h"
#include "store/home.h"
#include "store/profile.h"
#include "store/provider.h"
#include "store/settings.h"
#include "store/probe_cache.h"
#include "store/store.h"
#include "store/textbuf.h"

#define WRITE_CAP (16 * 1024)

struct fs;

enum node_kind { N_ROOT, N_META, N_AGENTS, N_AGENT, N_PROFILES, N_PROVIDER, N_PROFILE, N_SESSIONS, N_SESSION, N_FILE,
		 N_NATIVE, N_NATIVE_APP };
enum level { L_META, L_AGENT, L_PROVIDER, L_PROFILE, L_SESSION, L_NATIVE, L_NONE };

struct node;

struct file_def {
	const char *name;
	const char *doc;    /* one paragraph for nova-engine-fs(5) */
	enum level level;
	mode_t mode;
	/* Fill o; 0 or -errno. With n->local set (stat, not read) it must
	 * answer from local state only: no network, no store lock, no
	 * change; -EAGAIN when it cannot. */
	int (*render)(struct fs *fs, const struct node *n, struct out *o);
	/* Take complete written content (NUL-terminated); 0 or -errno. */
	int (*accept)(struct fs *fs, const struct node *n, char *data, size_t len);
	/* Truncation with nothing written: what it means (NULL: nothing).
	 * With undo, *undo gets what puts the state before it back, for
	 * untruncate (a shell's redirection closes a copy of the file, a
	 * flush, before it writes: the write may still be refused). */
	int (*truncated)(struct fs *fs, const struct node *n, void **undo);
	/* Put back what truncated changed (apply) or just free undo. */
	void (*untruncate)(struct fs *fs, const struct node *n, void *undo, int apply);
	/* unlink; NULL: EPERM. */
	int (*remove)(struct fs *fs, const struct node *n);
	/* Check what was written so far (all of it, from offset 0; more may
	 * follow) without changing anything: -EINVAL as soon as it cannot
	 * become valid, so write() fails and `echo` says so. The whole is
	 * committed by accept at close: one open, one value. NULL: no check. */
	int (*check)(struct fs *fs, const struct node *n, const char *data, size_t len);
	/* Rendering may talk to a provider and a local rendering would not
	 * show what a read does (a probe result, a scrape): stat shows the
	 * last length (a local rendering when there is none yet). */
	int networked;
	/* The content depends on its source only (not on time): stat
	 * reuses the last length while the source is unchanged. */
	int static_content;
	/* The content depends on its source and on the clock (expiries,
	 * cooldowns): stat reuses the last length while the source is
	 * unchanged, for at most STAT_REUSE_MS. */
	int timed;
	/* What the content is made from when it is not the agent's store
	 * and the config: that file's stamp now (NULL: store and config). */
	int (*source)(struct fs *fs, struct file_stamp *out);
	/* Reads and writes count in the token metrics. */
	int counted;
	/* L_NATIVE: the directory under native/ it lives in. */
	const char *dir;
	/* A read hands out a secret: the audit trail's "how" (NULL: not audited). */
	const char *audit;
};

struct node {
	enum node_kind kind;
	const struct file_def *file;
	char agent[AGENT_MAX + 1];
	char provider[PROVIDER_MAX + 1];
	char name[PROFILE_NAME_MAX + 1];
	char id[PROFILE_ID_MAX + 1];
	char session[65];        /* N_NATIVE_APP and L_NATIVE files: name is the app */
	int local;               /* render for stat: local state only */
};

/* How long stat may show a timed file's last length (see file_def):
 * the kernel keeps attributes as long (attr_timeout), so stat costs at
 * most one local rendering a second per file. */
#define STAT_REUSE_MS 1000

/* What a file's content is made from, as it is now: when that last
 * changed (the file's times) and a tag that differs whenever it did. The
 * tag also takes inode and size: two changes within one clock tick (a
 * few ms: two audit lines) share an mtime. */
struct source {
	struct timespec when;
	uint64_t tag;
};

/* What the mount knows of a file's content. */
struct content_info {
	size_t len;              /* the last rendered length */
	int current;             /* rendered from the current source */
	long age_ms;             /* since that rendering */
	struct timespec changed; /* when the content last changed */
};

/* Filesystem state shared by every request. */
struct fs {
	struct home *home;
	struct fs_options opt;
	time_t started;
	pthread_mutex_t mu;        /* protects slots, pending, memo */
	struct slots *slots;       /* open stores (LRU) and counters */
	struct pending *pending;   /* directories made by mkdir, not yet stored */
	struct content_memo *memo; /* last length and change time per file */
	struct notifier *notify;   /* change notices (fs/notify.h) */
	struct store_watch *watch; /* etcd backend: other hosts' changes (store/watch.h) */
	struct fuse *fuse;         /* for kernel invalidations */
	struct probe_cache *probes;/* live status results, shared by readers */
	int (*interrupted)(void *);/* has the current request been interrupted? */
	_Atomic int status_waiting;/* status readers that may wait on a provider */
};

/* Stores kept open at once by default (each holds a decrypted document);
 * config fs.openAgentsMax changes it. */
#define FS_STORES_MAX OPEN_AGENTS_DEFAULT

/* Per-agent counters for metrics. */
enum fs_counter { FS_TOKEN_READS, FS_TOKEN_WRITES, FS_COUNTERS };
void fs_count(struct fs *fs, const char *agent, enum fs_counter which);
unsigned long fs_counted(struct fs *fs, const char *agent, enum fs_counter which);

/* Record a rendering of n's content (p, len) made from source, taken
 * before the rendering began (so a change during it shows as a new one). */
void fs_content_note(struct fs *fs, const struct node *n, const char *p, size_t len, struct source source);
/* What is known of n's content; 0 (ci says "changed at source") when it
 * was never rendered. */
int fs_content_get(struct fs *fs, const struct node *n, struct source source, struct content_info *ci);

/* Fold a file's stamp into a source tag. */
uint64_t source_tag(uint64_t tag, const struct file_stamp *s);

int fs_init(struct fs *fs, struct home *h, const struct fs_options *opt);
void fs_release(struct fs *fs);

/* The agent's store handle, held for the caller until fs_store_put
 * (NULL: out of memory). Opened on first use; at most FS_STORES_MAX stay
 * open, and the least recently used one nobody holds is closed, its
 * decrypted document wiped. */
struct store *fs_store(struct fs *fs, const char *agent);
void fs_store_put(struct fs *fs, struct store *st);   /* NULL does nothing */
size_t fs_stores_open(struct fs *fs);

/* For the watcher: the open agents whose store file changed since the
 * last call (at most cap names into agents; the rest are reported by the
 * next call); fs_store_seen records the
 * file as it is now (after a change this mount announced itself). */
size_t fs_stores_changed(struct fs *fs, char (*agents)[AGENT_MAX + 1], size_t cap);
void fs_store_seen(struct fs *fs, const char *agent);
/* The open agents, most recently used first (at most cap). */
size_t fs_stores_list(struct fs *fs, char (*agents)[AGENT_MAX + 1], size_t cap);

/* Directory entries of a node: fn per name. */
typedef int (*entry_fn)(void *arg, const char *name, int is_dir);

/* One row per kind of directory. A path is resolved one name at a time:
 * in the directory it names so far, a child directory with that fixed
 * name, else one of its files, else a child whose names vary (enter). */
struct dir_def {
	enum node_kind kind;
	enum node_kind parent;   /* kind == parent: the root */
	const char *name;        /* a fixed name; NULL: names enter accepts */
	const char *path;        /* for nova-engine-fs(5), e.g. agents/AGENT */
	mode_t mode;             /* shown with group bits only under --gid */
	enum level files;        /* the files it holds (L_NONE: none) */
	const char *doc;         /* for nova-engine-fs(5); may be NULL */
	/* Check name as a child of the directory n names and make n name it
	 * (kind and fields); 0, -ENOENT, or -errno from the store. */
	int (*enter)(struct fs *fs, struct node *n, const char *name);
	/* fn per existing name under parent; 0 or -errno. */
	int (*names)(struct fs *fs, const struct node *parent, entry_fn fn, void *arg);
	/* mkdir of leaf under parent (NULL: EPERM); rmdir of n (NULL: EPERM). */
	int (*make)(struct fs *fs, const struct node *parent, const char *leaf);
	int (*remove)(struct fs *fs, const struct node *n);
};

/* The directory table, in listing order; the row of a kind (NULL for
 * N_FILE). */
const struct dir_def *tree_dirs(size_t *count);
const struct dir_def *tree_dir(enum node_kind kind);

/* Parse path into n and check it exists. 0, -ENOENT, or -errno. */
int tree_resolve(struct fs *fs, const char *path, struct node *n);

/* The files of a level, in listing order. */
const struct file_def *tree_files(enum level lv, size_t *count);

int tree_list(struct fs *fs, const struct node *n, entry_fn fn, void *arg);

/* mkdir / rmdir of provider and profile directories. */
int tree_mkdir(struct fs *fs, const char *path);
int tree_rmdir(struct fs *fs, const char *path);

#endif
