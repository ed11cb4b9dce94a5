/* Where the daemon's messages go. */
#include "fs/log.h"
#include "store/vis.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static FILE *log_fp;         /* file or stderr; NULL means syslog */
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

int log_open(const char *file, int foreground)
{
	if (file) {
		/* it names agents and profiles: the owner's alone (SPEC 12),
		 * whatever the umask (fopen would make it 0644) */
		int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			return -errno;
		log_fp = fdopen(fd, "a");
		if (!log_fp) {
			int e = errno;
			close(fd);
			return -e;
		}
		setvbuf(log_fp, NULL, _IOLBF, 0);
	} else if (foreground) {
		log_fp = stderr;
	} else {
		openlog("nova-engine", LOG_PID, LOG_DAEMON);
	}
	return 0;
}

/* Messages quote ids, paths and errors that users and configs gave: a
 * log read with cat or tail shows their control bytes made visible. */
void log_msg(int level, const char *fmt, ...)
{
	struct out raw = { 0 }, shown = { 0 };
	va_list ap;
	va_start(ap, fmt);
	int rc = out_vprintf(&raw, fmt, ap);
	va_end(ap);
	if (rc == 0)
		rc = vis_put(&shown, raw.p);
	const char *msg = rc == 0 ? shown.p : "(a message was lost: out of memory)";
	if (!log_fp) {
		syslog(level, "%s", msg);
	} else {
		char ts[32];
		time_t t = time(NULL);
		struct tm tm;
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
		pthread_mutex_lock(&log_mu);
		fprintf(log_fp, "%s nova-engine[%s]: %s\n", ts, level <= LOG_ERR ? "error" : level == LOG_WARNING ? "warning" : "info", msg);
		fflush(log_fp);
		pthread_mutex_unlock(&log_mu);
	}
	out_free(&raw);
	out_free(&shown);
}
