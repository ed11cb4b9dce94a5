/* The verdict and its words (verdict.h). */
#include "store/verdict.h"
#include "store/config.h"
#include "store/fixcmd.h"
#include "store/home.h"
#include "store/profile.h"
#include "store/timefmt.h"

#include <stdio.h>
#include <string.h>

static int filled(const cJSON *cred, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cred, k));
	return s && *s;
}

enum unusable cred_problem(const cJSON *cred, int64_t now)
{
	switch (cred_type_of(cred)) {
	case CRED_API_KEY:
		return filled(cred, "key") ? USABLE : UNUSABLE_BLANK;
	case CRED_TOKEN: {
		int64_t exp = cred_expires(cred);
		if (!filled(cred, "token"))
			return UNUSABLE_BLANK;
		return exp == 0 || exp > now ? USABLE : UNUSABLE_EXPIRED;
	}
	case CRED_OAUTH:
		return filled(cred, "access") || filled(cred, "refresh") ? USABLE : UNUSABLE_NO_TOKENS;
	default:
		return UNUSABLE_TYPE;
	}
}

/* The mode config pins for id, or NULL. */
static const char *pinned_mode(const cJSON *config, const char *id)
{
	const cJSON *cp = cJSON_GetObjectItemCaseSensitive(config_get(config, "auth.profiles"), id);
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cp, "mode"));
}

enum unusable cred_verdict(const cJSON *cred, const cJSON *config, const char *id, int64_t now)
{
	const char *mode = config ? pinned_mode(config, id) : NULL;
	if (mode && cred_type_parse(mode) != cred_type_of(cred))
		return UNUSABLE_MODE;
	return cred_problem(cred, now);
}

const char *unusable_name(enum unusable u)
{
	static const char *const names[] = { "", "mode", "blank", "expired", "no_tokens", "type" };
	return names[u];
}

void verdict_explain(enum unusable u, struct home *h, const char *agent, const char *id, const cJSON *cred,
		     const cJSON *config, struct verdict_text *out)
{
	const char *mode = config ? pinned_mode(config, id) : NULL;
	enum cred_type t = cred_type_of(cred), want = u == UNUSABLE_MODE ? cred_type_parse(mode) : t;
	char cmd[PROFILE_ID_MAX * 3 + 256], when[32];
	fixcmd_store(h, agent, id, cred_provider(cred), want, cmd, sizeof(cmd));
	out->reason[0] = out->fix[0] = out->store[0] = out->unpin[0] = '\0';
	switch (u) {
	case USABLE:
		return;
	case UNUSABLE_MODE:
		snprintf(out->reason, sizeof(out->reason), "the config pins auth.profiles \"%s\" to mode \"%.32s\" but this is %s %s",
			 id, mode, t == CRED_API_KEY || t == CRED_OAUTH ? "an" : "a", cred_type_name(t));
		snprintf(out->unpin, sizeof(out->unpin), "remove \"mode\" from auth.profiles \"%s\" in %s", id, home_config_path(h));
		if (want == CRED_NONE) { /* a mode that names no type at all */
			snprintf(out->fix, sizeof(out->fix), "%s", out->unpin);
			return;
		}
		snprintf(out->store, sizeof(out->store), "%s", cmd);
		snprintf(out->fix, sizeof(out->fix), "%s (store what the mode names), or %s", cmd, out->unpin);
		return;
	case UNUSABLE_BLANK:
		snprintf(out->reason, sizeof(out->reason), "its %s is blank", t == CRED_TOKEN ? "token" : "key");
		break;
	case UNUSABLE_EXPIRED:
		time_iso(cred_expires(cred), when);
		snprintf(out->reason, sizeof(out->reason), "the token expired at %s", when);
		break;
	case UNUSABLE_NO_TOKENS:
		snprintf(out->reason, sizeof(out->reason), "it holds neither an access nor a refresh token");
		break;
	case UNUSABLE_TYPE:
		snprintf(out->reason, sizeof(out->reason), "its type is not api_key, token or oauth");
		break;
	}
	snprintf(out->fix, sizeof(out->fix), "%s", cmd);
	snprintf(out->store, sizeof(out->store), "%s", cmd);
}
