/* nova-engine mount | umount. */
#include "cli/cli.h"
#include "cli/commands.h"
#include "fs/fs.h"

#include <errno.h>
#include <stdlib.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

int mount_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "allow-other", no_argument, NULL, 'a' },
		{ "uid", required_argument, NULL, 'u' },
		{ "gid", required_argument, NULL, 'g' },
		{ "read-only", no_argument, NULL, 'r' },
		{ "log", required_argument, NULL, 'l' },
		{ 0 },
	};
	struct cli_opts o = { .cmd = argv[0], .many_agents = 1 };
	struct fs_options fo = { .uid = getuid(), .gid = getgid() };
	long id;
	int c, rc;
	while ((c = cli_getopt(&o, argc, argv, opts, "fo:")) != -1) {
		switch (c) {
		case 'f': fo.foreground = 1; break;
		case 'a': fo.allow_other = 1; break;
		case 'r': fo.read_only = 1; break;
		case 'l': fo.log_file = optarg; break;
		case 'o': fo.fuse_opts = optarg; break;
		case 'u':
			if ((rc = cli_number(o.cmd, "--uid", optarg, 0, 0xfffffffeL, &id)))
				return rc;
			fo.uid = (uid_t)id;
			break;
		case 'g':
			if ((rc = cli_number(o.cmd, "--gid", optarg, 0, 0xfffffffeL, &id)))
				return rc;
			fo.gid = (gid_t)id;
			fo.group_given = 1;
			break;
		}
	}
	if (argc - optind != 1)
		return cli_usage(o.cmd, "give exactly one MOUNTPOINT");
	for (int i = 0; i < o.n_agents && i < FS_MAX_AGENTS; i++) {
		struct nv_err err = { 0 };
		if (agent_id_check(o.agents[i], &err) < 0)
			return cli_fail(&err);
		fo.agents[fo.n_agents++] = o.agents[i];
	}
	fo.mountpoint = argv[optind];
	return fs_run(&fo);
}

/* What a user may unmount with us: a FUSE filesystem, or a dead one whose
 * daemon is gone (ENOTCONN). Anything else is refused, even for root. */
static int is_fuse_mount(const char *mnt)
{
	struct statfs sf;
	if (statfs(mnt, &sf) != 0)
		return errno == ENOTCONN;
	return sf.f_type == FUSE_SUPER_MAGIC;
}

/* fusermount3 -u: the set-uid helper that lets a user unmount their own
 * FUSE mount. */
static int fusermount_u(const char *mnt)
{
	pid_t pid = fork();
	if (pid == 0) {
		execlp("fusermount3", "fusermount3", "-u", "--", mnt, (char *)NULL);
		fprintf(stderr, "Error: cannot run fusermount3: %s (install the fuse3 package)\n", strerror(errno));
		_exit(127);
	}
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return cli_failf("cannot run fusermount3: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return cli_failf("cannot unmount %s (is it mounted? is a process using it?)", mnt);
	return 0;
}

/* Whoever may unmount directly (root, CAP_SYS_ADMIN) does, as fusermount3
 * itself would: one system call instead of starting a set-uid helper,
 * which was the larger part of a mount-read-unmount cycle. */
int umount_main(int argc, char **argv)
{
	struct cli_opts o = { .cmd = argv[0] };
	while (cli_getopt(&o, argc, argv, NULL, "") != -1)
		;
	if (argc - optind != 1)
		return cli_usage(o.cmd, "give exactly one MOUNTPOINT");
	const char *mnt = argv[optind];
	if (!is_fuse_mount(mnt))
		return cli_failf("cannot unmount %s: it is not a FUSE mount", mnt);
	if (umount2(mnt, UMOUNT_NOFOLLOW) == 0)
		return 0;
	if (errno == EPERM)
		return fusermount_u(mnt);
	if (errno == EBUSY)
		return cli_failf("cannot unmount %s: a process is using it (close it, or run fusermount3 -uz %s)", mnt, mnt);
	return cli_failf("cannot unmount %s: %s (is it the mountpoint itself?)", mnt, strerror(errno));
}
