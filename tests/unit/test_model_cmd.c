/* store/model_cmd: every branch of the /model grammar. */
#include "unit.h"
#include "store/session.h"

static struct model_cmd parse_ok(const char *line)
{
	struct model_cmd c;
	struct nv_err e = { 0 };
	assert_int_equal(model_cmd_parse(line, &c, &e), 0);
	return c;
}

static void listing_forms(void **s)
{
	(void)s;
	assert_int_equal(parse_ok("/model").kind, MC_LIST);
	assert_int_equal(parse_ok("  /model list  ").kind, MC_LIST);
	assert_int_equal(parse_ok("/model ").kind, MC_LIST); /* found by fuzzing: ran past the line */
	assert_int_equal(parse_ok("/model status").kind, MC_STATUS);
	assert_int_equal(parse_ok("/new").kind, MC_NEW);
	assert_int_equal(parse_ok("/reset\n").kind, MC_RESET);
}

static void set_forms(void **s)
{
	(void)s;
	struct model_cmd c = parse_ok("/model opus");
	assert_int_equal(c.kind, MC_SET);
	assert_string_equal(c.model, "opus");
	assert_string_equal(c.profile, "");
	c = parse_ok("/model openai-codex/gpt-5@openai-codex:me@example.com");
	assert_string_equal(c.model, "openai-codex/gpt-5");
	assert_string_equal(c.profile, "openai-codex:me@example.com");
	c = parse_ok("opus@work");
	assert_string_equal(c.model, "opus");
	assert_string_equal(c.profile, "work");
}

static void refusals(void **s)
{
	struct model_cmd c;
	struct nv_err e = { 0 };
	(void)s;
	assert_int_equal(model_cmd_parse("/model @work", &c, &e), -EINVAL);
	assert_string_equal(e.msg, "Auth profile override requires a model selection.");
	assert_int_equal(model_cmd_parse("@work", &c, &e), -EINVAL);
	assert_string_equal(e.msg, "Auth profile override requires a model selection.");
	assert_int_equal(model_cmd_parse("/model opus@", &c, &e), -EINVAL);
	assert_int_equal(model_cmd_parse("/model a b", &c, &e), -EINVAL);
	assert_int_equal(model_cmd_parse("/models", &c, &e), -EINVAL);
	assert_int_equal(model_cmd_parse("/frob", &c, &e), -EINVAL);
	assert_int_equal(model_cmd_parse("", &c, &e), -EINVAL);
}

int main(void)
{
	secmem_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(listing_forms),
		cmocka_unit_test(set_forms),
		cmocka_unit_test(refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
