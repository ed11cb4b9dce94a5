/* store/verdict: the one answer to "can this stored credential be used,
 * and if not, why" (SPEC 6 step 2, SPEC 12). Its words, which need a
 * home, are tested through the binary (test_agents_independent.py). */
#include "unit.h"
#include "store/verdict.h"

#define NOW 1000000000000LL

static enum unusable verdict(const char *cred, const char *config)
{
	cJSON *c = J(cred), *cfg = config ? J(config) : NULL;
	enum unusable u = cred_verdict(c, cfg, "anthropic:default", NOW);
	cJSON_Delete(c);
	cJSON_Delete(cfg);
	return u;
}

static void each_reason(void **s)
{
	(void)s;
	const char *key = "{\"type\":\"api_key\",\"provider\":\"anthropic\",\"key\":\"k\"}";
	assert_int_equal(verdict(key, NULL), USABLE);
	assert_int_equal(verdict(key, "{\"auth\":{\"profiles\":{\"anthropic:default\":{\"mode\":\"api_key\"}}}}"), USABLE);
	assert_int_equal(verdict(key, "{\"auth\":{\"profiles\":{\"anthropic:default\":{\"mode\":\"token\"}}}}"), UNUSABLE_MODE);
	assert_int_equal(verdict(key, "{\"auth\":{\"profiles\":{\"anthropic:other\":{\"mode\":\"token\"}}}}"), USABLE);
	assert_int_equal(verdict("{\"type\":\"api_key\",\"key\":\"\"}", NULL), UNUSABLE_BLANK);
	assert_int_equal(verdict("{\"type\":\"token\"}", NULL), UNUSABLE_BLANK);
	assert_int_equal(verdict("{\"type\":\"token\",\"token\":\"t\",\"expires\":999999999999}", NULL), UNUSABLE_EXPIRED);
	assert_int_equal(verdict("{\"type\":\"token\",\"token\":\"t\",\"expires\":1000000000001}", NULL), USABLE);
	assert_int_equal(verdict("{\"type\":\"oauth\",\"access\":\"\",\"refresh\":\"\"}", NULL), UNUSABLE_NO_TOKENS);
	assert_int_equal(verdict("{\"type\":\"oauth\",\"refresh\":\"r\"}", NULL), USABLE);
	assert_int_equal(verdict("{\"type\":\"bearer\",\"token\":\"t\"}", NULL), UNUSABLE_TYPE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(each_reason),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
