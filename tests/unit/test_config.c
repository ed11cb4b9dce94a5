/* store/config: parse errors name file, line and column; saving keeps
 * unknown keys. */
#include "unit.h"
#include "store/config.h"

#include <unistd.h>

static void parse_error_has_line_and_column(void **s)
{
	cJSON *out;
	struct nv_err e = { 0 };
	(void)s;
	const char *text = "{\n  \"agents\": {\n    \"default\": main\n  }\n}\n";
	assert_int_equal(json_parse_located("/etc/x.json", text, strlen(text), &out, &e), -EINVAL);
	assert_string_equal(e.msg, "/etc/x.json:3:16: invalid JSON: fix the file or move it aside");
}

static void truncated_config_points_at_its_end(void **s)
{
	cJSON *out;
	struct nv_err e = { 0 };
	(void)s;
	const char *text = "{\"a\": [1, 2";
	assert_int_equal(json_parse_located("c.json", text, strlen(text), &out, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "c.json:1:11:"));
}

static void save_keeps_unknown_keys(void **s)
{
	char dir[] = "/tmp/nv-cfg-XXXXXX", path[128];
	cJSON *cfg;
	(void)s;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/nova-engine.json", dir);
	FILE *f = fopen(path, "w");
	fputs("{\"gateway\":{\"port\":18789},\"auth\":{\"x-custom\":true}}", f);
	fclose(f);
	assert_int_equal(config_load(path, &cfg, NULL, NULL), 0);
	cJSON_AddStringToObject(config_obj(cfg, "auth.profiles.anthropic:a"), "mode", "token");
	assert_int_equal(config_save(path, cfg, NULL), 0);
	cJSON_Delete(cfg);
	assert_int_equal(config_load(path, &cfg, NULL, NULL), 0);
	assert_int_equal(config_int(cfg, "gateway.port", 0), 18789);
	assert_true(cJSON_IsTrue(config_get(cfg, "auth.x-custom")));
	assert_non_null(config_get(cfg, "auth.profiles"));
	cJSON_Delete(cfg);
	unlink(path);
	rmdir(dir);
}

static void missing_config_is_empty(void **s)
{
	cJSON *cfg;
	(void)s;
	assert_int_equal(config_load("/nonexistent/nova-engine.json", &cfg, NULL, NULL), 0);
	assert_true(cJSON_IsObject(cfg));
	cJSON_Delete(cfg);
}

static void non_object_refused(void **s)
{
	char dir[] = "/tmp/nv-cfg-XXXXXX", path[128];
	cJSON *cfg;
	struct nv_err e = { 0 };
	(void)s;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/c.json", dir);
	FILE *f = fopen(path, "w");
	fputs("[1,2]", f);
	fclose(f);
	assert_int_equal(config_load(path, &cfg, NULL, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "must be a JSON object"));
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	secmem_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_error_has_line_and_column),
		cmocka_unit_test(truncated_config_points_at_its_end),
		cmocka_unit_test(save_keeps_unknown_keys),
		cmocka_unit_test(missing_config_is_empty),
		cmocka_unit_test(non_object_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
