/* store/timefmt: --expires-in durations and time-left text. */
#include "unit.h"
#include "store/timefmt.h"

#include <stdint.h>
#include <time.h>

static void durations_parse(void **s)
{
	int64_t ms;
	(void)s;
	assert_int_equal(duration_parse("90", &ms, NULL), 0);
	assert_int_equal(ms, 90LL * 86400000);
	assert_int_equal(duration_parse("1.5h", &ms, NULL), 0);
	assert_int_equal(ms, 5400000);
	assert_int_equal(duration_parse("250ms", &ms, NULL), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(duration_parse("30m", &ms, NULL), 0);
	assert_int_equal(ms, 1800000);
	assert_int_equal(duration_parse("10s", &ms, NULL), 0);
	assert_int_equal(ms, 10000);
	assert_int_equal(duration_parse("2d", &ms, NULL), 0);
	assert_int_equal(ms, 2LL * 86400000);
}

static void bad_durations_refused(void **s)
{
	int64_t ms;
	struct nv_err e = { 0 };
	(void)s;
	const char *bad[] = { "", "h", "1.h", ".5h", "-1d", "1w", "1 d", "1dd", "1e3", "99999999999999999999d" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(duration_parse(bad[i], &ms, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "invalid duration"));
}

static void time_left_text(void **s)
{
	char b[16];
	(void)s;
	duration_format(45 * 60000, b, sizeof(b));
	assert_string_equal(b, "45m");
	duration_format(3 * 3600000, b, sizeof(b));
	assert_string_equal(b, "3h");
	duration_format(12LL * 86400000, b, sizeof(b));
	assert_string_equal(b, "12d");
	duration_format(-5, b, sizeof(b));
	assert_string_equal(b, "0m");
}

/* time_iso computes the calendar itself: it must agree with gmtime_r
 * and strftime on every kind of day (leap years, centuries, 1970, before). */
static void iso_times_match_gmtime(void **state)
{
	(void)state;
	int64_t fixed[] = { 0, -1, 999, 1000, 951782400000LL, 951868800000LL, 4107542400000LL, 4107456000000LL,
			    1796164800000LL, -86400001LL, 253402300799000LL, -62135596800000LL };
	uint64_t x = 88172645463325252ULL;
	for (int i = 0; i < 20000; i++) {
		int64_t ms;
		if (i < (int)(sizeof(fixed) / sizeof(fixed[0]))) {
			ms = fixed[i];
		} else { /* xorshift: days from year 0 to 9999 */
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			ms = (int64_t)(x % 315537897600000ULL) - 62167219200000LL;
		}
		char got[32], want[32];
		time_t t = (time_t)(ms / 1000 - (ms % 1000 < 0));
		struct tm tm;
		strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
		if (tm.tm_year + 1900 < 1000)
			continue; /* strftime does not pad %Y to four digits */
		time_iso(ms, got);
		assert_string_equal(got, want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(iso_times_match_gmtime),
		cmocka_unit_test(durations_parse),
		cmocka_unit_test(bad_durations_refused),
		cmocka_unit_test(time_left_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
