/* The `models status` view and its live checks as text: what the CLI
 * prints without --json. Control bytes are the caller's to make visible
 * first (vis_json on the view). */
#include "store/overview.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

/* A text being made, and the first failure to make it. */
struct text {
	struct out *o;
	int rc;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (t->rc == 0)
		t->rc = out_vprintf(t->o, fmt, ap);
	va_end(ap);
}

static const char *str(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static const cJSON *get(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static void models_text(const cJSON *v, struct text *o)
{
	const cJSON *e;
	put(o, "Config        : %s\n", str(v, "configPath"));
	put(o, "Agent         : %s\n", str(v, "agent"));
	put(o, "Agent dir     : %s\n", str(v, "agentDir"));
	put(o, "Default model : %s\n", str(v, "defaultModel") ? str(v, "defaultModel") : "(not set)");
	put(o, "Fallbacks (%d) :", cJSON_GetArraySize(get(v, "fallbacks")));
	cJSON_ArrayForEach(e, get(v, "fallbacks"))
		put(o, " %s%s", e->valuestring, e->next ? "," : "");
	put(o, "%s\nAliases (%d)   :", cJSON_GetArraySize(get(v, "fallbacks")) ? "" : " -", cJSON_GetArraySize(get(v, "aliases")));
	cJSON_ArrayForEach(e, get(v, "aliases"))
		put(o, " %s -> %s%s", e->string, cJSON_IsString(e) ? e->valuestring : "?", e->next ? "," : "");
	put(o, "%s\n", cJSON_GetArraySize(get(v, "aliases")) ? "" : " -");
}

static void provider_text(const cJSON *p, struct text *o)
{
	int counts[3] = { 0 };
	const cJSON *e;
	cJSON_ArrayForEach(e, get(p, "profiles")) {
		const char *t = str(e, "type");
		counts[strcmp(t, "oauth") == 0 ? 0 : strcmp(t, "token") == 0 ? 1 : 2]++;
	}
	put(o, "- %-12s effective=%s | profiles=%d (oauth=%d, token=%d, api_key=%d)", str(p, "provider"),
	       str(p, "effective"), counts[0] + counts[1] + counts[2], counts[0], counts[1], counts[2]);
	cJSON_ArrayForEach(e, get(p, "profiles"))
		put(o, " | %s=%s", str(e, "id"), str(e, "secret"));
	const cJSON *env = get(p, "env");
	if (env)
		put(o, " | env=%s:%s", str(env, "var"), str(env, "secret"));
	put(o, "\n");
}

static void auth_text(const cJSON *auth, struct text *o)
{
	const cJSON *e;
	put(o, "\nAuth overview\n");
	put(o, "Auth store    : %s\n", str(auth, "storePath"));
	if (get(auth, "staleSince"))
		put(o, "Store state   : stale since %s (etcd has no quorum or cannot be reached: this is the last copy "
		       "this host saw; changes are refused until it is back)\n", str(auth, "staleSince"));
	put(o, "Shell env     : %s\n", str(auth, "shellEnv"));
	if (!cJSON_IsTrue(get(auth, "anyCredential")))
		put(o, "No credentials found\n");
	cJSON_ArrayForEach(e, get(auth, "providers"))
		if (strcmp(str(e, "effective"), "none") != 0 || cJSON_GetArraySize(get(e, "profiles")))
			provider_text(e, o);
	if (cJSON_GetArraySize(get(auth, "missing"))) {
		put(o, "\nMissing auth\n");
		cJSON_ArrayForEach(e, get(auth, "missing")) {
			const cJSON *why;
			put(o, "- %s (used by", str(e, "provider"));
			cJSON_ArrayForEach(why, get(e, "usedBy"))
				put(o, " %s%s", why->valuestring, why->next ? "," : "");
			put(o, "): run `%s`\n", str(e, "fix"));
		}
	}
	if (cJSON_GetArraySize(get(auth, "unusable"))) {
		put(o, "\nNot usable\n");
		cJSON_ArrayForEach(e, get(auth, "unusable"))
			put(o, "- %s (%s): %s\n  fix: %s\n", str(e, "id"), str(e, "type"), str(e, "reason"), str(e, "fix"));
	}
	if (cJSON_GetArraySize(get(auth, "oauth"))) {
		put(o, "\nOAuth/token status\n");
		cJSON_ArrayForEach(e, get(auth, "oauth")) {
			put(o, "- %s %s %s", str(e, "id"), str(e, "type"), str(e, "state"));
			/* "expired 3h ago", never "expired expired" */
			if (str(e, "expiredAgo"))
				put(o, strcmp(str(e, "state"), "expired") ? ", expired %s ago" : " %s ago", str(e, "expiredAgo"));
			else if (str(e, "expiresIn"))
				put(o, " %s", str(e, "expiresIn"));
			if (str(e, "unavailable"))
				put(o, ", %s", str(e, "unavailable"));
			put(o, "\n");
		}
	}
}

static void probe_text(const cJSON *e, struct text *o)
{
	const char *res = str(e, "probe");
	put(o, "- %-28s %-12s", str(e, "profile"), res ? res : "-");
	const cJSON *http = get(e, "probe_http");
	if (cJSON_IsNumber(http))
		put(o, " http %d", (int)http->valuedouble);
	const cJSON *lat = get(e, "probe_latency_ms");
	if (cJSON_IsNumber(lat))
		put(o, " %dms", (int)lat->valuedouble);
	if (str(e, "retry_after"))
		put(o, " retry-after %ss", str(e, "retry_after"));
	const cJSON *rem = get(e, "limit_remaining");
	if (cJSON_IsNumber(rem))
		put(o, " limit_remaining %g", rem->valuedouble);
	if (cJSON_IsTrue(get(e, "probe_stale")))
		put(o, " (stale, %ds old)", (int)cJSON_GetNumberValue(get(e, "probe_age_s")));
	if (str(e, "probe_message"))
		put(o, " \"%s\"", str(e, "probe_message"));
	put(o, "\n");
	if (str(e, "probe_advice"))
		put(o, "  -> %s\n", str(e, "probe_advice"));
}

int overview_text(const cJSON *view, struct out *o)
{
	struct text t = { o, 0 };
	models_text(view, &t);
	auth_text(get(view, "auth"), &t);
	return t.rc;
}

int overview_probes_text(const cJSON *entries, struct out *o)
{
	struct text t = { o, 0 };
	const cJSON *e;
	if (!cJSON_GetArraySize(entries))
		put(&t, "(nothing to check)\n");
	cJSON_ArrayForEach(e, entries)
		probe_text(e, &t);
	return t.rc;
}

int overview_check(const cJSON *view)
{
	return (int)cJSON_GetNumberValue(get(view, "check"));
}

const char *overview_default_model(const cJSON *view)
{
	return str(view, "defaultModel");
}
