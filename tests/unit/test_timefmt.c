/* store/timefmt: --expires-in durations and time-left text. */
#include "unit.h"
#include "store/timefmt.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(durations_parse),
		cmocka_unit_test(bad_durations_refused),
		cmocka_unit_test(time_left_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
