/* SPEC 8's result buckets, from an HTTP answer or a transfer failure. A
 * network failure is never a verdict on the credential. Provider messages
 * are shown (they tell what to do) but never with the secret in them. */
#include "store/probe.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *find_message(const cJSON *body)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(body, "error");
	const char *m = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "message"));
	if (!m)
		m = cJSON_GetStringValue(e);
	if (!m)
		m = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "message"));
	return m;
}

/* Copy msg into out, one line, at most 300 bytes, the secret masked. */
static void clean_message(const char *msg, const char *secret, char *out, size_t cap)
{
	char mask[MASK_MAX];
	secret_mask(secret, mask);
	size_t sl = secret ? strlen(secret) : 0, o = 0;
	for (const char *p = msg; *p && o + MASK_MAX < cap && o < 300;) {
		if (sl >= 8 && strncmp(p, secret, sl) == 0) {
			o += (size_t)snprintf(out + o, cap - o, "%s", mask);
			p += sl;
			continue;
		}
		out[o++] = (*p == '\n' || *p == '\r' || *p == '\t') ? ' ' : *p;
		p++;
	}
	out[o] = '\0';
}

static void usage_fields(cJSON *r, const cJSON *body)
{
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(body, "data");
	static const char *const keys[] = { "usage", "limit", "limit_remaining", "label", "is_free_tier" };
	for (int i = 0; i < 5; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(data, keys[i]);
		if (v)
			cJSON_AddItemToObject(r, keys[i], cJSON_Duplicate(v, 1));
	}
}

static const char *bucket_of(const char *provider, long http, const char *text)
{
	int quota = text && strstr(text, "insufficient_quota");
	if (http >= 200 && http < 300)
		return "ok";
	if (http == 401)
		return "auth";
	if (http == 402 || quota)
		return "billing";
	if (http == 403)
		return "forbidden";
	if (http == 429)
		return "rate_limit";
	if (http == 529 || (http >= 500 && http < 600))
		return "overloaded";
	if (http == 400 && strcmp(provider, "anthropic") == 0 && text &&
	    strstr(text, "only authorized for use with Claude Code"))
		return "restricted";
	if (http == 400 && strcmp(provider, "google") == 0 && text && strstr(text, "API_KEY_INVALID"))
		return "auth";
	return "unknown";
}

static const char *advice_for(const char *bucket)
{
	static const struct { const char *bucket, *advice; } table[] = {
		{ "auth", "the provider rejected this credential: store a new one" },
		{ "forbidden", "the credential is valid but not allowed here: check its permissions or organisation" },
		{ "billing", "out of credit or quota: add billing or raise the limit with the provider" },
		{ "rate_limit", "rate limited: wait for retry-after, or put another profile first" },
		{ "overloaded", "the provider is overloaded or failing: try again later (the credential was not judged)" },
		{ "restricted", "this token works only inside Claude Code: use an Anthropic API key (sk-ant-api...) for the gateway" },
		{ "timeout", "no answer in time: the credential was not judged" },
		{ "unreachable", "could not reach the provider (DNS, connect or TLS): the credential was not judged" },
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].bucket, bucket) == 0)
			return table[i].advice;
	return NULL;
}

static const char *network_bucket(int code)
{
	switch (code) {
	case CURLE_OPERATION_TIMEDOUT:
		return "timeout";
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return "unreachable";
	default:
		return "unknown";
	}
}

void probe_classify(cJSON *r, const char *provider, int curl_code, long http,
		    const char *body, size_t len, const char *secret)
{
	const char *bucket;
	char msg[400] = "";
	if (curl_code) {
		bucket = network_bucket(curl_code);
		snprintf(msg, sizeof(msg), "%s", curl_easy_strerror((CURLcode)curl_code));
	} else {
		char *text = body ? strndup(body, len) : NULL;
		cJSON *json = text ? cJSON_Parse(text) : NULL;
		bucket = bucket_of(provider, http, text);
		const char *m = find_message(json);
		if (m)
			clean_message(m, secret, msg, sizeof(msg));
		else if (!(http >= 200 && http < 300) && text && len)
			clean_message(text, secret, msg, sizeof(msg));
		if (strcmp(provider, "openrouter") == 0)
			usage_fields(r, json);
		cJSON_AddNumberToObject(r, "http", (double)http);
		cJSON_Delete(json);
		free(text);
	}
	cJSON_AddStringToObject(r, "result", bucket);
	if (msg[0])
		cJSON_AddStringToObject(r, "message", msg);
	const char *advice = advice_for(bucket);
	if (advice)
		cJSON_AddStringToObject(r, "advice", advice);
}
