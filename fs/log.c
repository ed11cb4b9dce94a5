/* Where the daemon's messages go. */
#include "fs/log.h"
#include "store/vis.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static FILE *log_fp;         /* file or stderr; NULL means syslog */
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

int log_open(const char *file, int foreground)
{
	if (file) {
		log_fp = fopen(file, "ae");
		if (!log_fp)
			return -errno;
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
