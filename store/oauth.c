/* Token refresh. The network call happens with the store's file lock held
 * (that is what makes it single-flight across processes) but without the
 * in-process cache mutex, so readers are never held up by a slow provider. */
#include "store/oauth.h"
#include "store/config.h"
#include "store/curl_dl.h"
#include "store/fixcmd.h"
#include "store/netpolicy.h"
#include "store/profile.h"
#include "store/secmem.h"
#include "store/timefmt.h"

#include <curl/curl.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OAUTH_TIMEOUT_MS 15000L
static _Thread_local long timeout_ms = OAUTH_TIMEOUT_MS;
static _Thread_local long retry_after_s; /* of this thread's last answer */

long oauth_retry_after_s(void)
{
	return retry_after_s;
}

void oauth_set_timeout_ms(long ms)
{
	timeout_ms = ms > 0 ? ms : OAUTH_TIMEOUT_MS;
}
#define ANSWER_CAP (64 * 1024)

static const struct {
	const char *provider, *token_url, *client_id, *authorize_url, *redirect_uri, *scope;
	int json_body;
} builtin[] = {
	{ "anthropic", "https://console.anthropic.com/v1/oauth/token", "9d1c250a-e61b-44d9-88ed-5944d1962f5e",
	  "https://claude.ai/oauth/authorize", "https://console.anthropic.com/oauth/code/callback",
	  "org:create_api_key user:profile user:inference", 1 },
	{ "openai-codex", "https://auth.openai.com/oauth/token", "app_EMoamEEZ73f0CkXaXp7hrann",
	  "https://auth.openai.com/oauth/authorize", "http://localhost:1455/auth/callback",
	  "openid profile email offline_access", 0 },
};

static void pick(char *out, size_t cap, const cJSON *o, const char *key, const char *dflt)
{
	const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
	snprintf(out, cap, "%s", v ? v : dflt ? dflt : "");
}

int oauth_endpoint_of(struct home *h, const char *provider, struct oauth_endpoint *ep, struct nv_err *err)
{
	size_t b = 0, nb = sizeof(builtin) / sizeof(builtin[0]);
	while (b < nb && strcmp(builtin[b].provider, provider) != 0)
		b++;
	int known = b < nb;
	struct config_snap *c = home_config_get(h);
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(config_get(c->json, "models.providers"), provider), "oauth");
	pick(ep->token_url, sizeof(ep->token_url), o, "tokenUrl", known ? builtin[b].token_url : NULL);
	pick(ep->client_id, sizeof(ep->client_id), o, "clientId", known ? builtin[b].client_id : NULL);
	pick(ep->authorize_url, sizeof(ep->authorize_url), o, "authorizeUrl", known ? builtin[b].authorize_url : NULL);
	pick(ep->redirect_uri, sizeof(ep->redirect_uri), o, "redirectUri", known ? builtin[b].redirect_uri : NULL);
	pick(ep->scope, sizeof(ep->scope), o, "scope", known ? builtin[b].scope : NULL);
	const char *fmt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "format"));
	ep->json_body = fmt ? strcmp(fmt, "json") == 0 : known ? builtin[b].json_body : 0;
	config_snap_put(c);
	snprintf(ep->token_setting, sizeof(ep->token_setting), "models.providers.%.64s.oauth.tokenUrl", provider);
	if (!ep->token_url[0])
		return nv_fail(err, ENOENT, "no OAuth token endpoint known for %s: set models.providers.%s.oauth.tokenUrl and clientId in the config",
			       provider, provider);
	return 0;
}

int oauth_due(const cJSON *cred, int64_t now)
{
	if (cred_type_of(cred) != CRED_OAUTH)
		return 0;
	int64_t exp = cred_expires(cred);
	const char *access = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cred, "access"));
	return !access || !*access || !exp || now >= exp - REFRESH_MARGIN_MS;
}

static size_t collect(char *data, size_t size, size_t nmemb, void *arg)
{
	struct { char *p; size_t len; } *b = arg;
	size_t n = size * nmemb;
	if (b->len + n > ANSWER_CAP)
		return 0;
	memcpy(b->p + b->len, data, n);
	b->len += n;
	return n;
}

/* The request body: JSON object or form fields, in wiping memory. */
static char *body_of(CURL *c, const struct oauth_endpoint *ep, const char *const *fields)
{
	if (ep->json_body) {
		cJSON *o = cJSON_CreateObject();
		for (const char *const *f = fields; f[0]; f += 2)
			cJSON_AddStringToObject(o, f[0], f[1]);
		char *t = cJSON_PrintUnformatted(o);
		cJSON_Delete(o);
		return t;
	}
	size_t cap = 1;
	for (const char *const *f = fields; f[0]; f += 2)
		cap += strlen(f[0]) + 3 * strlen(f[1]) + 2;
	char *out = secmem_alloc(cap);
	size_t len = 0;
	for (const char *const *f = fields; out && f[0]; f += 2) {
		char *v = curl_easy_escape(c, f[1], 0);
		len += (size_t)snprintf(out + len, cap - len, "%s%s=%s", len ? "&" : "", f[0], v ? v : "");
		if (v) {
			sodium_memzero(v, strlen(v));
			curl_free(v);
		}
	}
	return out;
}

int oauth_post(const struct oauth_endpoint *ep, const char *const *fields, long *http,
	       cJSON **out, struct nv_err *err)
{
	*out = NULL;
	retry_after_s = 0;
	if (net_init(err) < 0)
		return -ELIBACC;
	CURL *c = curl_easy_init();
	struct { char *p; size_t len; } b = { secmem_alloc(ANSWER_CAP + 1), 0 };
	struct curl_slist *h = NULL;
	char *body = c ? body_of(c, ep, fields) : NULL;
	int rc = 0;
	*out = NULL;
	if ((rc = net_url_allowed(ep->token_url, ep->token_setting, err)) < 0)
		goto done; /* before a byte is sent */
	if (!c || !b.p || !body) {
		rc = nv_fail(err, ENOMEM, "out of memory");
		goto done;
	}
	h = curl_slist_append(h, ep->json_body ? "Content-Type: application/json" : "Content-Type: application/x-www-form-urlencoded");
	h = curl_slist_append(h, "Accept: application/json");
	curl_easy_setopt(c, CURLOPT_URL, ep->token_url);
	net_direct_unless_https(c, ep->token_url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L); /* a redirect would carry the token elsewhere */
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	CURLcode cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, http);
	curl_off_t wait = 0; /* a 429 or 503 may say when to come back */
	retry_after_s = curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &wait) == CURLE_OK && wait > 0 ? (long)wait : 0;
	if (cc != CURLE_OK) {
		rc = nv_fail(err, cc == CURLE_OPERATION_TIMEDOUT ? ETIMEDOUT : EHOSTUNREACH,
			     "cannot reach the token endpoint %s: %s", ep->token_url, curl_easy_strerror(cc));
		goto done;
	}
	*out = cJSON_ParseWithLength(b.p, b.len);
	if (!*out)
		rc = nv_fail(err, EPROTO, "the token endpoint %s answered HTTP %ld without JSON", ep->token_url, *http);
done:
	curl_slist_free_all(h);
	if (ep->json_body)
		cJSON_free(body);
	else
		secmem_free(body);
	secmem_free(b.p);
	curl_easy_cleanup(c);
	return rc;
}

static void set_str(cJSON *o, const char *k, const char *v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, k);
	cJSON_AddStringToObject(o, k, v);
}

/* The email in an OpenID id_token (JWT payload), into out; 0 if none. */
static int id_token_email(const cJSON *answer, char *out, size_t cap)
{
	const char *jwt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(answer, "id_token"));
	const char *a = jwt ? strchr(jwt, '.') : NULL, *b = a ? strchr(a + 1, '.') : NULL;
	if (!b || (size_t)(b - a) > 8192)
		return 0;
	unsigned char payload[8192];
	size_t len = 0;
	if (sodium_base642bin(payload, sizeof(payload) - 1, a + 1, (size_t)(b - a - 1), NULL, &len, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return 0;
	cJSON *claims = cJSON_ParseWithLength((const char *)payload, len);
	const char *email = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(claims, "email"));
	if (email)
		snprintf(out, cap, "%s", email);
	cJSON_Delete(claims);
	return email != NULL;
}

cJSON *oauth_credential(const char *provider, const cJSON *answer, const char *client_id)
{
	const char *access = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(answer, "access_token"));
	const char *refresh = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(answer, "refresh_token"));
	const cJSON *ttl = cJSON_GetObjectItemCaseSensitive(answer, "expires_in");
	if (!access || secret_check(access, strlen(access), "access token", NULL) < 0)
		return NULL;
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "type", "oauth");
	cJSON_AddStringToObject(c, "provider", provider);
	cJSON_AddStringToObject(c, "access", access);
	if (refresh)
		cJSON_AddStringToObject(c, "refresh", refresh);
	double secs = cJSON_IsNumber(ttl) && ttl->valuedouble > 0 ? ttl->valuedouble : 3600;
	cJSON_AddNumberToObject(c, "expires", (double)now_ms() + secs * 1000.0);
	const cJSON *acct = cJSON_GetObjectItemCaseSensitive(answer, "account");
	const char *email = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(acct, "email_address"));
	if (!email)
		email = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(answer, "email"));
	char from_jwt[256];
	if (!email && id_token_email(answer, from_jwt, sizeof(from_jwt)))
		email = from_jwt;
	if (email)
		cJSON_AddStringToObject(c, "email", email);
	if (client_id && *client_id)
		cJSON_AddStringToObject(c, "clientId", client_id);
	return c;
}

/* Apply a refresh answer to cred in place (rotation: the old refresh dies). */
static int apply_answer(cJSON *cred, const cJSON *answer)
{
	cJSON *fresh = oauth_credential(cred_provider(cred), answer, NULL);
	if (!fresh)
		return -EPROTO;
	set_str(cred, "access", cJSON_GetStringValue(cJSON_GetObjectItem(fresh, "access")));
	const char *r = cJSON_GetStringValue(cJSON_GetObjectItem(fresh, "refresh"));
	if (r)
		set_str(cred, "refresh", r);
	cJSON_DeleteItemFromObjectCaseSensitive(cred, "expires");
	cJSON_AddNumberToObject(cred, "expires", cJSON_GetNumberValue(cJSON_GetObjectItem(fresh, "expires")));
	cJSON_Delete(fresh);
	return 0;
}

static cJSON *usage_of(cJSON *doc, const char *id)
{
	cJSON *stats = cJSON_GetObjectItemCaseSensitive(doc, "usageStats");
	if (!stats)
		stats = cJSON_AddObjectToObject(doc, "usageStats");
	cJSON *u = cJSON_GetObjectItemCaseSensitive(stats, id);
	return u ? u : cJSON_AddObjectToObject(stats, id);
}

static void mark_rejected(cJSON *doc, const char *id)
{
	cJSON *u = usage_of(doc, id);
	cJSON_DeleteItemFromObjectCaseSensitive(u, "disabledUntil");
	cJSON_AddNumberToObject(u, "disabledUntil", (double)EXPIRES_MAX);
	set_str(u, "disabledReason", "auth");
	set_str(u, "disabledMessage", "re-authentication required");
}

static void clear_rejected(cJSON *doc, const char *id)
{
	cJSON *u = usage_of(doc, id);
	const char *why = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(u, "disabledReason"));
	if (why && strcmp(why, "auth") == 0) {
		cJSON_DeleteItemFromObjectCaseSensitive(u, "disabledUntil");
		cJSON_DeleteItemFromObjectCaseSensitive(u, "disabledReason");
		cJSON_DeleteItemFromObjectCaseSensitive(u, "disabledMessage");
	}
}

/* The exchange itself, with the lock held and doc a private copy. seen
 * (ahead of time) is the expiry the caller saw: still the same means
 * nobody refreshed it meanwhile. */
static int refresh_locked(struct store *st, cJSON *doc, const char *id, int64_t seen, struct nv_err *err)
{
	cJSON *cred = doc_profile(doc, id);
	int ahead = seen && cred_type_of(cred) == CRED_OAUTH && cred_expires(cred) == seen;
	if (!oauth_due(cred, now_ms()) && !ahead)
		return 1; /* fresh already: another process refreshed it */
	const cJSON *u = doc_usage(doc, id);
	const char *why = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(u, "disabledReason"));
	const char *refresh = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cred, "refresh"));
	char fix[600];
	if ((why && strcmp(why, "auth") == 0) || !refresh || !*refresh)
		fixcmd_renew(store_home(st), store_agent(st), id, cred, fix, sizeof(fix));
	if (why && strcmp(why, "auth") == 0) /* its refresh token is dead: asking again is no use */
		return nv_fail(err, EKEYREJECTED, "auth profile \"%s\": re-authentication required; run `%s`", id, fix);
	if (!refresh || !*refresh)
		return nv_fail(err, EKEYEXPIRED, "auth profile \"%s\" has expired and holds no refresh token: log in again with `%s`", id, fix);
	struct oauth_endpoint ep;
	int rc = oauth_endpoint_of(store_home(st), cred_provider(cred), &ep, err);
	if (rc < 0)
		return rc;
	const char *cid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cred, "clientId"));
	const char *fields[] = { "grant_type", "refresh_token", "refresh_token", refresh,
				 "client_id", cid ? cid : ep.client_id, NULL, NULL };
	long http = 0;
	cJSON *answer;
	if ((rc = oauth_post(&ep, fields, &http, &answer, err)) < 0)
		return rc;
	const char *e = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(answer, "error"));
	int rejected = e && strcmp(e, "invalid_grant") == 0;
	if (rejected) {
		mark_rejected(doc, id);
		fixcmd_renew(store_home(st), store_agent(st), id, cred, fix, sizeof(fix));
		nv_fail(err, EKEYREJECTED, "auth profile \"%s\": re-authentication required (the provider revoked its refresh token); run `%s`",
			id, fix);
	} else if (http < 200 || http >= 300 || apply_answer(cred, answer) < 0) {
		rc = nv_fail(err, EPROTO, "the token endpoint refused to refresh \"%s\" (HTTP %ld%s%s)", id, http, e ? ", " : "", e ? e : "");
	} else {
		clear_rejected(doc, id);
	}
	cJSON_Delete(answer);
	return rc < 0 ? rc : rejected ? 2 : 0;
}

static _Atomic unsigned long refreshes;

unsigned long oauth_refresh_count(void)
{
	return refreshes;
}

int oauth_refresh(struct store *st, const char *id, struct nv_err *err)
{
	return oauth_refresh_ahead(st, id, 0, err);
}

int oauth_refresh_ahead(struct store *st, const char *id, int64_t seen_expires, struct nv_err *err)
{
	retry_after_s = 0; /* not an earlier call's, if this one posts nothing */
	int lock = store_lock(st, err);
	if (lock < 0)
		return lock;
	cJSON *doc;
	int rc = store_locked_copy(st, &doc, err);
	if (rc == 0)
		rc = refresh_locked(st, doc, id, seen_expires, err);
	if (rc == 0)
		refreshes++;
	if (rc == 0 || rc == 2) {
		int w = store_locked_write(st, doc, err);
		if (w == 0)
			doc = NULL;
		else
			rc = w;
	}
	cJSON_Delete(doc);
	store_unlock(st, lock);
	if (rc == 2)
		return -EKEYREJECTED; /* err says so, with the command */
	return rc < 0 ? rc : 0;
}
