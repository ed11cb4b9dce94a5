/* store/env: .env syntax, precedence, env credentials. */
#include "unit.h"
#include "store/env.h"

#include <stdlib.h>
#include <unistd.h>

static void collect(const char *k, const char *v, void *arg)
{
	cJSON_AddStringToObject(arg, k, v);
}

static void dotenv_syntax(void **s)
{
	(void)s;
	const char *text = "# comment\n\nexport A=1\nB = two words \nC=\"quoted # not comment\"\nD='single'\nE=x # trailing\n";
	cJSON *got = cJSON_CreateObject();
	assert_int_equal(dotenv_parse(".env", text, strlen(text), collect, got, NULL), 0);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(got, "A")), "1");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(got, "B")), "two words");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(got, "C")), "quoted # not comment");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(got, "D")), "single");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(got, "E")), "x");
	cJSON_Delete(got);
}

static void dotenv_bad_line_named_and_nothing_applied(void **s)
{
	(void)s;
	struct nv_err e = { 0 };
	const char *text = "GOOD=1\nthis is not an assignment\n";
	cJSON *got = cJSON_CreateObject();
	assert_int_equal(dotenv_parse("/s/.env", text, strlen(text), collect, got, &e), -EINVAL);
	assert_string_equal(e.msg, "/s/.env:2: expected KEY=value");
	assert_int_equal(cJSON_GetArraySize(got), 0);
	assert_int_equal(dotenv_parse("/s/.env", "X=\"open\n", 8, collect, got, &e), -EINVAL);
	assert_int_equal(dotenv_parse("/s/.env", "1X=a\n", 5, collect, got, &e), -EINVAL);
	cJSON_Delete(got);
}

static void process_env_wins_over_files_and_config(void **s)
{
	(void)s;
	char dir[] = "/tmp/nv-env-XXXXXX", path[128];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/.env", dir);
	FILE *f = fopen(path, "w");
	fputs("NV_T_A=from-state\nNV_T_B=from-state\n", f);
	fclose(f);
	setenv("NV_T_A", "from-process", 1);
	unsetenv("NV_T_B");
	unsetenv("NV_T_C");
	cJSON *cfg = J("{\"env\":{\"vars\":{\"NV_T_B\":\"from-config\",\"NV_T_C\":\"from-config\"}}}");
	assert_int_equal(env_load(NULL, dir, cfg, NULL), 0);
	assert_string_equal(getenv("NV_T_A"), "from-process");
	assert_string_equal(getenv("NV_T_B"), "from-state");
	assert_string_equal(getenv("NV_T_C"), "from-config");
	cJSON_Delete(cfg);
	unlink(path);
	rmdir(dir);
}

static const char *cred(const char *provider, const char **var)
{
	static char buf[256];
	return env_credential_copy(provider, buf, sizeof(buf), var, NULL) > 0 ? buf : NULL;
}

static void env_credentials_first_found_wins(void **s)
{
	(void)s;
	const char *var;
	setenv("ANTHROPIC_API_KEY", "sk-test-key", 1);
	unsetenv("ANTHROPIC_OAUTH_TOKEN");
	assert_string_equal(cred("anthropic", &var), "sk-test-key");
	assert_string_equal(var, "ANTHROPIC_API_KEY");
	setenv("ANTHROPIC_OAUTH_TOKEN", "oauth-test", 1);
	assert_string_equal(cred("anthropic", &var), "oauth-test");
	setenv("MY_PROV_X_API_KEY", "k", 1);
	assert_string_equal(cred("my-prov.x", &var), "k");
	assert_string_equal(var, "MY_PROV_X_API_KEY");
	unsetenv("GEMINI_API_KEY");
	setenv("GOOGLE_API_KEY", "g", 1);
	assert_string_equal(cred("google", &var), "g");
}

static void reload_changes_and_drops_file_values_but_not_the_process_env(void **s)
{
	(void)s;
	char dir[] = "/tmp/nv-env-XXXXXX", path[128];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/.env", dir);
	cJSON *cfg = J("{}");
	setenv("NV_R_PROC", "from-process", 1);
	FILE *f = fopen(path, "w");
	fputs("NV_R_FILE=one\nNV_R_PROC=from-file\nNV_R_GONE=x\n", f);
	fclose(f);
	assert_int_equal(env_load(NULL, dir, cfg, NULL), 0);
	assert_string_equal(getenv("NV_R_FILE"), "one");
	f = fopen(path, "w");
	fputs("NV_R_FILE=two\nNV_R_PROC=from-file\n", f);
	fclose(f);
	assert_int_equal(env_load(NULL, dir, cfg, NULL), 0);
	assert_string_equal(getenv("NV_R_FILE"), "two");
	assert_null(getenv("NV_R_GONE"));
	assert_string_equal(getenv("NV_R_PROC"), "from-process");
	cJSON_Delete(cfg);
	unlink(path);
	rmdir(dir);
}

static void credential_vars_are_the_spec_names(void **s)
{
	(void)s;
	cJSON *cfg = J("{\"models\":{\"providers\":{\"my-corp.ai\":{}}}}");
	const char *yes[] = { "ANTHROPIC_OAUTH_TOKEN", "ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY",
			      "GOOGLE_API_KEY", "OPENROUTER_API_KEY", "GROQ_API_KEY", "MY_CORP_AI_API_KEY" };
	const char *no[] = { "NOVA_ENGINE_CONFIG_PATH", "NOVA_ENGINE_KEY_FILE", "SHELL", "PATH", "HOME",
			     "OTHER_API_KEY", "ANTHROPIC_BASE_URL", "anthropic_api_key" };
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(env_credential_var(yes[i], cfg));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(env_credential_var(no[i], cfg));
	cJSON_Delete(cfg);
}

static void cwd_dotenv_gives_only_credentials(void **s)
{
	(void)s;
	char dir[] = "/tmp/nv-env-XXXXXX", cwd_env[128];
	assert_non_null(mkdtemp(dir));
	snprintf(cwd_env, sizeof(cwd_env), "%s/cwd.env", dir);
	FILE *f = fopen(cwd_env, "w");
	fputs("NOVA_ENGINE_CONFIG_PATH=/tmp/evil.json\nXAI_API_KEY=xai-test-cwd\nNV_U_OTHER=x\n", f);
	fclose(f);
	unsetenv("NOVA_ENGINE_CONFIG_PATH");
	unsetenv("XAI_API_KEY");
	unsetenv("NV_U_OTHER");
	cJSON *cfg = J("{}");
	assert_int_equal(env_load(cwd_env, dir, cfg, NULL), 0);
	assert_null(getenv("NOVA_ENGINE_CONFIG_PATH"));
	assert_null(getenv("NV_U_OTHER"));
	assert_string_equal(getenv("XAI_API_KEY"), "xai-test-cwd");
	cJSON_Delete(cfg);
	unlink(cwd_env);
	rmdir(dir);
}

static void state_dotenv_cannot_move_the_state_dir(void **s)
{
	(void)s;
	char dir[] = "/tmp/nv-env-XXXXXX", path[128];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/.env", dir);
	FILE *f = fopen(path, "w");
	fputs("NOVA_ENGINE_STATE_DIR=/tmp/elsewhere\nNV_S_OK=yes\n", f);
	fclose(f);
	unsetenv("NOVA_ENGINE_STATE_DIR");
	cJSON *cfg = J("{\"env\":{\"vars\":{\"NOVA_ENGINE_STATE_DIR\":\"/tmp/elsewhere2\"}}}");
	assert_int_equal(env_load(NULL, dir, cfg, NULL), 0);
	assert_null(getenv("NOVA_ENGINE_STATE_DIR"));
	assert_string_equal(getenv("NV_S_OK"), "yes");
	cJSON_Delete(cfg);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	secmem_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dotenv_syntax),
		cmocka_unit_test(dotenv_bad_line_named_and_nothing_applied),
		cmocka_unit_test(process_env_wins_over_files_and_config),
		cmocka_unit_test(env_credentials_first_found_wins),
		cmocka_unit_test(reload_changes_and_drops_file_values_but_not_the_process_env),
		cmocka_unit_test(credential_vars_are_the_spec_names),
		cmocka_unit_test(cwd_dotenv_gives_only_credentials),
		cmocka_unit_test(state_dotenv_cannot_move_the_state_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

