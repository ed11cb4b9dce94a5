/* Daemon log: syslog, a log file, or stderr in the foreground. Never pass
 * a secret: callers log ids and error messages only. */
#ifndef NV_FS_LOG_H
#define NV_FS_LOG_H

#include <syslog.h>

int log_open(const char *file, int foreground);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
