/* The etcd client's transport: endpoints, TLS, authentication and the one
 * request path every call takes. Failover is simple on purpose: start at
 * the member that answered last, try each once; a member that cannot be
 * reached or has no leader sends us to the next; an answer from etcd is
 * final. With username/password the token from /v3/auth/authenticate goes
 * in the Authorization header, and is fetched again when etcd says it is
 * no longer valid (tokens expire; a restarted member forgets them). */
#include "store/etcd_impl.h"
#include "store/curl_dl.h"
#include "store/netpolicy.h"
#include "store/secmem.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_MS 2000L
#define ANSWER_CAP (8L * 1024 * 1024)  /* a range over many agents' stores */

/* Why one attempt at one member failed, to pick the next step and the
 * final message. */
enum outcome { OK, UNREACHABLE, NO_QUORUM, TOKEN_STALE, FINAL };

static int add_endpoint(struct etcd *e, const char *s, size_t len, struct nv_err *err)
{
	while (len && isspace((unsigned char)*s))
		s++, len--;
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (!len)
		return 0;
	if (e->n == ETCD_MAX_ENDPOINTS)
		return nv_fail(err, EINVAL, "too many etcd endpoints (at most %d)", ETCD_MAX_ENDPOINTS);
	if (len >= ETCD_URL_MAX || (strncmp(s, "http://", 7) && strncmp(s, "https://", 8)))
		return nv_fail(err, EINVAL, "etcd endpoint '%.*s' is not an http:// or https:// URL (e.g. https://10.0.0.1:2379)",
			       (int)(len > 80 ? 80 : len), s);
	memcpy(e->endpoint[e->n], s, len);
	e->endpoint[e->n][len] = 0;
	while (len && e->endpoint[e->n][len - 1] == '/')
		e->endpoint[e->n][--len] = 0;
	e->n++;
	return 0;
}

static int copy_file_opt(char *dst, const char *src, const char *what, struct nv_err *err)
{
	if (!src || !*src)
		return 0;
	if (strlen(src) >= ETCD_PATH_MAX)
		return nv_fail(err, EINVAL, "store.etcd.%s is too long", what);
	if (access(src, R_OK) != 0)
		return nv_fail(err, EINVAL, "cannot read store.etcd.%s '%s': %s", what, src, strerror(errno));
	snprintf(dst, ETCD_PATH_MAX, "%s", src);
	return 0;
}

static int set_credentials(struct etcd *e, const struct etcd_opts *o, struct nv_err *err)
{
	if (!o->username || !*o->username)
		return 0;
	if (!o->password)
		return nv_fail(err, EINVAL, "store.etcd.username is set but no password: set store.etcd.passwordFile");
	for (size_t i = 0; i < e->n; i++) {
		int rc = net_url_allowed(e->endpoint[i], "store.etcd.endpoints", err);
		if (rc < 0)
			return rc;
	}
	e->username = secmem_strndup(o->username, strlen(o->username));
	e->password = secmem_strndup(o->password, strlen(o->password));
	return e->username && e->password ? 0 : nv_fail(err, ENOMEM, "out of memory");
}

static struct etcd *alloc_client(struct nv_err *err)
{
	struct etcd *e = calloc(1, sizeof(*e));
	if (!e) {
		nv_fail(err, ENOMEM, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&e->mu, NULL);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&e->share_mu[i], NULL);
	return e;
}

struct etcd *etcd_new(const struct etcd_opts *o, struct nv_err *err)
{
	struct etcd *e = alloc_client(err);
	if (!e)
		return NULL;
	e->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	const char *s = o->endpoints ? o->endpoints : "";
	int rc = 0;
	for (const char *c; !rc && (c = strchr(s, ',')); s = c + 1)
		rc = add_endpoint(e, s, (size_t)(c - s), err);
	if (!rc)
		rc = add_endpoint(e, s, strlen(s), err);
	if (!rc && !e->n)
		rc = nv_fail(err, EINVAL, "no etcd endpoints: set store.etcd.endpoints or NOVA_ENGINE_ETCD_ENDPOINTS");
	if (!rc)
		rc = copy_file_opt(e->ca, o->ca_file, "caFile", err);
	if (!rc)
		rc = copy_file_opt(e->cert, o->cert_file, "certFile", err);
	if (!rc)
		rc = copy_file_opt(e->key, o->key_file, "keyFile", err);
	if (!rc && !e->cert[0] != !e->key[0])
		rc = nv_fail(err, EINVAL, "store.etcd.certFile and keyFile go together: set both or neither");
	if (!rc)
		rc = set_credentials(e, o, err);
	if (rc) {
		etcd_free(e);
		return NULL;
	}
	return e;
}

void etcd_free(struct etcd *e)
{
	if (!e)
		return;
	secmem_free(e->username);
	secmem_free(e->password);
	sodium_memzero(e->token, sizeof(e->token));
	if (e->share)
		curl_share_cleanup(e->share);
	pthread_mutex_destroy(&e->mu);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&e->share_mu[i]);
	free(e);
}

size_t etcd_endpoint_count(const struct etcd *e)
{
	return e->n;
}

struct etcd *etcd_one(const struct etcd *e, size_t i, struct nv_err *err)
{
	struct etcd *one = alloc_client(err);
	if (!one)
		return NULL;
	memcpy(one->endpoint[0], e->endpoint[i], sizeof(one->endpoint[0]));
	one->n = 1;
	memcpy(one->ca, e->ca, sizeof(one->ca));
	memcpy(one->cert, e->cert, sizeof(one->cert));
	memcpy(one->key, e->key, sizeof(one->key));
	one->timeout_ms = e->timeout_ms;
	if (e->username && (!(one->username = secmem_strndup(e->username, strlen(e->username))) ||
			    !(one->password = secmem_strndup(e->password, strlen(e->password))))) {
		etcd_free(one);
		nv_fail(err, ENOMEM, "out of memory");
		return NULL;
	}
	return one;
}

void etcd_endpoint(struct etcd *e, char *out, size_t cap)
{
	pthread_mutex_lock(&e->mu);
	snprintf(out, cap, "%s", e->endpoint[e->cur]);
	pthread_mutex_unlock(&e->mu);
}

static void share_lock(CURL *c, curl_lock_data data, curl_lock_access access, void *arg)
{
	(void)c, (void)access;
	pthread_mutex_lock(&((struct etcd *)arg)->share_mu[data]);
}

static void share_unlock(CURL *c, curl_lock_data data, void *arg)
{
	(void)c;
	pthread_mutex_unlock(&((struct etcd *)arg)->share_mu[data]);
}

/* The client's connection cache, made on first use. Caller holds e->mu.
 * NULL (no sharing: a connection per request) if libcurl cannot make one. */
static CURLSH *share_of(struct etcd *e)
{
	if (e->share)
		return e->share;
	CURLSH *sh = curl_share_init();
	if (!sh)
		return NULL;
	if (curl_share_setopt(sh, CURLSHOPT_LOCKFUNC, share_lock) != CURLSHE_OK ||
	    curl_share_setopt(sh, CURLSHOPT_UNLOCKFUNC, share_unlock) != CURLSHE_OK ||
	    curl_share_setopt(sh, CURLSHOPT_USERDATA, e) != CURLSHE_OK ||
	    curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) != CURLSHE_OK ||
	    curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK) {
		curl_share_cleanup(sh);
		return NULL;
	}
	return e->share = sh;
}

CURL *etcd_curl(struct etcd *e, size_t i, const char *path, struct curl_slist **hdrs)
{
	if (net_init(NULL) < 0) /* said when the endpoints were checked */
		return NULL;
	CURL *c = curl_easy_init();
	if (!c)
		return NULL;
	char url[ETCD_URL_MAX + 64], auth[sizeof(e->token) + 32] = "";
	snprintf(url, sizeof(url), "%s%s", e->endpoint[i], path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	net_direct_unless_https(c, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L); /* never carry the auth token to a redirect */
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	if (e->ca[0])
		curl_easy_setopt(c, CURLOPT_CAINFO, e->ca);
	if (e->cert[0]) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, e->cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, e->key);
	}
	*hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	pthread_mutex_lock(&e->mu);
	if (e->token[0])
		snprintf(auth, sizeof(auth), "Authorization: %s", e->token);
	CURLSH *sh = share_of(e);
	pthread_mutex_unlock(&e->mu);
	if (sh)
		curl_easy_setopt(c, CURLOPT_SHARE, sh);
	if (auth[0])
		*hdrs = curl_slist_append(*hdrs, auth);
	sodium_memzero(auth, sizeof(auth));
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdrs);
	return c;
}

struct answer {
	char *p;
	size_t len, cap;
	int too_big;  /* over ANSWER_CAP: not a transport failure */
};

static size_t collect(char *data, size_t size, size_t nmemb, void *arg)
{
	struct answer *a = arg;
	size_t n = size * nmemb;
	if (a->len + n + 1 > a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 4096;
		while (cap < a->len + n + 1)
			cap *= 2;
		if (cap > (size_t)ANSWER_CAP) {
			a->too_big = 1;
			return 0;
		}
		char *p = secmem_alloc(cap);
		if (!p)
			return 0;
		if (a->len)
			memcpy(p, a->p, a->len);
		secmem_free(a->p);
		a->p = p;
		a->cap = cap;
	}
	memcpy(a->p + a->len, data, n);
	a->len += n;
	a->p[a->len] = 0;
	return n;
}

/* etcd's own words, printable only, for a message. */
static void etcd_words(const cJSON *ans, char *out, size_t cap)
{
	const char *m = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ans, "error"));
	snprintf(out, cap, "%s", m ? m : "an answer without an error text");
	for (char *p = out; *p; p++)
		if (!isprint((unsigned char)*p))
			*p = '?';
}

/* What an error answer means (gRPC code in "code", text in "error"). */
static enum outcome classify(const cJSON *ans, const char *path, const char *url, struct nv_err *err)
{
	char words[256];
	etcd_words(ans, words, sizeof(words));
	int code = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(ans, "code"));
	if (code == 14 || code == 4 || strstr(words, "no leader") || strstr(words, "timed out") ||
	    strstr(words, "leader changed") || strstr(words, "not capable"))
		return NO_QUORUM;
	if (strstr(words, "invalid auth token") || strstr(words, "auth: revision in header is old"))
		return TOKEN_STALE;
	if (strstr(words, "user name is empty"))
		nv_fail(err, EACCES, "etcd at %s requires authentication: set store.etcd.username and store.etcd.passwordFile", url);
	else if (strstr(words, "authentication failed"))
		nv_fail(err, EACCES, "etcd at %s refused the user name or password: check store.etcd.username and store.etcd.passwordFile", url);
	else if (strstr(words, "request is too large") || strstr(words, "message larger than max"))
		nv_fail(err, EFBIG, "etcd at %s refused %s: the store is larger than one etcd request may be (--max-request-bytes, "
			"1.5 MiB unless set): remove profiles the agent no longer needs, or raise that limit on every member",
			url, path);
	else if (code == 7 || strstr(words, "permission denied"))
		nv_fail(err, EACCES, "etcd at %s denied %s: the etcd user's role must grant readwrite on the store prefix (%s)", url, path, words);
	else if (code == 11 || strstr(words, "compacted"))
		nv_fail(err, EXDEV, "etcd at %s: %s", url, words);
	else if (code == 5)
		nv_fail(err, ENOENT, "etcd at %s: %s", url, words);
	else
		nv_fail(err, EPROTO, "etcd at %s refused %s: %s", url, path, words);
	return FINAL;
}

/* One POST of text to path on endpoint i. *ans gets the parsed answer on OK. */
static enum outcome attempt(struct etcd *e, size_t i, const char *path, const char *text, long timeout_ms, int wait,
			    cJSON **ans, struct nv_err *err)
{
	struct curl_slist *hdrs = NULL;
	struct answer a = { 0 };
	CURL *c = etcd_curl(e, i, path, &hdrs);
	if (!c)
		return nv_fail(err, ENOMEM, "out of memory"), FINAL;
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < e->timeout_ms ? timeout_ms : e->timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &a);
	CURLcode cc = curl_easy_perform(c);
	long http = 0, sent = 0;  /* a reused connection has no connect time: ask what was sent */
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &http);
	curl_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &sent);
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	enum outcome o = OK;
	*ans = NULL;
	if (cc == CURLE_OPERATION_TIMEDOUT && sent && !http) {
		/* a member that takes a request and never answers: no leader to commit it */
		o = wait ? FINAL : NO_QUORUM;
		if (wait)
			nv_fail(err, ETIMEDOUT, "etcd at %s did not answer %s within %ld ms", e->endpoint[i], path, timeout_ms);
		else
			nv_fail(err, EROFS, "etcd at %s took %s but did not commit it within %ld ms", e->endpoint[i], path, timeout_ms);
	} else if (a.too_big) {
		o = FINAL;
		nv_fail(err, EFBIG, "etcd at %s answered %s with more than %ld MiB", e->endpoint[i], path,
			ANSWER_CAP >> 20);
	} else if (cc != CURLE_OK) {
		o = UNREACHABLE;
		nv_fail(err, EHOSTUNREACH, "%s: %s", e->endpoint[i], curl_easy_strerror(cc));
	} else if (!(*ans = cJSON_ParseWithLength(a.p ? a.p : "", a.len))) {
		o = FINAL;
		if (a.p && strstr(a.p, "CommonName"))
			nv_fail(err, EACCES, "etcd at %s refuses a client certificate with a Common Name on its JSON gateway "
				"when authentication is on: issue store.etcd.certFile without a CN", e->endpoint[i]);
		else
				nv_fail(err, EPROTO, "%s answered %s with HTTP %ld and no JSON: is it an etcd v3 client URL?",
				e->endpoint[i], path, http);
	} else if (http != 200) {
		o = classify(*ans, path, e->endpoint[i], err);
		if (o == NO_QUORUM)
			nv_fail(err, EROFS, "etcd at %s has no leader", e->endpoint[i]);
		cJSON_Delete(*ans);
		*ans = NULL;
	}
	secmem_free(a.p);
	return o;
}

/* Get a fresh token from endpoint i. */
static enum outcome authenticate(struct etcd *e, size_t i, struct nv_err *err)
{
	cJSON *body = cJSON_CreateObject(), *ans = NULL;
	cJSON_AddStringToObject(body, "name", e->username);
	cJSON_AddStringToObject(body, "password", e->password);
	char *text = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	pthread_mutex_lock(&e->mu);
	e->token[0] = 0;
	pthread_mutex_unlock(&e->mu);
	enum outcome o = text ? attempt(e, i, "/v3/auth/authenticate", text, e->timeout_ms, 0, &ans, err) : FINAL;
	cJSON_free(text);
	const char *tok = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ans, "token"));
	if (o == OK && (!tok || strlen(tok) >= sizeof(e->token))) {
		o = FINAL;
		nv_fail(err, EPROTO, "etcd at %s answered the authentication without a usable token", e->endpoint[i]);
	} else if (o == OK) {
		pthread_mutex_lock(&e->mu);
		snprintf(e->token, sizeof(e->token), "%s", tok);
		pthread_mutex_unlock(&e->mu);
	}
	cJSON_Delete(ans);
	return o;
}

static enum outcome attempt_authed(struct etcd *e, size_t i, const char *path, const char *text, long timeout_ms,
				   int wait, cJSON **ans, struct nv_err *err)
{
	pthread_mutex_lock(&e->mu);
	int need = e->username && !e->token[0];
	pthread_mutex_unlock(&e->mu);
	enum outcome o = need ? authenticate(e, i, err) : OK;
	if (o == OK)
		o = attempt(e, i, path, text, timeout_ms, wait, ans, err);
	if (o == TOKEN_STALE && e->username && (o = authenticate(e, i, err)) == OK)
		o = attempt(e, i, path, text, timeout_ms, wait, ans, err);
	if (o == TOKEN_STALE)
		nv_fail(err, EACCES, "etcd at %s does not accept our token: set store.etcd.username and passwordFile", e->endpoint[i]);
	return o == TOKEN_STALE ? FINAL : o;
}

/* The message when every member failed. */
static int all_failed(struct etcd *e, int no_quorum, const char *path, const struct nv_err *last, struct nv_err *err)
{
	char list[ETCD_MAX_ENDPOINTS * 64] = "";
	size_t len = 0;
	for (size_t i = 0; i < e->n && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "", e->endpoint[i]);
	/* a member without quorum may hold a write it took and commit it once
	 * its peers return: say so rather than promise it is gone */
	const char *maybe = strcmp(path, "/v3/kv/txn") ? "" : "; the change was not confirmed and may still apply when the cluster is back";
	if (no_quorum)
		return nv_fail(err, EROFS, "etcd has no quorum (tried %s; last: %s)%s: the store is read-only until a majority of members is back",
			       list, last->msg, maybe);
	return nv_fail(err, EHOSTUNREACH, "etcd unreachable for %s: no endpoint answered (%s; last: %s)", path, list, last->msg);
}

int etcd_call(struct etcd *e, const char *path, const cJSON *body, long timeout_ms, int wait, cJSON **out,
	      struct nv_err *err)
{
	char *text = cJSON_PrintUnformatted(body);
	if (!text)
		return nv_fail(err, ENOMEM, "out of memory");
	pthread_mutex_lock(&e->mu);
	size_t start = e->cur;
	pthread_mutex_unlock(&e->mu);
	struct nv_err last = { 0 };
	int no_quorum = 0, rc = 1;
	*out = NULL;
	for (size_t k = 0; k < e->n && rc > 0; k++) {
		size_t i = (start + k) % e->n;
		enum outcome o = attempt_authed(e, i, path, text, timeout_ms ? timeout_ms : e->timeout_ms, wait, out, &last);
		if (o == OK || o == FINAL) {
			rc = o == OK ? 0 : -last.code;
			pthread_mutex_lock(&e->mu);
			e->cur = i;
			pthread_mutex_unlock(&e->mu);
		}
		no_quorum |= o == NO_QUORUM;
	}
	cJSON_free(text);
	if (rc > 0)
		return all_failed(e, no_quorum, path, &last, err);
	if (rc < 0 && err)
		*err = last;
	return rc;
}

/* --- JSON helpers the calls share --- */

int etcd_put_b64(cJSON *o, const char *name, const void *p, size_t n)
{
	size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	char *b = secmem_alloc(cap);
	if (!b)
		return -ENOMEM;
	sodium_bin2base64(b, cap, p, n, sodium_base64_VARIANT_ORIGINAL);
	cJSON *s = cJSON_AddStringToObject(o, name, b);
	secmem_free(b);
	return s ? 0 : -ENOMEM;
}

char *etcd_get_b64(const cJSON *o, const char *name, size_t *len)
{
	const char *b = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
	*len = 0;
	if (!b)
		return NULL;
	size_t blen = strlen(b);
	char *p = secmem_alloc(blen + 1);
	if (p && sodium_base642bin((unsigned char *)p, blen, b, blen, NULL, len, NULL,
				   sodium_base64_VARIANT_ORIGINAL) != 0) {
		secmem_free(p);
		return NULL;
	}
	if (p)
		p[*len] = 0;
	return p;
}

int64_t etcd_i64(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	if (cJSON_IsString(v))
		return strtoll(v->valuestring, NULL, 10);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

void etcd_put_i64(cJSON *o, const char *name, int64_t v)
{
	char s[24];
	snprintf(s, sizeof(s), "%lld", (long long)v);
	cJSON_AddStringToObject(o, name, s);
}

int etcd_kv_from(const cJSON *o, struct etcd_kv *kv)
{
	memset(kv, 0, sizeof(*kv));
	kv->mod_revision = etcd_i64(o, "mod_revision");
	kv->create_revision = etcd_i64(o, "create_revision");
	kv->version = etcd_i64(o, "version");
	kv->value = etcd_get_b64(o, "value", &kv->len);
	if (!kv->value && kv->mod_revision)
		kv->value = secmem_strndup("", 0);  /* an empty value is omitted from the JSON */
	return kv->value || !kv->mod_revision ? 0 : -ENOMEM;
}

void etcd_kv_clear(struct etcd_kv *kv)
{
	secmem_free(kv->value);
	memset(kv, 0, sizeof(*kv));
}

void etcd_prefix_end(const char *prefix, char *out, size_t cap)
{
	snprintf(out, cap, "%s", prefix);
	size_t n = strlen(out);
	while (n && (unsigned char)out[n - 1] == 0xff)
		out[--n] = 0;
	if (n)
		out[n - 1]++;
}
