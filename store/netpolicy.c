/* The one check between a credential and the network. The URL is taken
 * apart by libcurl's own parser, the same one that will connect, so
 * what is checked is what would be reached (no "http://a@b" tricks). */
#include "store/netpolicy.h"
#include "store/curl_dl.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int net_host_is_loopback(const char *host)
{
	if (strcasecmp(host, "localhost") == 0) /* not "localhost.": that one is asked of DNS */
		return 1;
	unsigned char a[16];
	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] == 127;
	char v6[64];
	size_t n = strlen(host);
	if (n < 3 || n > sizeof(v6) || host[0] != '[' || host[n - 1] != ']')
		return 0;
	snprintf(v6, sizeof(v6), "%.*s", (int)(n - 2), host + 1);
	struct in6_addr in6;
	if (inet_pton(AF_INET6, v6, &in6) != 1)
		return 0;
	if (IN6_IS_ADDR_V4MAPPED(&in6))
		return in6.s6_addr[12] == 127;
	return IN6_IS_ADDR_LOOPBACK(&in6);
}

/* scheme and host of url, lower-cased by the parser; 0 or -EINVAL. */
static int url_parts(const char *url, char **scheme, char **host)
{
	CURLU *u = curl_url();
	*scheme = *host = NULL;
	int ok = u && curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
		 curl_url_get(u, CURLUPART_SCHEME, scheme, 0) == CURLUE_OK &&
		 curl_url_get(u, CURLUPART_HOST, host, 0) == CURLUE_OK;
	curl_url_cleanup(u);
	if (ok)
		return 0;
	curl_free(*scheme);
	curl_free(*host);
	*scheme = *host = NULL;
	return -EINVAL;
}

static int refuse(struct nv_err *err, const char *host, const char *scheme, const char *setting)
{
	char where[160] = "the config";
	if (setting)
		snprintf(where, sizeof(where), "%s in the config", setting);
	return nv_fail(err, EPERM, "refusing to send a credential to %.120s over %.16s: credentials go only over https "
		       "(plain http only to loopback); set an https:// address in %s", host, scheme, where);
}

void net_direct_unless_https(void *curl, const char *url)
{
	char *scheme, *host;
	int https = url_parts(url, &scheme, &host) == 0 && strcmp(scheme, "https") == 0;
	if (!https)
		curl_easy_setopt(curl, CURLOPT_PROXY, "");
	curl_free(scheme);
	curl_free(host);
}

int net_url_allowed(const char *url, const char *setting, struct nv_err *err)
{
	char *scheme, *host;
	int rc = net_init(err); /* the parser below is libcurl's */
	if (rc < 0)
		return rc;
	if (url_parts(url, &scheme, &host) < 0)
		return nv_fail(err, EINVAL, "not a usable URL%s%s: give a full https:// address",
			       setting ? " in " : "", setting ? setting : "");
	if (strcmp(scheme, "https") != 0 && !(strcmp(scheme, "http") == 0 && net_host_is_loopback(host)))
		rc = refuse(err, host, scheme, setting);
	curl_free(scheme);
	curl_free(host);
	return rc;
}
