/* The typed records the faces read views through: probe outcomes, doctor
 * findings, audit rows. */
#include "unit.h"
#include "store/audit.h"
#include "store/doctor.h"
#include "store/probe.h"

static struct probe_outcome outcome_of(const char *bucket)
{
	char text[80];
	struct probe_outcome o;
	snprintf(text, sizeof(text), "{\"result\":\"%s\"}", bucket);
	cJSON *r = J(text);
	probe_outcome_of(r, &o);
	cJSON_Delete(r);
	assert_string_equal(o.result, bucket);
	return o;
}

static void probe_refusals_are_the_refused_buckets(void **s)
{
	(void)s;
	static const char *const refused[] = { "auth", "forbidden", "restricted" };
	static const char *const other[] = { "ok", "rate_limit", "timeout", "billing", "network" };
	for (size_t i = 0; i < 3; i++)
		assert_true(outcome_of(refused[i]).refused);
	for (size_t i = 0; i < 5; i++)
		assert_false(outcome_of(other[i]).refused);
}

static void probe_outcome_fields(void **s)
{
	(void)s;
	cJSON *r = J("{\"result\":\"auth\",\"advice\":\"check the key\",\"latency_ms\":125}");
	struct probe_outcome o;
	probe_outcome_of(r, &o);
	assert_string_equal(o.advice, "check the key");
	assert_true(o.latency_ms == 125);
	cJSON_Delete(r);
	probe_outcome_of(NULL, &o); /* no result yet */
	assert_string_equal(o.result, "");
	assert_string_equal(o.advice, "");
	assert_false(o.refused);
}

static void doctor_finding_reads_each_and_stops(void **s)
{
	(void)s;
	cJSON *f = J("[{\"check\":\"mode\",\"severity\":\"error\",\"subject\":\"x\",\"problem\":\"p\",\"fix\":\"chmod 600 x\",\"fixable\":true},"
		     "{\"severity\":\"info\",\"problem\":\"q\"}]");
	struct finding one;
	assert_int_equal(doctor_finding(f, 0, &one), 0);
	assert_string_equal(one.check, "mode");
	assert_string_equal(one.fix, "chmod 600 x");
	assert_true(one.fixable);
	assert_int_equal(doctor_finding(f, 1, &one), 0);
	assert_string_equal(one.fix, ""); /* missing: empty, never NULL */
	assert_false(one.fixable);
	assert_int_equal(doctor_finding(f, 2, &one), -ENOENT);
	cJSON_Delete(f);
}

static void audit_row_numbers_and_missing_fields(void **s)
{
	(void)s;
	cJSON *rows = J("[{\"time\":\"2026-12-02T11:00:00Z\",\"agent\":\"main\",\"profile\":\"openai:default\",\"how\":\"cli:token\","
			"\"uid\":1000,\"pid\":4242,\"comm\":\"cat\"}]");
	struct audit_row *r = malloc(sizeof(*r));
	assert_int_equal(audit_row_at(rows, 0, r), 0);
	assert_string_equal(r->uid, "1000");
	assert_string_equal(r->pid, "4242");
	assert_string_equal(r->comm, "cat");
	assert_string_equal(r->exe, "-");
	assert_string_equal(r->pcomm, "-");
	assert_int_equal(audit_row_at(rows, 1, r), -ENOENT);
	free(r);
	cJSON_Delete(rows);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(probe_refusals_are_the_refused_buckets),
		cmocka_unit_test(probe_outcome_fields),
		cmocka_unit_test(doctor_finding_reads_each_and_stops),
		cmocka_unit_test(audit_row_numbers_and_missing_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
