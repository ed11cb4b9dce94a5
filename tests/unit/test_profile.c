/* store/profile: masking, secret checks, type inference, ids. */
#include "unit.h"
#include "store/profile.h"
#include "store/provider.h"

/* A secret of n characters, distinct characters so a leak is visible. */
static const char *secret_of(size_t n)
{
	static char buf[80];
	for (size_t i = 0; i < n; i++)
		buf[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"[i % 62];
	buf[n] = '\0';
	return buf;
}

static void mask_hides_secrets_under_32_whole(void **s)
{
	char m[MASK_MAX];
	(void)s;
	secret_mask(secret_of(16), m);
	assert_string_equal(m, SECRET_HIDDEN);
	secret_mask(secret_of(31), m);
	assert_string_equal(m, SECRET_HIDDEN);
	secret_mask("", m);
	assert_string_equal(m, "");
}

static void mask_from_32_shows_first4_last4(void **s)
{
	char m[MASK_MAX];
	(void)s;
	secret_mask(secret_of(32), m);
	assert_string_equal(m, "ABCD...cdef");
	secret_mask(secret_of(63), m);
	assert_string_equal(m, "ABCD...789A");
}

static void mask_from_64_shows_first8_last8(void **s)
{
	char m[MASK_MAX];
	(void)s;
	secret_mask(secret_of(64), m);
	assert_string_equal(m, "ABCDEFGH...456789AB");
	secret_mask("sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-12345678", m);
	assert_string_equal(m, "sk-ant-a...12345678");
}

static void secret_check_refuses_bad_input(void **s)
{
	struct nv_err e = { 0 };
	(void)s;
	assert_int_equal(secret_check("", 0, "token", &e), -EINVAL);
	assert_string_equal(e.msg, "token is empty: paste the whole value");
	assert_int_equal(secret_check("ab cd", 5, "token", &e), -EINVAL);
	assert_non_null(strstr(e.msg, "white space"));
	assert_int_equal(secret_check("ab\x01" "cd", 5, "token", &e), -EINVAL);
	assert_int_equal(secret_check("ab\0cd", 5, "token", &e), -EINVAL);
	assert_non_null(strstr(e.msg, "NUL"));
	char *big = calloc(1, SECRET_MAX + 2);
	memset(big, 'a', SECRET_MAX + 1);
	assert_int_equal(secret_check(big, SECRET_MAX + 1, "token", &e), -EINVAL);
	assert_non_null(strstr(e.msg, "too long"));
	assert_int_equal(secret_check(big, SECRET_MAX, "token", &e), 0);
	free(big);
}

static void trim_strips_both_ends(void **s)
{
	char buf[] = "  \tsk-abc\r\n";
	(void)s;
	assert_int_equal(secret_trim(buf, strlen(buf)), 6);
	assert_string_equal(buf, "sk-abc");
}

#define PAD "-0123456789abcdefghijklmnopqrstuvwxyz" /* long enough for anthropic */

static void type_inferred_from_prefix(void **s)
{
	cJSON *c;
	(void)s;
	assert_int_equal(cred_from_text("anthropic", "sk-ant-oat01" PAD, strlen("sk-ant-oat01" PAD), CRED_NONE, &c, NULL), 0);
	assert_int_equal(cred_type_of(c), CRED_TOKEN);
	assert_string_equal(cred_secret(c), "sk-ant-oat01" PAD);
	cJSON_Delete(c);
	assert_int_equal(cred_from_text("anthropic", "sk-ant-api03" PAD, strlen("sk-ant-api03" PAD), CRED_NONE, &c, NULL), 0);
	assert_int_equal(cred_type_of(c), CRED_API_KEY);
	cJSON_Delete(c);
}

static void short_or_quoted_secrets_refused(void **s)
{
	struct nv_err e = { 0 };
	cJSON *c;
	(void)s;
	assert_int_equal(cred_from_text("anthropic", "abc", 3, CRED_NONE, &c, &e), -EINVAL);
	assert_string_equal(e.msg, "API key is too short for anthropic (3 characters; its keys have at least 40): paste the whole value");
	const char *q = "\"sk-ant-api03" PAD "\"";
	assert_int_equal(cred_from_text("anthropic", q, strlen(q), CRED_NONE, &c, &e), -EINVAL);
	assert_string_equal(e.msg, "API key is wrapped in quotes: paste the value without them");
	assert_int_equal(cred_from_text("openai", "'sk-proj" PAD "'", strlen("'sk-proj" PAD "'"), CRED_TOKEN, &c, &e), -EINVAL);
	assert_string_equal(e.msg, "token is wrapped in quotes: paste the value without them");
	const char *j = "{\"type\":\"api_key\",\"key\":\"abc\"}";
	assert_int_equal(cred_from_text("openai", j, strlen(j), CRED_NONE, &c, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "too short for openai"));
	/* a provider of one's own: only a floor of 8 */
	assert_int_equal(cred_from_text("my-llm", "local-key", 9, CRED_NONE, &c, &e), 0);
	cJSON_Delete(c);
}

static void unknown_provider_gets_nearest_name(void **s)
{
	struct nv_err e = { 0 };
	(void)s;
	assert_int_equal(provider_known(NULL, "anthropc", &e), -EINVAL);
	assert_non_null(strstr(e.msg, "unknown provider \"anthropc\": did you mean anthropic?"));
	assert_int_equal(provider_known(NULL, "opnai", &e), -EINVAL);
	assert_non_null(strstr(e.msg, "did you mean openai?"));
	assert_int_equal(provider_known(NULL, "antrhopic", &e), -EINVAL); /* transposed */
	assert_non_null(strstr(e.msg, "did you mean anthropic?"));
	assert_int_equal(provider_known(NULL, "frobnicator", &e), -EINVAL);
	assert_non_null(strstr(e.msg, "use one of anthropic, openai"));
	assert_int_equal(provider_known(NULL, "xai", &e), 0);
	cJSON *cfg = J("{\"models\":{\"providers\":{\"anthropc\":{}}},"
		       "\"auth\":{\"profiles\":{\"my-llm:a\":{\"provider\":\"my-llm\"}}}}");
	assert_int_equal(provider_known(cfg, "anthropc", &e), 0);
	assert_int_equal(provider_known(cfg, "my-llm", &e), 0);
	cJSON_Delete(cfg);
}

static void new_profile_names_are_plain(void **s)
{
	struct nv_err e = { 0 };
	char id[PROFILE_ID_MAX + 1];
	(void)s;
	assert_int_equal(profile_name_new_check("me+work@example.com", &e), 0);
	assert_int_equal(profile_name_new_check("a.b_c-D9", &e), 0);
	static const char *const bad[] = { "my key", "caf\xc3\xa9", "a\x1b[2J", "x;rm", "..", "token", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(profile_name_new_check(bad[i], &e), -EINVAL);
	assert_int_equal(profile_id_new("anthropic:my key", NULL, id, NULL, &e), -EINVAL);
	assert_int_equal(profile_id_parse("anthropic:my key", NULL, id, NULL, &e), 0); /* an old store's name still reads */
}

static void json_credential_stored_as_is(void **s)
{
	const char *t = "{\"type\":\"oauth\",\"access\":\"acc-1\",\"refresh\":\"ref-1\",\"expires\":1900000000000}";
	cJSON *c;
	(void)s;
	assert_int_equal(cred_from_text("anthropic", t, strlen(t), CRED_NONE, &c, NULL), 0);
	assert_int_equal(cred_type_of(c), CRED_OAUTH);
	assert_string_equal(cred_provider(c), "anthropic");
	cJSON_Delete(c);
}

static void json_credential_validated(void **s)
{
	struct nv_err e = { 0 };
	cJSON *c;
	(void)s;
	const char *no_exp = "{\"type\":\"oauth\",\"access\":\"a\",\"refresh\":\"r\"}";
	assert_int_equal(cred_from_text("anthropic", no_exp, strlen(no_exp), CRED_NONE, &c, &e), -EINVAL);
	const char *bad_exp = "{\"type\":\"token\",\"token\":\"t\",\"expires\":-5}";
	assert_int_equal(cred_from_text("anthropic", bad_exp, strlen(bad_exp), CRED_NONE, &c, &e), -EINVAL);
	const char *huge_exp = "{\"type\":\"token\",\"token\":\"t\",\"expires\":8640000000000001}";
	assert_int_equal(cred_from_text("anthropic", huge_exp, strlen(huge_exp), CRED_NONE, &c, &e), -EINVAL);
	const char *other = "{\"type\":\"api_key\",\"key\":\"k\",\"provider\":\"openai\"}";
	assert_int_equal(cred_from_text("anthropic", other, strlen(other), CRED_NONE, &c, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "openai"));
	const char *bad_type = "{\"type\":\"password\",\"key\":\"k\"}";
	assert_int_equal(cred_from_text("anthropic", bad_type, strlen(bad_type), CRED_NONE, &c, &e), -EINVAL);
}

static void profile_ids_parse_and_refuse(void **s)
{
	char id[PROFILE_ID_MAX + 1], prov[65];
	struct nv_err e = { 0 };
	(void)s;
	assert_int_equal(profile_id_parse("openai-codex:me@example.com", NULL, id, prov, &e), 0);
	assert_string_equal(id, "openai-codex:me@example.com");
	assert_string_equal(prov, "openai-codex");
	assert_int_equal(profile_id_parse("work", "anthropic", id, NULL, &e), 0);
	assert_string_equal(id, "anthropic:work");
	assert_int_equal(profile_id_parse("z.ai:x", NULL, id, prov, &e), 0);
	assert_string_equal(prov, "zai");
	assert_int_equal(profile_id_parse("anthropic:a/b", NULL, id, NULL, &e), -EINVAL);
	assert_int_equal(profile_id_parse("anthropic:..", NULL, id, NULL, &e), -EINVAL);
	assert_int_equal(profile_id_parse("anthropic:status", NULL, id, NULL, &e), -EINVAL);
	assert_int_equal(profile_id_parse("anthropic:", NULL, id, NULL, &e), -EINVAL);
	assert_int_equal(profile_id_parse("bad provider:x", NULL, id, NULL, &e), -EINVAL);
	assert_int_equal(profile_id_parse("nocolon", NULL, id, NULL, &e), -EINVAL);
}

static void usable_rules(void **s)
{
	(void)s;
	cJSON *blank = J("{\"type\":\"api_key\",\"key\":\"\"}");
	cJSON *expired = J("{\"type\":\"token\",\"token\":\"t\",\"expires\":1000}");
	cJSON *oauth_none = J("{\"type\":\"oauth\",\"expires\":5000}");
	cJSON *oauth_refresh = J("{\"type\":\"oauth\",\"refresh\":\"r\",\"expires\":1000}");
	assert_false(cred_usable(blank, 2000));
	assert_false(cred_usable(expired, 2000));
	assert_true(cred_usable(expired, 500));
	assert_false(cred_usable(oauth_none, 2000));
	assert_true(cred_usable(oauth_refresh, 2000));
	cJSON_Delete(blank);
	cJSON_Delete(expired);
	cJSON_Delete(oauth_none);
	cJSON_Delete(oauth_refresh);
}

int main(void)
{
	secmem_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mask_hides_secrets_under_32_whole),
		cmocka_unit_test(mask_from_32_shows_first4_last4),
		cmocka_unit_test(mask_from_64_shows_first8_last8),
		cmocka_unit_test(secret_check_refuses_bad_input),
		cmocka_unit_test(trim_strips_both_ends),
		cmocka_unit_test(type_inferred_from_prefix),
		cmocka_unit_test(short_or_quoted_secrets_refused),
		cmocka_unit_test(unknown_provider_gets_nearest_name),
		cmocka_unit_test(new_profile_names_are_plain),
		cmocka_unit_test(json_credential_stored_as_is),
		cmocka_unit_test(json_credential_validated),
		cmocka_unit_test(profile_ids_parse_and_refuse),
		cmocka_unit_test(usable_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
