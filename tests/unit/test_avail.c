/* store/avail: cooldowns and disables in words, a date only when it is one. */
#include "unit.h"
#include "store/avail.h"

#define NOW 1800000000000LL
#define H (3600 * 1000LL)

static void text(const char *usage, char *left, char *phrase)
{
	cJSON *u = J(usage);
	struct avail a = avail_of(u, NOW);
	avail_left(&a, NOW, left, 16);
	avail_phrase(&a, NOW, phrase, 300);
	cJSON_Delete(u);
}

static void kinds(void **s)
{
	char left[16], phrase[300], buf[200];
	(void)s;
	text("{}", left, phrase);
	assert_string_equal(left, "none");
	assert_string_equal(phrase, "");
	snprintf(buf, sizeof(buf), "{\"cooldownUntil\":%lld}", NOW + 5 * 60000);
	text(buf, left, phrase);
	assert_string_equal(left, "5m");
	assert_string_equal(phrase, "in cooldown for 5m, until 2027-01-15T08:05:00Z");
	snprintf(buf, sizeof(buf), "{\"disabledUntil\":%lld,\"disabledReason\":\"billing\",\"cooldownUntil\":%lld}", NOW + 5 * H, NOW + H);
	text(buf, left, phrase);
	assert_string_equal(phrase, "disabled (billing) for 5h, until 2027-01-15T13:00:00Z");
	/* a past disable is history, not a state */
	snprintf(buf, sizeof(buf), "{\"disabledUntil\":%lld,\"disabledReason\":\"billing\"}", NOW - H);
	text(buf, left, phrase);
	assert_string_equal(left, "none");
}

static void no_end_is_no_date(void **s)
{
	char left[16], phrase[300];
	(void)s;
	text("{\"disabledUntil\":8640000000000000,\"disabledReason\":\"auth\",\"disabledMessage\":\"re-authentication required\"}", left, phrase);
	assert_string_equal(left, "disabled");
	assert_string_equal(phrase, "disabled (auth: re-authentication required)");
	text("{\"disabledUntil\":1e300,\"disabledReason\":\"billing\"}", left, phrase);
	assert_string_equal(phrase, "disabled (billing)");
	text("{\"cooldownUntil\":1e300}", left, phrase);
	assert_string_equal(phrase, "disabled");
	cJSON *o = cJSON_CreateObject(), *u = J("{\"disabledUntil\":8640000000000000,\"disabledReason\":\"auth\"}");
	struct avail a = avail_of(u, NOW);
	avail_to_json(&a, NOW, o);
	assert_null(cJSON_GetObjectItem(o, "available_at"));
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(o, "cooldown")), "disabled");
	cJSON_Delete(o);
	cJSON_Delete(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kinds),
		cmocka_unit_test(no_end_is_no_date),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
