/* Why a stored credential cannot be used: one typed verdict that
 * selection (SPEC 6 step 2), `models status`, `--check`, `doctor`, the
 * mount's status files and the errors of `models auth token` all share,
 * so none of them decides it again and none can hide it (SPEC 12). */
#ifndef NV_VERDICT_H
#define NV_VERDICT_H

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdint.h>

enum unusable {
	USABLE = 0,
	UNUSABLE_MODE,       /* config auth.profiles[id].mode names another type */
	UNUSABLE_BLANK,      /* an api_key or token with no secret */
	UNUSABLE_EXPIRED,    /* a token whose expires has passed */
	UNUSABLE_NO_TOKENS,  /* an oauth with neither access nor refresh */
	UNUSABLE_TYPE,       /* not one of the three types */
};

/* The credential alone (no config): blank, expired, no tokens, type. */
enum unusable cred_problem(const cJSON *cred, int64_t now_ms);

/* The whole verdict on stored profile id: the config's mode for it
 * (config may be NULL) first, then cred_problem. */
enum unusable cred_verdict(const cJSON *cred, const cJSON *config, const char *id, int64_t now_ms);

/* Short name for JSON: "mode", "blank", "expired", "no_tokens", "type"
 * ("" for USABLE). */
const char *unusable_name(enum unusable u);

/* What a person is told: reason says what is wrong (never the secret),
 * fix the command that repairs it (store/fixcmd: --profile-id, --agent
 * when not the default), and for a mode also the config edit that does. */
struct verdict_text {
	char reason[256];
	char fix[PATH_MAX + 1024];
	char store[PATH_MAX];   /* the store command alone ("" for a mode naming no type) */
	char unpin[PATH_MAX + 128]; /* for a mode: the config edit alone (doctor --fix makes it) */
};
struct home;
void verdict_explain(enum unusable u, struct home *h, const char *agent, const char *id, const cJSON *cred,
		     const cJSON *config, struct verdict_text *out);

#endif
