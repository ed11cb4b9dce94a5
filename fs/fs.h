/* The credential filesystem: options and the entry point. */
#ifndef NV_FS_H
#define NV_FS_H

#include <sys/types.h>

#define FS_MAX_AGENTS 64

struct fs_options {
	const char *mountpoint;
	int foreground;
	int allow_other;
	int read_only;
	uid_t uid;
	gid_t gid;
	int group_given;                    /* --gid: private files get group bits */
	const char *agents[FS_MAX_AGENTS];  /* only these, when n_agents > 0 */
	int n_agents;
	const char *fuse_opts;              /* extra -o options, may be NULL */
	const char *log_file;               /* NULL: syslog (stderr with -f) */
};

/* Mount and serve until unmounted or signalled. Errors before the
 * daemon detaches are printed to stderr as "Error: ..." and return 1. */
int fs_run(const struct fs_options *opt);

/* The mount's toucher (fs/notify.c) runs as this program with argv[0]
 * set to FS_TOUCHER_ARGV0 and nothing else: it touches each path read
 * from stdin until EOF. A name no user types, and no "nova-engine mount"
 * in its command line. */
#define FS_TOUCHER_ARGV0 "nova-engine-notify-toucher"
int fs_toucher_main(void);

#endif
