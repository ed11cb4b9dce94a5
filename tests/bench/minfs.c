/* The floor for any FUSE filesystem: one constant file, /token, served by
 * the same libfuse, loop and cache settings (direct_io, 1 s timeouts) as
 * nova-engine. Usage: minfs MOUNTPOINT; like `nova-engine mount` it
 * returns once mounted (the daemon detaches) and unmounting ends it. */
#define FUSE_USE_VERSION 312
#include <errno.h>
#include <fuse.h>
#include <string.h>

static const char content[] = "sk-test-0123456789abcdefghijklmnop\n";

static void *mf_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	(void)conn;
	cfg->entry_timeout = cfg->attr_timeout = cfg->negative_timeout = 1.0;
	cfg->direct_io = 1;
	return NULL;
}

static int mf_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	(void)fi;
	memset(st, 0, sizeof(*st));
	if (strcmp(path, "/") == 0) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	}
	if (strcmp(path, "/token") != 0)
		return -ENOENT;
	st->st_mode = S_IFREG | 0600;
	st->st_nlink = 1;
	st->st_size = sizeof(content) - 1;
	return 0;
}

static int mf_open(const char *path, struct fuse_file_info *fi)
{
	if (strcmp(path, "/token") != 0)
		return -ENOENT;
	fi->direct_io = 1;
	return 0;
}

static int mf_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)path, (void)fi;
	size_t len = sizeof(content) - 1;
	if ((size_t)off >= len)
		return 0;
	if (size > len - (size_t)off)
		size = len - (size_t)off;
	memcpy(buf, content + off, size);
	return (int)size;
}

static const struct fuse_operations ops = {
	.init = mf_init, .getattr = mf_getattr, .open = mf_open, .read = mf_read,
};

/* The same session setup as fs/mount.c: mount options, daemon, loop threads. */
int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	char *argv_fuse[] = { argv[0], "-o", "default_permissions,nosuid,nodev,noexec,fsname=minfs", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, argv_fuse);
	struct fuse *f = fuse_new(&args, &ops, sizeof(ops), NULL);
	if (!f || fuse_mount(f, argv[1]) != 0 || fuse_daemonize(0) != 0)
		return 1;
	fuse_set_signal_handlers(fuse_get_session(f));
	struct fuse_loop_config *cfg = fuse_loop_cfg_create();
	fuse_loop_cfg_set_max_threads(cfg, 192); /* FS_MAX_THREADS */
	fuse_loop_cfg_set_idle_threads(cfg, 16); /* FS_IDLE_THREADS */
	int rc = fuse_loop_mt(f, cfg);
	fuse_loop_cfg_destroy(cfg);
	fuse_remove_signal_handlers(fuse_get_session(f));
	fuse_unmount(f);
	fuse_destroy(f);
	return rc;
}
