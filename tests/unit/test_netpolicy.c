/* store/netpolicy: credentials only over https, plain http only to
 * loopback; the URL is judged by the parser that would connect. */
#include "unit.h"
#include "store/netpolicy.h"

static void https_anywhere_is_allowed(void **s)
{
	(void)s;
	assert_int_equal(net_url_allowed("https://api.anthropic.com", NULL, NULL), 0);
	assert_int_equal(net_url_allowed("https://10.0.0.1:8443/v1/models", NULL, NULL), 0);
	assert_int_equal(net_url_allowed("HTTPS://Example.COM/x", NULL, NULL), 0);
}

static void plain_http_to_loopback_is_allowed(void **s)
{
	(void)s;
	const char *ok[] = { "http://127.0.0.1:8080/v1", "http://127.5.6.7", "http://localhost:1455/cb",
			     "http://LOCALHOST", "http://[::1]:9/", "http://[::ffff:127.0.0.1]/", "http://127.1/" };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_int_equal(net_url_allowed(ok[i], NULL, NULL), 0);
}

static void plain_http_elsewhere_is_refused_naming_the_host(void **s)
{
	(void)s;
	struct nv_err e = { 0 };
	const char *bad[] = { "http://10.0.0.1", "http://api.anthropic.com/v1", "http://128.0.0.1",
			      "http://[::2]/", "http://localhost.evil.example/", "http://127.0.0.1.evil.example/",
			      "http://127.0.0.1@evil.example/", "ftp://127.0.0.1/", "ws://localhost/" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(net_url_allowed(bad[i], NULL, &e), -EPERM);
	assert_int_equal(net_url_allowed("http://evil.example:8080/x?key=1", "models.providers.x.baseUrl", &e), -EPERM);
	assert_non_null(strstr(e.msg, "refusing to send a credential to evil.example over http"));
	assert_non_null(strstr(e.msg, "models.providers.x.baseUrl"));
	assert_null(strstr(e.msg, "key=1"));
}

static void unparsable_url_is_refused(void **s)
{
	(void)s;
	struct nv_err e = { 0 };
	assert_int_equal(net_url_allowed("api.anthropic.com", NULL, &e), -EINVAL);
	assert_int_equal(net_url_allowed("", NULL, &e), -EINVAL);
	assert_int_equal(net_url_allowed("http://", NULL, &e), -EINVAL);
}

static void loopback_hosts(void **s)
{
	(void)s;
	assert_true(net_host_is_loopback("127.0.0.1"));
	assert_true(net_host_is_loopback("[::1]"));
	assert_false(net_host_is_loopback("::1x"));
	assert_false(net_host_is_loopback("[::]"));
	assert_false(net_host_is_loopback("0.0.0.0"));
	assert_false(net_host_is_loopback("localhostx"));
	assert_false(net_host_is_loopback("localhost."));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(https_anywhere_is_allowed),
		cmocka_unit_test(plain_http_to_loopback_is_allowed),
		cmocka_unit_test(plain_http_elsewhere_is_refused_naming_the_host),
		cmocka_unit_test(unparsable_url_is_refused),
		cmocka_unit_test(loopback_hosts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
