/* Clock and duration text. */
#include "store/timefmt.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The test hooks are read once: the clock is asked for from every thread,
 * and getenv must not race the daemon's environment reload. */
static const char *pin, *file;
static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;

static void read_hooks(void)
{
	const char *p = getenv("NOVA_ENGINE_NOW_MS"), *f = getenv("NOVA_ENGINE_NOW_FILE");
	pin = p && *p ? strdup(p) : NULL;
	file = f && *f ? strdup(f) : NULL;
}

int64_t now_ms(void)
{
	pthread_once(&hooks_once, read_hooks);
	if (pin)
		return strtoll(pin, NULL, 10);
	FILE *f = file ? fopen(file, "re") : NULL; /* tests move a running daemon's clock */
	if (f) {
		long long v = 0;
		int ok = fscanf(f, "%lld", &v) == 1;
		fclose(f);
		if (ok)
			return v;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int duration_parse(const char *s, int64_t *ms, struct nv_err *err)
{
	const char *p = s;
	while (isdigit((unsigned char)*p))
		p++;
	int ok = p > s;
	if (ok && *p == '.') {
		const char *f = ++p;
		while (isdigit((unsigned char)*p))
			p++;
		ok = p > f;
	}
	static const struct { const char *unit; double ms; } units[] = {
		{ "ms", 1 }, { "s", 1e3 }, { "m", 60e3 }, { "h", 3600e3 }, { "d", 86400e3 }, { "", 86400e3 },
	};
	double mult = -1;
	for (size_t i = 0; ok && i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(p, units[i].unit) == 0) {
			mult = units[i].ms;
			break;
		}
	if (!ok || mult < 0)
		return nv_fail(err, EINVAL, "invalid duration \"%.40s\": use a number with ms, s, m, h or d (e.g. 90d, 12h); a bare number means days", s);
	double v = strtod(s, NULL) * mult;
	if (!isfinite(v) || v > 8.64e15)
		return nv_fail(err, EINVAL, "invalid duration \"%.40s\": too long", s);
	*ms = (int64_t)v;
	return 0;
}

void duration_format(int64_t ms, char *out, size_t cap)
{
	int64_t m = ms / 60000;
	if (m < 60)
		snprintf(out, cap, "%lldm", (long long)(m < 0 ? 0 : m));
	else if (m < 48 * 60)
		snprintf(out, cap, "%lldh", (long long)((m + 30) / 60));
	else
		snprintf(out, cap, "%lldd", (long long)((m + 720) / 1440));
}

/* Floor division: a day or a second before 1970 belongs to the one before. */
static int64_t div_floor(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

/* Year, month and day of day number z (days since 1970-01-01) in the
 * proleptic Gregorian calendar (H. Hinnant's civil_from_days). Computed,
 * not asked of gmtime_r: glibc takes its time zone lock for it, and every
 * secret read writes a time (the audit line) from any daemon thread. */
static void civil(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = div_floor(z, 146097);
	int64_t doe = z - era * 146097;                                  /* [0, 146096] */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);           /* [0, 365] */
	int64_t mp = (5 * doy + 2) / 153;                                /* [0, 11], from March */
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

void time_iso(int64_t ms, char out[32])
{
	int64_t s = div_floor(ms, 1000), days = div_floor(s, 86400), sod = s - days * 86400, y;
	int m, d;
	civil(days, &y, &m, &d);
	snprintf(out, 32, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)y, m, d, (int)(sod / 3600),
		 (int)(sod / 60 % 60), (int)(sod % 60));
}
