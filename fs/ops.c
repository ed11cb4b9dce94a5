/* FUSE operations (high-level API). Each reads the file table through
 * tree_resolve; content is generated once per open into the handle, so
 * every read of one open file sees the same bytes; writes are buffered
 * per handle, checked as they come and committed at close (write_commit). */
#define FUSE_USE_VERSION 312
#include "fs/ops.h"
#include "fs/consumers.h"
#include "fs/log.h"
#include "fs/notify.h"
#include "fs/reply_io.h"
#include "store/secmem.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct handle {
	struct node node;
	pthread_mutex_t mu;     /* protects everything below */
	struct out content;     /* generated on first read */
	int generated;
	char *wbuf;             /* written bytes (wiping memory) */
	size_t wlen;
	int dirty;              /* written since the last commit */
	int wrote;              /* anything written on this handle */
	int failed;             /* a check or commit was refused: its -errno, which later writes get too; no retry */
	int truncated;          /* O_TRUNC or ftruncate(0) */
	int trunc_done;
	void *undo;             /* what puts back the state trunc_done changed (file->untruncate) */
};

static struct fs *ctx_fs(void)
{
	return fuse_get_context()->private_data;
}

/* For long waits (a live probe): did the reader give up (Ctrl-C)? */
static int request_interrupted(void *arg)
{
	(void)arg;
	return fuse_interrupted();
}

static void *op_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	cfg->entry_timeout = 1.0;
	cfg->attr_timeout = 1.0;
	cfg->negative_timeout = 1.0;
	cfg->direct_io = 1;
	cfg->use_ino = 0;
	/* rm of a file some process holds open is an unlink (rm token
	 * deletes the credential), not libfuse's rename to .fuse_hidden*,
	 * which is refused; later calls on that handle get a NULL path */
	cfg->hard_remove = 1;
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	/* requests and answers in memory, never in pipes: written secrets
	 * are wiped where they arrive, read ones where they leave (reply_io) */
	conn->want &= ~(unsigned)(FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE);
	struct fs *fs = fuse_get_context()->private_data;
	fs->interrupted = request_interrupted;
	return fs;
}

static int ts_after(struct timespec a, struct timespec b)
{
	return a.tv_sec != b.tv_sec ? a.tv_sec > b.tv_sec : a.tv_nsec > b.tv_nsec;
}

/* What n shows is made from, as it is now: the agent's store file and
 * the config in use for an agent's files (the newer of the two says when
 * it changed), the file's own source when it names one (the audit
 * trail), else nothing but the mount's start. look: the store file as it
 * is now (a stat); else as last read, which costs nothing and is never
 * newer than a rendering made after it (a read renders next and looks
 * itself). */
static struct source node_source(struct fs *fs, const struct node *n, int look)
{
	struct source src = { { 0, 0 }, 0 };
	struct file_stamp s;
	if (n->kind == N_FILE && n->file->source) {
		if (n->file->source(fs, &s) == 0) {
			src.when = s.mtime;
			src.tag = source_tag(0, &s);
		}
	} else if (n->agent[0]) {
		struct store *st = fs_store(fs, n->agent);
		if (st && (look ? store_stamp(st, &s) : store_stamp_read(st, &s)) == 0) {
			src.when = s.mtime;
			src.tag = source_tag(0, &s);
		}
		fs_store_put(fs, st);
		struct config_snap *c = home_config_get(fs->home);
		if (ts_after(c->mtime, src.when))
			src.when = c->mtime;
		src.tag = source_tag(src.tag, &(struct file_stamp){ .exists = 1, .mtime = c->mtime });
		config_snap_put(c);
	}
	if (!src.when.tv_sec)
		src.when.tv_sec = fs->started;
	return src;
}

static void fill_dir(struct fs *fs, struct stat *st, mode_t mode, struct timespec when)
{
	st->st_mode = S_IFDIR | mode;
	st->st_nlink = 2;
	st->st_uid = fs->opt.uid;
	st->st_gid = fs->opt.gid;
	st->st_mtim = st->st_ctim = st->st_atim = when;
}

/* SPEC 12: what names agents or profiles (every mode without bits for
 * others: agents/, metrics, status, ...) is the owner's alone; its group
 * bits count only when the user gave a group (--gid). */
static mode_t shown_mode(const struct fs *fs, mode_t mode)
{
	return (mode & 0007) || fs->opt.group_given ? mode : mode & ~(mode_t)0070;
}

/* May stat show the last length known of f's content (ci)? */
static int last_length_holds(const struct file_def *f, const struct content_info *ci)
{
	if (f->networked)
		return 1; /* a local rendering would not show what a read does */
	return ci->current && (f->static_content || (f->timed && ci->age_ms < STAT_REUSE_MS));
}

/* A file's size and times from local state only (SPEC: stat never waits
 * on a provider or a lock): the last rendering when it still holds (see
 * last_length_holds), else a local rendering (token, env, native files:
 * from the stored secrets the order picks, not refreshed), so the size
 * is what a read returns now. */
static void file_attr(struct fs *fs, struct node *n, struct stat *st)
{
	struct source src = node_source(fs, n, 1);
	struct content_info ci;
	int known = fs_content_get(fs, n, src, &ci);
	if (!(known && last_length_holds(n->file, &ci))) {
		struct out o = { 0 };
		n->local = 1;
		if (n->file->render(fs, n, &o) == 0) {
			fs_content_note(fs, n, o.p, o.len, src);
			fs_content_get(fs, n, src, &ci);
		} else {
			ci.len = 0; /* a read fails too (ENOKEY): no earlier length holds */
		}
		out_free(&o);
	}
	fill_dir(fs, st, 0, ci.changed);
	st->st_mode = S_IFREG | shown_mode(fs, n->file->mode);
	st->st_nlink = 1;
	st->st_size = (off_t)ci.len;
}

static int op_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct fs *fs = ctx_fs();
	struct node n;
	memset(st, 0, sizeof(*st));
	int rc = 0;
	if (path) /* NULL: fstat of a removed file still open (hard_remove) */
		rc = tree_resolve(fs, path, &n);
	else if (fi && fi->fh)
		n = ((struct handle *)(uintptr_t)fi->fh)->node;
	else
		rc = -ENOENT;
	if (rc < 0)
		return rc;
	if (n.kind != N_FILE)
		fill_dir(fs, st, shown_mode(fs, tree_dir(n.kind)->mode), node_source(fs, &n, 1).when);
	else
		file_attr(fs, &n, st);
	return 0;
}

struct fill_args {
	void *buf;
	fuse_fill_dir_t filler;
};

static int fill_one(void *arg, const char *name, int is_dir)
{
	struct fill_args *a = arg;
	struct stat st = { .st_mode = is_dir ? S_IFDIR : S_IFREG };
	return a->filler(a->buf, name, &st, 0, 0);
}

static int op_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct fs *fs = ctx_fs();
	struct node n;
	(void)off, (void)fi, (void)flags;
	int rc = tree_resolve(fs, path, &n);
	if (rc < 0)
		return rc;
	struct fill_args a = { buf, filler };
	fill_one(&a, ".", 1);
	fill_one(&a, "..", 1);
	return tree_list(fs, &n, fill_one, &a);
}

static int op_open(const char *path, struct fuse_file_info *fi)
{
	struct fs *fs = ctx_fs();
	struct node n;
	int rc = tree_resolve(fs, path, &n);
	if (rc < 0)
		return rc;
	if (n.kind != N_FILE)
		return -EISDIR;
	int writing = (fi->flags & O_ACCMODE) != O_RDONLY;
	if (writing && fs->opt.read_only)
		return -EROFS;
	if (writing && !n.file->accept)
		return -EACCES;
	if (writing && (fi->flags & O_APPEND))
		return -EPERM; /* a secret is replaced whole, never appended to */
	struct handle *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->node = n;
	h->truncated = writing && (fi->flags & O_TRUNC);
	pthread_mutex_init(&h->mu, NULL);
	fi->fh = (uint64_t)(uintptr_t)h;  /* the handle now owns the node copy */
	fi->direct_io = 1;
	fi->keep_cache = 0;
	fi->noflush = !writing; /* nothing to commit: spare the kernel a round trip at close */
	return 0;
}

static struct handle *handle_of(struct fuse_file_info *fi)
{
	return (struct handle *)(uintptr_t)fi->fh;
}

/* The handle's content, made on its first read. Caller holds h->mu. */
static int generate(struct handle *h, const char *path)
{
	if (h->generated)
		return 0;
	struct fs *fs = ctx_fs();
	struct source src = node_source(fs, &h->node, 0);
	fs_served_set(NULL);
	int rc = h->node.file->render(fs, &h->node, &h->content);
	h->generated = rc == 0;
	if (rc == 0 && h->node.file->audit)
		fs_audit_read(fs, &h->node, path ? path : "(removed while open)");
	if (h->node.file->counted)
		fs_count(fs, h->node.agent, FS_TOKEN_READS);
	if (rc == 0) /* what stat shows next: this length, and whether it changed */
		fs_content_note(fs, &h->node, h->content.p, h->content.len, src);
	return rc;
}

/* A change went through: tell the kernel and the listeners (fs/notify.h).
 * A token file names its profile; the rest may touch any of the agent. */
static void changed(struct fs *fs, const struct node *n)
{
	char id[PROFILE_ID_MAX + 1];
	if (n->kind != N_FILE || n->session[0])
		return; /* sessions: the file itself, which the kernel already knows */
	int one = strcmp(n->file->name, "token") == 0 || n->file->level == L_PROFILE;
	if (one)
		snprintf(id, sizeof(id), n->id[0] ? "%s" : "%s:default", n->id[0] ? n->id : n->provider);
	fs_notify_change(fs, n->agent, one ? id : NULL);
}

/* libfuse sends the answer from the buffer given here and then frees it;
 * fs/reply_io.c zeroes it in between. It holds just the bytes sent, so at
 * end of file (the read every reader ends with) there is none. */
static int op_read_buf(const char *path, struct fuse_bufvec **bufp, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct handle *h = handle_of(fi);
	struct fuse_bufvec *bv = malloc(sizeof(*bv));
	char *mem = NULL;
	pthread_mutex_lock(&h->mu);
	int rc = bv ? generate(h, path) : -ENOMEM;
	size_t len = h->content.len, n = 0;
	if (rc == 0 && (size_t)off < len) {
		n = len - (size_t)off < size ? len - (size_t)off : size;
		if ((mem = malloc(n)))
			memcpy(mem, h->content.p + off, n);
		else
			rc = -ENOMEM;
	}
	pthread_mutex_unlock(&h->mu);
	if (rc < 0) {
		free(bv);
		return rc;
	}
	*bv = (struct fuse_bufvec)FUSE_BUFVEC_INIT(n);
	bv->buf[0].mem = mem;
	if (n)
		fs_reply_wipe_next();
	*bufp = bv; /* libfuse owns it now */
	return 0;
}

/* A write or commit was refused (rc): later writes get rc too, and a
 * truncation this handle applied at an earlier flush is put back, so bad
 * input changes nothing. Caller holds h->mu. */
static int refuse(struct handle *h, int rc)
{
	h->failed = rc;
	if (h->undo) {
		h->node.file->untruncate(ctx_fs(), &h->node, h->undo, 1);
		h->undo = NULL;
		changed(ctx_fs(), &h->node);
	}
	return rc;
}

/* Commit the buffered content. Caller holds h->mu. */
static int write_commit(struct fs *fs, struct handle *h)
{
	if (!h->dirty || h->failed)
		return 0;
	h->dirty = 0;
	h->wbuf[h->wlen] = '\0';
	char *copy = secmem_strndup(h->wbuf, h->wlen); /* accept may edit in place */
	int rc = copy ? h->node.file->accept(fs, &h->node, copy, h->wlen) : -ENOMEM;
	secmem_free(copy);
	if (rc < 0) {
		refuse(h, rc);
	} else {
		changed(fs, &h->node);
		if (h->undo) /* the new value replaced it */
			h->node.file->untruncate(fs, &h->node, h->undo, 0);
		h->undo = NULL;
	}
	if (rc == 0 && h->node.file->counted)
		fs_count(fs, h->node.agent, FS_TOKEN_WRITES);
	return rc;
}

static int op_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct handle *h = handle_of(fi);
	(void)path;
	pthread_mutex_lock(&h->mu);
	int rc = 0;
	/* a refused write refuses the whole value: what came before it is
	 * never stored at close (an EFBIG or a hole included) */
	if (h->failed)
		rc = h->failed;
	else if (off < 0 || (size_t)off + size > WRITE_CAP)
		rc = refuse(h, -EFBIG);
	else if ((size_t)off > h->wlen)
		rc = refuse(h, -EINVAL); /* no holes in a credential */
	else if (!h->wbuf && !(h->wbuf = secmem_page_alloc(WRITE_CAP + 1)))
		rc = -ENOMEM;
	if (rc == 0) {
		memcpy(h->wbuf + off, buf, size);
		/* buf is libfuse's receive buffer (or its copy), unused after
		 * we return and otherwise kept until a later request overwrites
		 * it: the secret's only copy is now ours, in wiping memory */
		sodium_memzero((void *)buf, size);
		if ((size_t)off + size > h->wlen)
			h->wlen = (size_t)off + size;
		h->dirty = h->wrote = 1;
		/* checked now so echo sees EINVAL; stored at close, whole */
		if (h->node.file->check && (rc = h->node.file->check(ctx_fs(), &h->node, h->wbuf, h->wlen)) < 0)
			refuse(h, rc);
	}
	pthread_mutex_unlock(&h->mu);
	return rc < 0 ? rc : (int)size;
}

/* At close (every flush, and release): commit pending data; a truncation with nothing written
 * means "clear" for the files that say so (order), nothing otherwise. */
static int finish(struct fs *fs, struct handle *h)
{
	int rc = write_commit(fs, h);
	if (rc == 0 && h->truncated && !h->wrote && !h->failed && !h->trunc_done && h->node.file->truncated) {
		h->trunc_done = 1;
		if ((rc = h->node.file->truncated(fs, &h->node, h->node.file->untruncate ? &h->undo : NULL)) == 0)
			changed(fs, &h->node);
	}
	return rc;
}

static int op_flush(const char *path, struct fuse_file_info *fi)
{
	struct handle *h = handle_of(fi);
	(void)path;
	pthread_mutex_lock(&h->mu);
	int rc = finish(ctx_fs(), h);
	pthread_mutex_unlock(&h->mu);
	return rc;
}

static int op_release(const char *path, struct fuse_file_info *fi)
{
	struct handle *h = handle_of(fi);
	(void)path;
	finish(ctx_fs(), h);
	if (h->undo)
		h->node.file->untruncate(ctx_fs(), &h->node, h->undo, 0);
	out_free(&h->content);
	secmem_page_free(h->wbuf);
	pthread_mutex_destroy(&h->mu);
	free(h);
	return 0;
}

/* The file a change is aimed at: EROFS on a read-only mount, EISDIR for
 * a directory. */
static int file_to_change(struct fs *fs, const char *path, struct node *n)
{
	if (fs->opt.read_only)
		return -EROFS;
	int rc = path ? tree_resolve(fs, path, n) : -ENOENT;
	if (rc < 0)
		return rc;
	return n->kind == N_FILE ? 0 : -EISDIR;
}

static int op_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct fs *fs = ctx_fs();
	struct node n;
	int rc = fi && !path ? (fs->opt.read_only ? -EROFS : 0) : file_to_change(fs, path, &n);
	if (rc < 0)
		return rc;
	if (fi && !path) /* ftruncate of a removed file still open: its handle says what it is */
		n = handle_of(fi)->node;
	if (!n.file->accept)
		return -EACCES;
	if (fi && size != 0) { /* to the length written (rsync --inplace ends so): nothing to do */
		struct handle *h = handle_of(fi);
		pthread_mutex_lock(&h->mu);
		rc = h->wrote && (size_t)size == h->wlen ? 0 : -EINVAL;
		pthread_mutex_unlock(&h->mu);
		return rc;
	}
	if (size != 0)
		return -EINVAL;
	if (fi) { /* ftruncate on an open handle: decided at close */
		struct handle *h = handle_of(fi);
		pthread_mutex_lock(&h->mu);
		h->truncated = 1;
		h->wlen = 0;
		pthread_mutex_unlock(&h->mu);
		return 0;
	}
	if (!n.file->truncated)
		return 0;
	if ((rc = n.file->truncated(fs, &n, NULL)) == 0)
		changed(fs, &n);
	return rc;
}

static int op_unlink(const char *path)
{
	struct fs *fs = ctx_fs();
	struct node n;
	int rc = file_to_change(fs, path, &n);
	if (rc < 0)
		return rc;
	if (!n.file->remove)
		return -EPERM;
	if ((rc = n.file->remove(fs, &n)) == 0)
		changed(fs, &n);
	return rc;
}

static int op_mkdir(const char *path, mode_t mode)
{
	struct fs *fs = ctx_fs();
	(void)mode;
	return fs->opt.read_only ? -EROFS : tree_mkdir(fs, path);
}

static int op_rmdir(const char *path)
{
	struct fs *fs = ctx_fs();
	return fs->opt.read_only ? -EROFS : tree_rmdir(fs, path);
}

static int op_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct fs *fs = ctx_fs();
	struct node n;
	(void)mode;
	if (fs->opt.read_only)
		return -EROFS;
	/* only the table's files exist; a race with lookup can land here */
	return tree_resolve(fs, path, &n) == 0 ? op_open(path, fi) : -EPERM;
}

static int op_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	struct node n;
	(void)tv;
	if (!path) /* futimens of a removed file still open */
		return fi ? 0 : -ENOENT;
	return tree_resolve(ctx_fs(), path, &n); /* accepted, not stored: times are generated */
}

/* chmod and chown change nothing: setting what is shown already is
 * accepted (cp -a and cp --preserve of a 0600 file set it after writing,
 * and failed though the value was stored), anything else is EPERM. */
/* The node a chmod or chown names (EPERM for a removed file still open). */
static int attr_target(struct fs *fs, const char *path, struct node *n)
{
	return path ? tree_resolve(fs, path, n) : -EPERM;
}

static int op_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct fs *fs = ctx_fs();
	struct node n;
	int rc = attr_target(fs, path, &n);
	(void)fi;
	if (rc < 0)
		return rc;
	mode_t shown = shown_mode(fs, n.kind == N_FILE ? n.file->mode : tree_dir(n.kind)->mode);
	return (mode & 07777) == shown ? 0 : -EPERM;
}

static int op_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	struct fs *fs = ctx_fs();
	struct node n;
	(void)fi;
	int rc = attr_target(fs, path, &n);
	return rc < 0 ? rc : (uid == (uid_t)-1 || uid == fs->opt.uid) && (gid == (gid_t)-1 || gid == fs->opt.gid) ? 0 : -EPERM;
}

static int op_rename(const char *from, const char *to, unsigned int flags)
{
	(void)from, (void)to, (void)flags;
	return -EPERM;
}

const struct fuse_operations nova_ops = {
	.init = op_init,
	.getattr = op_getattr,
	.readdir = op_readdir,
	.open = op_open,
	.create = op_create,
	.read_buf = op_read_buf,
	.write = op_write,
	.flush = op_flush,
	.release = op_release,
	.truncate = op_truncate,
	.unlink = op_unlink,
	.mkdir = op_mkdir,
	.rmdir = op_rmdir,
	.utimens = op_utimens,
	.chmod = op_chmod,
	.chown = op_chown,
	.rename = op_rename,
};
