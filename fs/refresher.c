/* The refresher thread. It sleeps on a condition variable, so stop and
 * kick take effect at once; refreshes run on this thread only, never in a
 * request handler. */
#include "fs/refresher.h"
#include "fs/notify.h"
#include "fs/log.h"
#include "store/settings.h"
#include "store/refresh.h"
#include "store/timefmt.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER; /* CLOCK_MONOTONIC */
static int stopping, kicked, running;                  /* protected by mu */
static pthread_t thread;

static void note(const char *agent, const char *id, int rc, const char *msg, void *arg)
{
	if (rc == 0) {
		log_msg(LOG_INFO, "agent %s: refreshed %s ahead of expiry", agent, id);
		fs_notify_change(arg, agent, id); /* the kernel, and hooks: holders of the old token reload */
	} else {
		log_msg(LOG_WARNING, "agent %s: refresh of %s failed, will retry: %s", agent, id, msg);
	}
}

struct pass_args {
	struct fs *fs;
	int64_t next;
};

static int pass_agent(void *arg, const char *agent, int is_dir)
{
	struct pass_args *a = arg;
	struct store *st = fs_store(a->fs, agent);
	(void)is_dir;
	int64_t in = st ? refresh_pass(st, note, a->fs) : INT64_MAX;
	fs_store_put(a->fs, st);
	if (in < a->next)
		a->next = in;
	return 0;
}

static int64_t scan_ms(struct home *h)
{
	struct mount_settings s;
	mount_settings(h, &s);
	return s.refresh_scan_ms;
}

/* The agents a pass covers: those the mount was told to show, else the
 * default one and every agent whose store the mount holds open (it was
 * read lately). Walking every agent on disk would open thousands of
 * stores for nobody. */
static void pass(struct fs *fs, struct pass_args *a)
{
	static char open_now[FS_STORES_MAX][AGENT_MAX + 1];
	char dflt[AGENT_MAX + 1];
	if (fs->opt.n_agents) { /* the only ones it shows */
		for (int i = 0; i < fs->opt.n_agents; i++)
			pass_agent(a, fs->opt.agents[i], 1);
		return;
	}
	home_default_agent(fs->home, dflt);
	pass_agent(a, dflt, 1);
	size_t n = fs_stores_list(fs, open_now, FS_STORES_MAX);
	for (size_t i = 0; i < n; i++)
		if (strcmp(open_now[i], dflt) != 0)
			pass_agent(a, open_now[i], 1);
}

static void *run(void *arg)
{
	struct fs *fs = arg;
	pthread_mutex_lock(&mu);
	while (!stopping) {
		kicked = 0;
		pthread_mutex_unlock(&mu);
		struct pass_args a = { fs, scan_ms(fs->home) };
		pass(fs, &a);
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		int64_t wait = a.next < 50 ? 50 : a.next; /* never spin on a failing clock */
		until.tv_sec += wait / 1000;
		until.tv_nsec += (wait % 1000) * 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_mutex_lock(&mu);
		while (!stopping && !kicked && pthread_cond_timedwait(&wake, &mu, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

/* Any change may bring a new OAuth credential: plan it now. */
static void on_change(void *arg, const char *agent, const char *profile_id)
{
	(void)arg, (void)agent, (void)profile_id;
	fs_refresher_kick();
}

int fs_refresher_start(struct fs *fs)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_destroy(&wake);
	pthread_cond_init(&wake, &ca);
	pthread_condattr_destroy(&ca);
	stopping = kicked = 0;
	int rc = pthread_create(&thread, NULL, run, fs);
	running = rc == 0;
	if (rc == 0)
		fs_notify_listen(fs, on_change, NULL);
	return -rc;
}

void fs_refresher_stop(void)
{
	pthread_mutex_lock(&mu);
	stopping = 1;
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&mu);
	if (running)
		pthread_join(thread, NULL);
	running = 0;
}

void fs_refresher_kick(void)
{
	pthread_mutex_lock(&mu);
	kicked = 1;
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&mu);
}
