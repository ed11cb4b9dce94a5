/* Credential types and their rules (SPEC 2). */
#include "store/profile.h"
#include "store/verdict.h"
#include "store/provider.h"
#include "store/secmem.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const type_names[] = { "api_key", "token", "oauth" };

enum cred_type cred_type_parse(const char *s)
{
	for (int i = 0; s && i < 3; i++)
		if (strcmp(s, type_names[i]) == 0)
			return (enum cred_type)i;
	return CRED_NONE;
}

const char *cred_type_name(enum cred_type t)
{
	return t >= 0 && t <= CRED_OAUTH ? type_names[t] : "unknown";
}

enum cred_type cred_type_of(const cJSON *cred)
{
	return cred_type_parse(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cred, "type")));
}

static const char *str_field(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
	return s && *s ? s : NULL;
}

const char *cred_provider(const cJSON *cred) { return str_field(cred, "provider"); }

const char *cred_email(const cJSON *cred)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cred, "email"));
}

int cred_set_expires(cJSON *cred, int64_t expires_ms)
{
	return cJSON_AddNumberToObject(cred, "expires", (double)expires_ms) ? 0 : -ENOMEM;
}

const char *cred_secret(const cJSON *cred)
{
	switch (cred_type_of(cred)) {
	case CRED_API_KEY: return str_field(cred, "key");
	case CRED_TOKEN: return str_field(cred, "token");
	case CRED_OAUTH: return str_field(cred, "access");
	default: return NULL;
	}
}

static int expires_valid(double v)
{
	return isfinite(v) && v > 0 && v <= (double)EXPIRES_MAX;
}

int64_t cred_expires(const cJSON *cred)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(cred, "expires");
	if (!cJSON_IsNumber(e) || !expires_valid(e->valuedouble))
		return 0;
	return (int64_t)e->valuedouble;
}

int cred_usable(const cJSON *cred, int64_t now_ms)
{
	return cred_problem(cred, now_ms) == USABLE;
}

size_t secret_trim(char *s, size_t len)
{
	size_t a = 0;
	while (a < len && (s[a] == ' ' || s[a] == '\t' || s[a] == '\n' || s[a] == '\r'))
		a++;
	while (len > a && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	memmove(s, s + a, len - a);
	s[len - a] = '\0';
	return len - a;
}

int secret_check(const char *s, size_t len, const char *what, struct nv_err *err)
{
	if (len == 0)
		return nv_fail(err, EINVAL, "%s is empty: paste the whole value", what);
	if (len > SECRET_MAX)
		return nv_fail(err, EINVAL, "%s is too long (%zu bytes, at most %d)", what, len, SECRET_MAX);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0)
			return nv_fail(err, EINVAL, "%s contains a NUL byte at offset %zu", what, i);
		if (c == ' ' || c == '\t')
			return nv_fail(err, EINVAL, "%s contains white space at offset %zu: paste it on one line", what, i);
		if (c == '\n' || c == '\r')
			return nv_fail(err, EINVAL, "%s has a second line (a line break at offset %zu): give one value "
				       "on one line", what, i);
		if (c < 0x20 || c >= 0x7f)
			return nv_fail(err, EINVAL, "%s contains a control or non-ASCII byte at offset %zu", what, i);
	}
	return 0;
}

/* SPEC 12: never more than a quarter of a secret. The ends shown count
 * as revealed, known prefix or not (an "sk-ant-" start is only kept when
 * it fits within that quarter), so 8 + 8 from 64 characters, 4 + 4 from
 * 32, and a fixed placeholder below that (its length tells nothing). */
void secret_mask(const char *s, char out[MASK_MAX])
{
	size_t n = s ? strlen(s) : 0;
	int ends = n >= 64 ? 8 : n >= 32 ? 4 : 0;
	if (ends)
		snprintf(out, MASK_MAX, "%.*s...%s", ends, s, s + n - (size_t)ends);
	else
		snprintf(out, MASK_MAX, "%s", n ? SECRET_HIDDEN : "");
}

int secret_unquoted(const char *s, size_t len, const char *what, struct nv_err *err)
{
	static const char quotes[3] = { '"', '\'', '`' };
	if (len && (memchr(quotes, s[0], sizeof(quotes)) || memchr(quotes, s[len - 1], sizeof(quotes))))
		return nv_fail(err, EINVAL, "%s is wrapped in quotes: paste the value without them", what);
	return 0;
}

int secret_plausible(const char *provider, const char *s, size_t len, const char *what, struct nv_err *err)
{
	int rc = secret_unquoted(s, len, what, err);
	if (rc < 0)
		return rc;
	size_t min = (size_t)provider_min_key(provider);
	if (len < min)
		return nv_fail(err, EINVAL, "%s is too short for %s (%zu characters; its keys have at least %zu): paste the whole value",
			       what, provider, len, min);
	return 0;
}

static const char *const reserved[] = { "token", "order", "status", "status.json", "health" };

int profile_name_reserved(const char *name)
{
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcmp(name, reserved[i]) == 0)
			return 1;
	return 0;
}

/* Printable UTF-8: well-formed sequences, no C0/C1 controls or DEL. */
static int printable_utf8(const unsigned char *s)
{
	while (*s) {
		if (*s < 0x80) {
			if (*s < 0x20 || *s == 0x7f)
				return 0;
			s++;
			continue;
		}
		int n = (*s & 0xe0) == 0xc0 ? 1 : (*s & 0xf0) == 0xe0 ? 2 : (*s & 0xf8) == 0xf0 ? 3 : -1;
		if (n < 0 || (*s == 0xc0 || *s == 0xc1))
			return 0;
		if (*s == 0xc2 && s[1] >= 0x80 && s[1] < 0xa0)
			return 0; /* C1 control */
		for (int i = 1; i <= n; i++)
			if ((s[i] & 0xc0) != 0x80)
				return 0;
		s += n + 1;
	}
	return 1;
}

int profile_name_check(const char *name, struct nv_err *err)
{
	size_t n = strlen(name);
	if (n == 0 || n > PROFILE_NAME_MAX)
		return nv_fail(err, EINVAL, "invalid profile name \"%.80s\": use 1-128 bytes", name);
	if (strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    !printable_utf8((const unsigned char *)name))
		return nv_fail(err, EINVAL, "invalid profile name \"%.80s\": use printable characters, no '/'", name);
	if (profile_name_reserved(name))
		return nv_fail(err, EINVAL, "invalid profile name \"%s\": it is a reserved file name", name);
	return 0;
}

int profile_name_new_check(const char *name, struct nv_err *err)
{
	static const char allowed[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@+-";
	int rc = profile_name_check(name, err);
	if (rc == 0 && name[strspn(name, allowed)])
		rc = nv_fail(err, EINVAL, "invalid profile name \"%.80s\": use letters, digits and . _ @ + - (e.g. work, me@example.com)", name);
	return rc;
}

int profile_id_new(const char *text, const char *provider, char *out, char *provider_out, struct nv_err *err)
{
	int rc = profile_id_parse(text, provider, out, provider_out, err);
	return rc < 0 ? rc : profile_name_new_check(strchr(out, ':') + 1, err);
}

int profile_id_parse(const char *text, const char *provider, char *out,
		     char *provider_out, struct nv_err *err)
{
	char prov[PROVIDER_MAX + 1], given[PROVIDER_MAX + 1];
	const char *colon = strchr(text, ':');
	const char *name = text;
	if (colon) {
		if (colon == text || (size_t)(colon - text) > PROVIDER_MAX)
			return nv_fail(err, EINVAL, "invalid profile id \"%.80s\": expected <provider>:<name>", text);
		snprintf(given, sizeof(given), "%.*s", (int)(colon - text), text);
		int rc = provider_normalize(given, prov, err);
		if (rc < 0)
			return rc;
		name = colon + 1;
	} else if (provider) {
		snprintf(prov, sizeof(prov), "%s", provider);
	} else {
		/* a secret pasted where an id belongs must not be echoed back */
		char shown[MASK_MAX];
		secret_mask(text, shown);
		return nv_fail(err, EINVAL, "invalid profile id \"%s\": expected <provider>:<name>, e.g. anthropic:default", shown);
	}
	int rc = profile_name_check(name, err);
	if (rc < 0)
		return rc;
	snprintf(out, PROFILE_ID_MAX + 1, "%s:%s", prov, name);
	if (provider_out)
		snprintf(provider_out, PROVIDER_MAX + 1, "%s", prov);
	return 0;
}

static int need_str(const cJSON *cred, const char *k, const char *what, int required, struct nv_err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(cred, k);
	if (!v)
		return required ? nv_fail(err, EINVAL, "credential is missing \"%s\"", k) : 0;
	if (!cJSON_IsString(v))
		return nv_fail(err, EINVAL, "credential field \"%s\" must be a string", k);
	if (!what)
		return 0;
	return secret_check(v->valuestring, strlen(v->valuestring), what, err);
}

int cred_validate(const cJSON *cred, const char *provider, struct nv_err *err)
{
	if (!cJSON_IsObject(cred))
		return nv_fail(err, EINVAL, "credential must be a JSON object");
	enum cred_type t = cred_type_of(cred);
	if (t == CRED_NONE)
		return nv_fail(err, EINVAL, "credential \"type\" must be api_key, token or oauth");
	const char *p = cred_provider(cred);
	if (p && provider && strcmp(p, provider) != 0) {
		/* named only when it is a provider we know: a key pasted into
		 * the field by mistake must not be echoed */
		if (provider_find(p))
			return nv_fail(err, EINVAL, "credential is for provider \"%s\", not \"%s\"", p, provider);
		return nv_fail(err, EINVAL, "credential's \"provider\" field is not \"%s\" (not shown: it is no provider "
			       "we know, and may be a secret pasted there)", provider);
	}
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(cred, "expires");
	if (e && !(cJSON_IsNumber(e) && expires_valid(e->valuedouble)))
		return nv_fail(err, EINVAL, "credential \"expires\" must be epoch milliseconds > 0");
	int rc = need_str(cred, "email", NULL, 0, err);
	if (rc < 0)
		return rc;
	switch (t) {
	case CRED_API_KEY:
		return need_str(cred, "key", "API key", 1, err);
	case CRED_TOKEN:
		return need_str(cred, "token", "token", 1, err);
	default:
		if (!cJSON_GetObjectItemCaseSensitive(cred, "access") &&
		    !cJSON_GetObjectItemCaseSensitive(cred, "refresh"))
			return nv_fail(err, EINVAL, "oauth credential needs \"access\" or \"refresh\"");
		if ((rc = need_str(cred, "access", "access token", 0, err)) < 0 ||
		    (rc = need_str(cred, "refresh", "refresh token", 0, err)) < 0)
			return rc;
		if (!e)
			return nv_fail(err, EINVAL, "oauth credential needs \"expires\" (epoch milliseconds)");
		return 0;
	}
}

static int cred_from_json(const char *provider, const char *text, size_t len, cJSON **out, struct nv_err *err)
{
	cJSON *cred = cJSON_ParseWithLength(text, len);
	if (!cred)
		return nv_fail(err, EINVAL, "credential is not valid JSON");
	int rc = cred_validate(cred, provider, err);
	enum cred_type t = cred_type_of(cred);
	const char *secret = t == CRED_OAUTH ? NULL : cred_secret(cred);
	if (rc == 0 && secret)
		rc = secret_plausible(provider, secret, strlen(secret), t == CRED_TOKEN ? "token" : "API key", err);
	if (rc < 0) {
		cJSON_Delete(cred);
		return rc;
	}
	if (!cJSON_GetObjectItemCaseSensitive(cred, "provider"))
		cJSON_AddStringToObject(cred, "provider", provider);
	*out = cred;
	return 0;
}

/* A JSON text that stops before its end: more may come. */
static int json_unfinished(const char *text, size_t len)
{
	const char *end = NULL;
	cJSON *v = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	cJSON_Delete(v);
	/* cJSON puts an error at the end on the last byte */
	return !v && end && end + 1 >= text + len;
}

int cred_text_check(const char *provider, const char *text, size_t len, struct nv_err *err)
{
	if (memchr(text, '\0', len))
		return nv_fail(err, EINVAL, "the value contains a NUL byte");
	char *copy = secmem_strndup(text, len);
	if (!copy)
		return nv_fail(err, ENOMEM, "out of memory");
	int complete = len && text[len - 1] == '\n';
	size_t n = secret_trim(copy, len);
	int rc = 0;
	if (n && copy[0] == '{') {
		if (complete && !json_unfinished(copy, n)) {
			cJSON *cred = NULL;
			rc = cred_from_text(provider, copy, n, CRED_NONE, &cred, err);
			cJSON_Delete(cred);
		}
	} else if (complete) {
		cJSON *cred = NULL;
		rc = cred_from_text(provider, copy, n, CRED_NONE, &cred, err);
		cJSON_Delete(cred);
	} else if (n) { /* a plain secret so far: what cannot be undone */
		rc = secret_check(copy, n, strncmp(copy, "sk-ant-oat", 10) == 0 ? "token" : "API key", err);
	}
	secmem_free(copy);
	return rc;
}

int cred_from_text(const char *provider, const char *text, size_t len,
		   enum cred_type force_type, cJSON **out, struct nv_err *err)
{
	if (len > 0 && text[0] == '{' && force_type == CRED_NONE)
		return cred_from_json(provider, text, len, out, err);
	enum cred_type t = force_type;
	if (t == CRED_NONE)
		t = strncmp(text, "sk-ant-oat", 10) == 0 ? CRED_TOKEN : CRED_API_KEY;
	const char *what = t == CRED_TOKEN ? "token" : "API key";
	int rc = secret_check(text, len, what, err);
	if (rc == 0)
		rc = secret_plausible(provider, text, len, what, err);
	if (rc < 0)
		return rc;
	cJSON *cred = cJSON_CreateObject();
	if (!cred)
		return nv_fail(err, ENOMEM, "out of memory");
	cJSON_AddStringToObject(cred, "type", cred_type_name(t));
	cJSON_AddStringToObject(cred, "provider", provider);
	cJSON_AddStringToObject(cred, t == CRED_TOKEN ? "token" : "key", text);
	*out = cred;
	return 0;
}
