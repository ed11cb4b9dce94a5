/* PKCE login. */
#include "store/login.h"
#include "store/curl_dl.h"
#include "store/netpolicy.h"
#include "store/secmem.h"

#include <curl/curl.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define B64URL sodium_base64_VARIANT_URLSAFE_NO_PADDING

static void random_b64(char *out, size_t cap, size_t bytes)
{
	unsigned char buf[32];
	randombytes_buf(buf, bytes);
	sodium_bin2base64(out, cap, buf, bytes, B64URL);
	sodium_memzero(buf, sizeof(buf));
}

static char *esc(const char *s)
{
	return curl_easy_escape(NULL, s, 0);
}

int login_begin(struct home *h, const char *provider, struct login *l, struct nv_err *err)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->provider, sizeof(l->provider), "%s", provider);
	int rc = oauth_endpoint_of(h, provider, &l->ep, err);
	if (rc < 0)
		return rc;
	if (!l->ep.authorize_url[0] || !l->ep.redirect_uri[0])
		return nv_fail(err, ENOENT, "no OAuth login known for %s: set models.providers.%s.oauth.authorizeUrl and redirectUri", provider, provider);
	if ((rc = net_url_allowed(l->ep.token_url, l->ep.token_setting, err)) < 0)
		return rc; /* before the user authorizes a code that could only go there */
	rc = net_init(err); /* curl_easy_escape below */
	if (rc < 0)
		return rc;
	random_b64(l->verifier, sizeof(l->verifier), 32);
	random_b64(l->state, sizeof(l->state), 24);
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, (const unsigned char *)l->verifier, strlen(l->verifier));
	sodium_bin2base64(l->challenge, sizeof(l->challenge), digest, sizeof(digest), B64URL);
	char *cid = esc(l->ep.client_id), *redir = esc(l->ep.redirect_uri), *scope = esc(l->ep.scope);
	snprintf(l->url, sizeof(l->url),
		 "%s%s%sclient_id=%s&response_type=code&redirect_uri=%s&scope=%s&code_challenge=%s&code_challenge_method=S256&state=%s",
		 l->ep.authorize_url, strchr(l->ep.authorize_url, '?') ? "&" : "?",
		 strcmp(provider, "anthropic") == 0 ? "code=true&" : "", /* Anthropic then shows the code to paste */
		 cid ? cid : "", redir ? redir : "",
		 scope ? scope : "", l->challenge, l->state);
	curl_free(cid);
	curl_free(redir);
	curl_free(scope);
	return 0;
}

/* The value of name in a query string (in place copy into out). */
static int query_value(const char *query, const char *name, char *out, size_t cap)
{
	size_t n = strlen(name);
	for (const char *p = query; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
		if (strncmp(p, name, n) == 0 && p[n] == '=') {
			size_t len = strcspn(p + n + 1, "&# \r\n");
			int outlen = 0;
			char *v = curl_easy_unescape(NULL, p + n + 1, (int)len, &outlen);
			if (!v)
				return 0;
			snprintf(out, cap, "%s", v);
			sodium_memzero(v, (size_t)outlen);
			curl_free(v);
			return 1;
		}
	}
	return 0;
}

int login_code_from_text(const struct login *l, const char *text, char *code, size_t cap, struct nv_err *err)
{
	char state[128] = "";
	const char *q = strchr(text, '?');
	if (q) {
		if (!query_value(q + 1, "code", code, cap)) {
			char why[256] = "";
			query_value(q + 1, "error", why, sizeof(why));
			return nv_fail(err, EACCES, "the redirect carries no code%s%s: authorize again", why[0] ? ": " : "", why);
		}
		query_value(q + 1, "state", state, sizeof(state));
	} else {
		size_t n = strcspn(text, "# \r\n");
		snprintf(code, cap, "%.*s", (int)n, text);
		if (text[n] == '#')
			snprintf(state, sizeof(state), "%.*s", (int)strcspn(text + n + 1, " \r\n"), text + n + 1);
	}
	if (!code[0] || secret_check(code, strlen(code), "authorization code", err) < 0)
		return nv_fail(err, EINVAL, "that is not an authorization code or redirect URL: paste the whole URL the browser went to");
	if (state[0] && strcmp(state, l->state) != 0)
		return nv_fail(err, EACCES, "the redirect belongs to another login attempt (state does not match): start again");
	return 0;
}

int login_finish(const struct login *l, const char *code, cJSON **cred, struct nv_err *err)
{
	const char *fields[] = { "grant_type", "authorization_code", "code", code, "redirect_uri", l->ep.redirect_uri,
				 "client_id", l->ep.client_id, "code_verifier", l->verifier, "state", l->state, NULL, NULL };
	long http = 0;
	cJSON *answer;
	int rc = oauth_post(&l->ep, fields, &http, &answer, err);
	if (rc < 0)
		return rc;
	char why[128] = ""; /* copied out: the answer is freed before the message is made */
	const char *e = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(answer, "error"));
	if (e)
		snprintf(why, sizeof(why), ", %s", e);
	*cred = http >= 200 && http < 300 ? oauth_credential(l->provider, answer, l->ep.client_id) : NULL;
	cJSON_Delete(answer);
	if (!*cred)
		return nv_fail(err, EACCES, "the provider refused the code (HTTP %ld%s): authorize again", http, why);
	return 0;
}

int login_loopback_port(const struct login *l)
{
	const char *u = l->ep.redirect_uri;
	const char *hosts[] = { "http://localhost:", "http://127.0.0.1:" };
	for (int i = 0; i < 2; i++)
		if (strncmp(u, hosts[i], strlen(hosts[i])) == 0)
			return atoi(u + strlen(hosts[i]));
	return 0;
}

void login_wipe(struct login *l)
{
	sodium_memzero(l, sizeof(*l));
}
