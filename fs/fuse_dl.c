/* libfuse3 through dlopen when a mount starts (see fuse_dl.h for why).
 * Each fuse_* function here has libfuse's prototype and forwards to the
 * loaded library, bound to the symbol version a link against libfuse
 * 3.12+ binds; before a successful load they fail the way libfuse does. */
#define FUSE_USE_VERSION 312
#include "fs/fuse_dl.h"

#include <dlfcn.h>
#include <errno.h>
#include <fuse.h>
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>

#define LIBFUSE "libfuse3.so.3"

/* X(name, version, return type, parameter types): what fs/ calls. */
#define FUSE_SYMBOLS(X)                                                                                  \
	X(fuse_new, "FUSE_3.1", struct fuse *, (struct fuse_args *, const struct fuse_operations *, size_t, void *)) \
	X(fuse_mount, "FUSE_3.0", int, (struct fuse *, const char *))                                   \
	X(fuse_unmount, "FUSE_3.0", void, (struct fuse *))                                              \
	X(fuse_destroy, "FUSE_3.0", void, (struct fuse *))                                              \
	X(fuse_daemonize, "FUSE_3.0", int, (int))                                                       \
	X(fuse_get_session, "FUSE_3.0", struct fuse_session *, (struct fuse *))                         \
	X(fuse_session_fd, "FUSE_3.0", int, (struct fuse_session *))                                    \
	X(fuse_session_custom_io, "FUSE_3.0", int, (struct fuse_session *, const struct fuse_custom_io *, int)) \
	X(fuse_get_context, "FUSE_3.0", struct fuse_context *, (void))                                  \
	X(fuse_interrupted, "FUSE_3.0", int, (void))                                                    \
	X(fuse_invalidate_path, "FUSE_3.1", int, (struct fuse *, const char *))                         \
	X(fuse_set_signal_handlers, "FUSE_3.0", int, (struct fuse_session *))                           \
	X(fuse_remove_signal_handlers, "FUSE_3.0", void, (struct fuse_session *))                       \
	X(fuse_loop_cfg_create, "FUSE_3.12", struct fuse_loop_config *, (void))                         \
	X(fuse_loop_cfg_destroy, "FUSE_3.12", void, (struct fuse_loop_config *))                        \
	X(fuse_loop_cfg_set_idle_threads, "FUSE_3.12", void, (struct fuse_loop_config *, unsigned int)) \
	X(fuse_loop_cfg_set_max_threads, "FUSE_3.12", void, (struct fuse_loop_config *, unsigned int))  \
	X(fuse_loop_mt, "FUSE_3.12", int, (struct fuse *, struct fuse_loop_config *))                   \
	X(fuse_opt_add_arg, "FUSE_3.0", int, (struct fuse_args *, const char *))                        \
	X(fuse_opt_free_args, "FUSE_3.0", void, (struct fuse_args *))

#define FIELD(name, version, ret, params) ret(*name) params;
static struct {
	FUSE_SYMBOLS(FIELD)
} lib;

static const struct {
	const char *name, *version;
	size_t offset;
} symbols[] = {
#define ENTRY(name, version, ret, params) { #name, version, offsetof(__typeof__(lib), name) },
	FUSE_SYMBOLS(ENTRY)
};

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static atomic_int loaded; /* set once, inside load_once */
static char load_error[300];

static void load(void)
{
	void *h = dlopen(LIBFUSE, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(load_error, sizeof(load_error), "%s", dlerror());
		return;
	}
	for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
		void *f = dlvsym(h, symbols[i].name, symbols[i].version);
		if (!f) {
			snprintf(load_error, sizeof(load_error), "%s has no %s@%s (too old)", LIBFUSE, symbols[i].name,
				 symbols[i].version);
			dlclose(h);
			return;
		}
		/* POSIX: a data pointer from dlsym converts to a function pointer */
		*(void **)((char *)&lib + symbols[i].offset) = f;
	}
	loaded = 1; /* never unloaded: the daemon runs on it until exit */
}

static int ready(void)
{
	pthread_once(&load_once, load);
	return loaded;
}

int fs_fuse_load(struct nv_err *err)
{
	if (ready())
		return 0;
	return nv_fail(err, ELIBACC, "cannot load the FUSE library %s (%s): install libfuse3 (Debian: apt install fuse3) to mount",
		       LIBFUSE, load_error);
}

struct fuse *fuse_new(struct fuse_args *args, const struct fuse_operations *op, size_t op_size, void *private_data)
{
	return ready() ? lib.fuse_new(args, op, op_size, private_data) : NULL;
}

int fuse_mount(struct fuse *f, const char *mountpoint)
{
	return ready() ? lib.fuse_mount(f, mountpoint) : -1;
}

void fuse_unmount(struct fuse *f)
{
	if (ready())
		lib.fuse_unmount(f);
}

void fuse_destroy(struct fuse *f)
{
	if (ready())
		lib.fuse_destroy(f);
}

int fuse_daemonize(int foreground)
{
	return ready() ? lib.fuse_daemonize(foreground) : -1;
}

struct fuse_session *fuse_get_session(struct fuse *f)
{
	return ready() ? lib.fuse_get_session(f) : NULL;
}

int fuse_session_fd(struct fuse_session *se)
{
	return ready() ? lib.fuse_session_fd(se) : -1;
}

int fuse_session_custom_io(struct fuse_session *se, const struct fuse_custom_io *io, int fd)
{
	return ready() ? lib.fuse_session_custom_io(se, io, fd) : -1;
}

struct fuse_context *fuse_get_context(void)
{
	return ready() ? lib.fuse_get_context() : NULL;
}

int fuse_interrupted(void)
{
	return ready() ? lib.fuse_interrupted() : 0;
}

int fuse_invalidate_path(struct fuse *f, const char *path)
{
	return ready() ? lib.fuse_invalidate_path(f, path) : -ENOSYS;
}

int fuse_set_signal_handlers(struct fuse_session *se)
{
	return ready() ? lib.fuse_set_signal_handlers(se) : -1;
}

void fuse_remove_signal_handlers(struct fuse_session *se)
{
	if (ready())
		lib.fuse_remove_signal_handlers(se);
}

struct fuse_loop_config *fuse_loop_cfg_create(void)
{
	return ready() ? lib.fuse_loop_cfg_create() : NULL;
}

void fuse_loop_cfg_destroy(struct fuse_loop_config *config)
{
	if (ready())
		lib.fuse_loop_cfg_destroy(config);
}

void fuse_loop_cfg_set_idle_threads(struct fuse_loop_config *config, unsigned int value)
{
	if (ready())
		lib.fuse_loop_cfg_set_idle_threads(config, value);
}

void fuse_loop_cfg_set_max_threads(struct fuse_loop_config *config, unsigned int value)
{
	if (ready())
		lib.fuse_loop_cfg_set_max_threads(config, value);
}

int fuse_loop_mt(struct fuse *f, struct fuse_loop_config *config)
{
	return ready() ? lib.fuse_loop_mt(f, config) : -1;
}

int fuse_opt_add_arg(struct fuse_args *args, const char *arg)
{
	return ready() ? lib.fuse_opt_add_arg(args, arg) : -1;
}

void fuse_opt_free_args(struct fuse_args *args)
{
	if (ready())
		lib.fuse_opt_free_args(args);
}
