/* store/rows: the typed rows the faces list credentials from. */
#include "unit.h"
#include "store/rows.h"

#define NOW 1000000000000LL
#define KEY64 "sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

static const char *const doc_text =
	"{\"profiles\":{"
	"\"anthropic:work\":{\"type\":\"api_key\",\"provider\":\"anthropic\",\"key\":\"" KEY64 "\"},"
	"\"anthropic:old\":{\"type\":\"token\",\"provider\":\"anthropic\",\"token\":\"short\",\"expires\":999999000000},"
	"\"anthropic:cool\":{\"type\":\"api_key\",\"provider\":\"anthropic\",\"key\":\"kc\"},"
	"\"openai:x\":{\"type\":\"oauth\",\"provider\":\"openai\",\"access\":\"a\",\"refresh\":\"r\",\"expires\":1000003600000},"
	"\"legacy\":{\"type\":\"api_key\",\"provider\":\"anthropic\",\"key\":\"kl\"},"
	"\"nobody:y\":{\"type\":\"api_key\",\"key\":\"ky\"},"
	"\"openai:off\":{\"type\":\"api_key\",\"provider\":\"openai\",\"key\":\"ko\"}},"
	"\"usageStats\":{\"anthropic:cool\":{\"cooldownUntil\":1000000060000,\"lastUsed\":999999999000},"
	"\"openai:off\":{\"disabledUntil\":8640000000000000,\"disabledReason\":\"auth\",\"disabledMessage\":\"re-authentication required\"}}}";

static struct cred_row *rows_for(const char *config, const char *provider, const char *id, size_t *n)
{
	cJSON *doc = J(doc_text), *cfg = J(config);
	struct cred_filter f = { provider, id, 0 };
	struct cred_row *rows;
	assert_int_equal(cred_rows_of(doc, cfg, &f, NOW, &rows, n), 0);
	cJSON_Delete(doc);
	cJSON_Delete(cfg);
	return rows;
}

static const struct cred_row *find(const struct cred_row *rows, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(rows[i].id, id) == 0)
			return &rows[i];
	fail_msg("no row %s", id);
	return NULL;
}

static void every_profile_in_document_order(void **s)
{
	(void)s;
	size_t n;
	struct cred_row *r = rows_for("{}", NULL, NULL, &n);
	assert_int_equal(n, 7);
	assert_string_equal(r[0].id, "anthropic:work");
	assert_string_equal(r[5].id, "nobody:y");
	assert_string_equal(r[5].provider, "");
	cred_rows_free(r, n);
}

static void secret_is_masked_per_spec_12(void **s)
{
	(void)s;
	size_t n;
	struct cred_row *r = rows_for("{}", "anthropic", NULL, &n);
	assert_string_equal(find(r, n, "anthropic:work")->mask, "sk-ant-a...AAAAAAAA");
	assert_string_equal(find(r, n, "anthropic:old")->mask, SECRET_HIDDEN);
	for (size_t i = 0; i < n; i++)
		assert_null(strstr(r[i].mask, "short"));
	cred_rows_free(r, n);
}

static void filter_by_provider_and_id(void **s)
{
	(void)s;
	size_t n;
	struct cred_row *r = rows_for("{}", "openai", NULL, &n);
	assert_int_equal(n, 2);
	assert_string_equal(r[0].id, "openai:x");
	assert_int_equal(r[0].type, CRED_OAUTH);
	cred_rows_free(r, n);
	r = rows_for("{}", NULL, "legacy", &n);
	assert_int_equal(n, 1);
	cred_rows_free(r, n);
	r = rows_for("{}", "groq", NULL, &n);
	assert_int_equal(n, 0);
	assert_null(r);
}

static void name_only_for_provider_prefixed_ids(void **s)
{
	(void)s;
	size_t n;
	struct cred_row *r = rows_for("{}", NULL, NULL, &n);
	assert_string_equal(find(r, n, "anthropic:work")->name, "work");
	assert_string_equal(find(r, n, "legacy")->name, "");
	assert_string_equal(find(r, n, "nobody:y")->name, "");
	cred_rows_free(r, n);
}

static void health_and_usage_facts(void **s)
{
	(void)s;
	size_t n;
	struct cred_row *r = rows_for("{}", NULL, NULL, &n);
	const struct cred_row *old = find(r, n, "anthropic:old"), *cool = find(r, n, "anthropic:cool");
	const struct cred_row *x = find(r, n, "openai:x"), *dis = find(r, n, "openai:off");
	assert_int_equal(old->health.state, HEALTH_EXPIRED);
	assert_int_equal(old->expires, 999999000000LL);
	assert_int_equal(x->health.state, HEALTH_EXPIRING);
	assert_true(x->health.refreshable);
	assert_int_equal(cool->avail.kind, AVAIL_COOLDOWN);
	assert_int_equal(cool->avail.until, 1000000060000LL);
	assert_int_equal(cool->last_used, 999999999000LL);
	assert_int_equal(dis->avail.kind, AVAIL_DISABLED_OPEN);
	assert_string_equal(dis->avail.reason, "auth");
	assert_string_equal(dis->avail.message, "re-authentication required");
	assert_int_equal(find(r, n, "anthropic:work")->avail.kind, AVAIL_NOW);
	assert_null(find(r, n, "anthropic:work")->avail.reason);
	cred_rows_free(r, n);
}

static void position_is_the_effective_order(void **s)
{
	(void)s;
	size_t n;
	/* cooldown goes last; the expired token and a mode mismatch are not used */
	struct cred_row *r = rows_for("{\"auth\":{\"profiles\":{\"legacy\":{\"provider\":\"anthropic\",\"mode\":\"token\"}},"
				      "\"order\":{\"anthropic\":[\"anthropic:cool\",\"anthropic:old\",\"legacy\",\"anthropic:work\"]}}}",
				      NULL, NULL, &n);
	assert_int_equal(find(r, n, "anthropic:work")->position, 1);
	assert_int_equal(find(r, n, "anthropic:cool")->position, 2);
	assert_int_equal(find(r, n, "anthropic:old")->position, 0);
	assert_int_equal(find(r, n, "legacy")->position, 0);
	assert_int_equal(find(r, n, "openai:x")->position, 1);
	assert_int_equal(find(r, n, "nobody:y")->position, 0);
	cred_rows_free(r, n);
}

static void verdict_is_computed_once_per_row(void **s)
{
	(void)s;
	size_t n;
	/* legacy is pinned to another type; the token has expired */
	struct cred_row *r = rows_for("{\"auth\":{\"profiles\":{\"legacy\":{\"provider\":\"anthropic\",\"mode\":\"token\"}}}}",
				      NULL, NULL, &n);
	const struct cred_row *old = find(r, n, "anthropic:old"), *legacy = find(r, n, "legacy");
	const struct cred_row *x = find(r, n, "openai:x"), *work = find(r, n, "anthropic:work");
	assert_int_equal(legacy->unusable, UNUSABLE_MODE);
	assert_int_equal(old->unusable, UNUSABLE_EXPIRED);
	assert_int_equal(work->unusable, USABLE);
	assert_false(old->servable);   /* expired past refreshing */
	assert_true(x->servable);      /* expiring, refreshable */
	assert_int_equal(old->check, 1);
	assert_int_equal(x->check, 0); /* refreshable: nothing to do */
	assert_int_equal(work->check, 0);
	assert_null(work->email);
	cred_rows_free(r, n);
}

static void empty_store_gives_no_rows(void **s)
{
	(void)s;
	cJSON *doc = J("{\"profiles\":{}}"), *cfg = J("{}");
	struct cred_row *rows = (void *)1;
	size_t n = 9;
	assert_int_equal(cred_rows_of(doc, cfg, NULL, NOW, &rows, &n), 0);
	assert_int_equal(n, 0);
	assert_null(rows);
	cred_rows_free(NULL, 0);
	cJSON_Delete(doc);
	cJSON_Delete(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_profile_in_document_order),
		cmocka_unit_test(secret_is_masked_per_spec_12),
		cmocka_unit_test(filter_by_provider_and_id),
		cmocka_unit_test(name_only_for_provider_prefixed_ids),
		cmocka_unit_test(health_and_usage_facts),
		cmocka_unit_test(position_is_the_effective_order),
		cmocka_unit_test(verdict_is_computed_once_per_row),
		cmocka_unit_test(empty_store_gives_no_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
