/* store/order: SPEC 6 resolution and the cooldown math. */
#include "unit.h"
#include "store/order.h"

#define NOW 1000000000000LL

static void expect(const char *doc_text, const char *config_text, const char *provider,
		   const char *pin, const char *const *want, size_t n)
{
	cJSON *doc = J(doc_text), *cfg = J(config_text);
	struct id_list l;
	assert_int_equal(order_resolve(doc, cfg, provider, pin, NOW, &l), 0);
	assert_int_equal(l.n, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(l.ids[i], want[i]);
	id_list_free(&l);
	cJSON_Delete(doc);
	cJSON_Delete(cfg);
}

#define P_A "\"anthropic:a\":{\"type\":\"api_key\",\"provider\":\"anthropic\",\"key\":\"ka\"}"
#define P_B "\"anthropic:b\":{\"type\":\"api_key\",\"provider\":\"anthropic\",\"key\":\"kb\"}"
#define P_T "\"anthropic:t\":{\"type\":\"token\",\"provider\":\"anthropic\",\"token\":\"tt\"}"
#define P_O "\"anthropic:o\":{\"type\":\"oauth\",\"provider\":\"anthropic\",\"access\":\"x\",\"refresh\":\"y\",\"expires\":2000000000000}"
#define P_X "\"openai:x\":{\"type\":\"api_key\",\"provider\":\"openai\",\"key\":\"kx\"}"

static void explicit_store_order_kept(void **s)
{
	(void)s;
	const char *want[] = { "anthropic:b", "anthropic:a" };
	expect("{\"profiles\":{" P_A "," P_B "},\"order\":{\"anthropic\":[\"anthropic:b\",\"anthropic:a\",\"anthropic:b\",\"anthropic:gone\",\"openai:x\"]}}",
	       "{}", "anthropic", NULL, want, 2);
}

static void config_order_used_when_store_has_none(void **s)
{
	(void)s;
	const char *want[] = { "anthropic:b", "anthropic:a" };
	expect("{\"profiles\":{" P_A "," P_B "}}", "{\"auth\":{\"order\":{\"anthropic\":[\"anthropic:b\",\"anthropic:a\"]}}}",
	       "anthropic", NULL, want, 2);
}

static void round_robin_by_type_then_last_used(void **s)
{
	(void)s;
	const char *want[] = { "anthropic:o", "anthropic:t", "anthropic:b", "anthropic:a" };
	expect("{\"profiles\":{" P_A "," P_B "," P_T "," P_O "},\"usageStats\":{\"anthropic:a\":{\"lastUsed\":500},\"anthropic:b\":{\"lastUsed\":100}}}",
	       "{}", "anthropic", NULL, want, 4);
}

static void cooldown_moves_to_end_soonest_first(void **s)
{
	(void)s;
	const char *want[] = { "anthropic:t", "anthropic:a", "anthropic:b" };
	expect("{\"profiles\":{" P_A "," P_B "," P_T "},\"order\":{\"anthropic\":[\"anthropic:b\",\"anthropic:a\",\"anthropic:t\"]},"
	       "\"usageStats\":{\"anthropic:b\":{\"cooldownUntil\":1000000900000},\"anthropic:a\":{\"disabledUntil\":1000000100000}}}",
	       "{}", "anthropic", NULL, want, 3);
}

static void mode_mismatch_dropped(void **s)
{
	(void)s;
	const char *want[] = { "anthropic:b" };
	expect("{\"profiles\":{" P_A "," P_B "}}",
	       "{\"auth\":{\"profiles\":{\"anthropic:a\":{\"provider\":\"anthropic\",\"mode\":\"token\"},\"anthropic:b\":{\"provider\":\"anthropic\",\"mode\":\"api_key\"}}}}",
	       "anthropic", NULL, want, 1);
}

static void expired_token_dropped(void **s)
{
	(void)s;
	const char *want[] = { "anthropic:a" };
	expect("{\"profiles\":{" P_A ",\"anthropic:old\":{\"type\":\"token\",\"provider\":\"anthropic\",\"token\":\"t\",\"expires\":5}}}",
	       "{}", "anthropic", NULL, want, 1);
}

static void other_provider_ignored(void **s)
{
	(void)s;
	const char *want[] = { "openai:x" };
	expect("{\"profiles\":{" P_A "," P_X "}}", "{}", "openai", NULL, want, 1);
}

static void pin_goes_first(void **s)
{
	(void)s;
	const char *want[] = { "anthropic:a", "anthropic:b" };
	expect("{\"profiles\":{" P_A "," P_B "},\"order\":{\"anthropic\":[\"anthropic:b\",\"anthropic:a\"]}}",
	       "{}", "anthropic", "anthropic:a", want, 2);
}

static void cooldown_math(void **s)
{
	(void)s;
	assert_int_equal(cooldown_ms(1), 60000);
	assert_int_equal(cooldown_ms(2), 300000);
	assert_int_equal(cooldown_ms(3), 1500000);
	assert_int_equal(cooldown_ms(4), 3600000);
	assert_int_equal(cooldown_ms(9), 3600000);
}

static void billing_math(void **s)
{
	(void)s;
	assert_int_equal(billing_ms(1, 5, 24), 5LL * 3600000);
	assert_int_equal(billing_ms(2, 5, 24), 10LL * 3600000);
	assert_int_equal(billing_ms(3, 5, 24), 20LL * 3600000);
	assert_int_equal(billing_ms(4, 5, 24), 24LL * 3600000);
	assert_int_equal(billing_ms(40, 1, 10000), 1024LL * 3600000);
}

static void failure_then_good_report(void **s)
{
	(void)s;
	cJSON *doc = J("{\"profiles\":{" P_A "}}"), *cfg = J("{}");
	assert_int_equal(usage_report_failure(doc, cfg, "anthropic:a", FAIL_RATE_LIMIT, NOW), 0);
	assert_int_equal(usage_report_failure(doc, cfg, "anthropic:a", FAIL_TIMEOUT, NOW), 0);
	cJSON *u = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "usageStats"), "anthropic:a");
	assert_int_equal((int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(u, "cooldownUntil")), NOW + 300000);
	assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(u, "errorCount")), 2);
	assert_int_equal(usage_report_failure(doc, cfg, "anthropic:a", FAIL_BILLING, NOW), 0);
	assert_int_equal((int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(u, "disabledUntil")), NOW + 5LL * 3600000);
	assert_int_equal(usage_report_good(doc, "anthropic:a", "anthropic", NOW + 1), 0);
	assert_null(cJSON_GetObjectItem(u, "cooldownUntil"));
	assert_null(cJSON_GetObjectItem(u, "disabledUntil"));
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "lastGood"), "anthropic")), "anthropic:a");
	cJSON_Delete(doc);
	cJSON_Delete(cfg);
}

static void failures_outside_window_reset(void **s)
{
	(void)s;
	cJSON *doc = J("{\"profiles\":{" P_A "}}"), *cfg = J("{\"auth\":{\"cooldowns\":{\"failureWindowHours\":1}}}");
	usage_report_failure(doc, cfg, "anthropic:a", FAIL_AUTH, NOW);
	usage_report_failure(doc, cfg, "anthropic:a", FAIL_AUTH, NOW + 2 * 3600000LL);
	cJSON *u = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "usageStats"), "anthropic:a");
	assert_int_equal((int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(u, "cooldownUntil")), NOW + 2 * 3600000LL + 60000);
	cJSON_Delete(doc);
	cJSON_Delete(cfg);
}

static void remove_drops_references(void **s)
{
	(void)s;
	cJSON *doc = J("{\"profiles\":{" P_A "," P_B "},\"order\":{\"anthropic\":[\"anthropic:a\",\"anthropic:b\"]},"
		       "\"lastGood\":{\"anthropic\":\"anthropic:a\"},\"usageStats\":{\"anthropic:a\":{}}}");
	assert_int_equal(profile_remove(doc, "anthropic:a"), 0);
	char *t = cJSON_PrintUnformatted(doc);
	assert_null(strstr(t, "anthropic:a"));
	cJSON_free(t);
	assert_int_equal(profile_remove(doc, "anthropic:a"), 1);
	cJSON_Delete(doc);
}

int main(void)
{
	secmem_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(explicit_store_order_kept),
		cmocka_unit_test(config_order_used_when_store_has_none),
		cmocka_unit_test(round_robin_by_type_then_last_used),
		cmocka_unit_test(cooldown_moves_to_end_soonest_first),
		cmocka_unit_test(mode_mismatch_dropped),
		cmocka_unit_test(expired_token_dropped),
		cmocka_unit_test(other_provider_ignored),
		cmocka_unit_test(pin_goes_first),
		cmocka_unit_test(cooldown_math),
		cmocka_unit_test(billing_math),
		cmocka_unit_test(failure_then_good_report),
		cmocka_unit_test(failures_outside_window_reset),
		cmocka_unit_test(remove_drops_references),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
