/* store/vis: control bytes made visible for terminals. */
#include "unit.h"
#include "store/vis.h"

static void check(const char *in, const char *want)
{
	char *got = vis_dup(in);
	assert_non_null(got);
	assert_string_equal(got, want);
	assert_int_equal(vis_needed(in), strcmp(in, want) != 0);
	secmem_free(got);
}

static void c0_and_del_shown_as_escapes(void **s)
{
	(void)s;
	check("\x1b]0;PWNED\a\x1b[2J", "\\x1b]0;PWNED\\a\\x1b[2J");
	check("a\tb\nc\rd\b\v\f", "a\\tb\\nc\\rd\\b\\v\\f");
	check("x\x01\x7fy", "x\\x01\\x7fy");
}

static void c1_bidi_and_invalid_utf8_shown(void **s)
{
	(void)s;
	check("\xc2\x9b" "31m", "\\u009b31m");        /* U+009B CSI */
	check("\xe2\x80\xae" "gnp.exe", "\\u202egnp.exe"); /* right-to-left override */
	check("\x9b" "2J", "\\x9b2J");                  /* a lone C1 byte */
	check("\xc0\xaf", "\\xc0\\xaf");                /* overlong '/' */
	check("\xed\xa0\x80", "\\xed\\xa0\\x80");       /* a surrogate */
	check("caf\xc3", "caf\\xc3");                   /* cut short */
}

static void printable_text_unchanged(void **s)
{
	(void)s;
	check("me@example.com", "me@example.com");
	check("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91");
	check("back\\slash", "back\\slash");
	check("", "");
}

static void lines_keep_their_breaks(void **s)
{
	struct out o = { 0 };
	(void)s;
	assert_int_equal(vis_put_lines(&o, "one\x1b[2J\ntwo\n"), 0);
	assert_string_equal(o.p, "one\\x1b[2J\ntwo\n");
	out_free(&o);
}

static void json_tree_in_place_and_json_text(void **s)
{
	(void)s;
	cJSON *v = J("{\"k\\u001b\": [\"a\\u0007\", {\"m\": \"\\u009b\"}], \"n\": 1}");
	char *t = vis_json_print(v, 0);
	/* JSON keeps every value: C0 escaped by cJSON, C1 and DEL by us */
	assert_string_equal(t, "{\"k\\u001b\":[\"a\\u0007\",{\"m\":\"\\u009b\"}],\"n\":1}");
	cJSON *back = cJSON_Parse(t);
	assert_true(cJSON_Compare(back, v, 1));
	cJSON_Delete(back);
	cJSON_free(t);
	assert_int_equal(vis_json(v), 0);
	const cJSON *arr = cJSON_GetObjectItem(v, "k\\x1b");
	assert_non_null(arr);
	assert_string_equal(cJSON_GetArrayItem(arr, 0)->valuestring, "a\\a");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 1), "m")->valuestring, "\\u009b");
	cJSON_Delete(v);
}

int main(void)
{
	secmem_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(c0_and_del_shown_as_escapes),
		cmocka_unit_test(c1_bidi_and_invalid_utf8_shown),
		cmocka_unit_test(printable_text_unchanged),
		cmocka_unit_test(lines_keep_their_breaks),
		cmocka_unit_test(json_tree_in_place_and_json_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
