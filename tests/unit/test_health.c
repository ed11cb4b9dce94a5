/* store/health: the SPEC 7 table. */
#include "unit.h"
#include "store/health.h"

#define NOW 1000000000000LL
#define H (3600LL * 1000)

static struct health of(const char *json, const char *usage)
{
	cJSON *c = J(json), *u = usage ? J(usage) : NULL;
	struct health h = health_of(c, u, NOW);
	cJSON_Delete(c);
	cJSON_Delete(u);
	return h;
}

static void table(void **s)
{
	char buf[256];
	(void)s;
	assert_int_equal(of("{\"type\":\"api_key\",\"key\":\"k\"}", NULL).state, HEALTH_STATIC);
	assert_int_equal(of("{\"type\":\"token\",\"token\":\"t\"}", NULL).state, HEALTH_STATIC);
	snprintf(buf, sizeof(buf), "{\"type\":\"token\",\"token\":\"t\",\"expires\":%lld}", NOW - 1);
	assert_int_equal(of(buf, NULL).state, HEALTH_EXPIRED);
	snprintf(buf, sizeof(buf), "{\"type\":\"token\",\"token\":\"t\",\"expires\":%lld}", NOW + 3 * H);
	assert_int_equal(of(buf, NULL).state, HEALTH_EXPIRING);
	snprintf(buf, sizeof(buf), "{\"type\":\"oauth\",\"access\":\"a\",\"expires\":%lld}", NOW + 48 * H);
	assert_int_equal(of(buf, NULL).state, HEALTH_OK);
	assert_int_equal(of("{\"type\":\"oauth\",\"access\":\"a\"}", NULL).state, HEALTH_MISSING);
}

static void refreshable_oauth_is_not_a_problem(void **s)
{
	char buf[256];
	(void)s;
	snprintf(buf, sizeof(buf), "{\"type\":\"oauth\",\"access\":\"a\",\"refresh\":\"r\",\"expires\":%lld}", NOW - H);
	struct health h = of(buf, NULL);
	assert_true(h.refreshable);
	assert_string_equal(health_label(&h), "ok (refreshable)");
	assert_int_equal(health_severity(&h), 0);
	h = of(buf, "{\"disabledReason\":\"auth\"}");
	assert_false(h.refreshable);
	assert_int_equal(health_severity(&h), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table),
		cmocka_unit_test(refreshable_oauth_is_not_a_problem),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
