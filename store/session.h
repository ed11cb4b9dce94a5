/* Chat sessions of an agent and the /model command (issue: sessions):
 * each session has a model, an optional user pin (/model m@profile), and
 * the profile auto-selected for it. Kept in <agentDir>/sessions.json (0600,
 * locked and replaced atomically like the store; it holds no secrets). */
#ifndef NV_SESSION_H
#define NV_SESSION_H

#include "store/creds.h"
#include "store/models.h"

#define SESSION_MAX 64

enum model_cmd_kind { MC_LIST, MC_STATUS, MC_SET, MC_NEW, MC_RESET };

struct model_cmd {
	enum model_cmd_kind kind;
	char model[MODEL_MAX + 1];           /* MC_SET */
	char profile[PROFILE_ID_MAX + 1];    /* MC_SET with @profile, else "" */
};

/* Parse "/model", "/model list", "/model status", "/model <m>",
 * "/model <m>@<profile>", "/new", "/reset", or a bare "<m>[@<profile>]".
 * "@p" alone: "Auth profile override requires a model selection." */
int model_cmd_parse(const char *line, struct model_cmd *out, struct nv_err *err);

int session_id_check(const char *sid, struct nv_err *err);

/* 1 when sid exists, 0 when not, <0 on error. */
int session_exists(struct store *st, const char *sid);
/* Make sid (0), or -EEXIST. */
int session_create(struct store *st, const char *sid, struct nv_err *err);
/* Remove sid; -ENOENT when absent. */
int session_delete(struct store *st, const char *sid, struct nv_err *err);
/* Every session id of the agent: fn(arg, sid). */
int session_each(struct store *st, void (*fn)(void *arg, const char *sid), void *arg);

/* Run a chat command for sid (creating the session). *reply is what the
 * chat would answer (caller frees with cJSON_free). Refusals are EINVAL or
 * ENOENT with the chat's own message. */
int session_command(struct store *st, const char *sid, const char *line, char **reply, struct nv_err *err);

/* The refusals session_command would give line (a model or pin that
 * does not resolve included), changing nothing. */
int session_command_check(struct store *st, const char *line, struct nv_err *err);

/* The token for the session's model: the user pin first, then the profile
 * auto-selected earlier while it is available, then the order; the choice
 * is remembered as the session's auto-selected profile. */
int session_token(struct store *st, const char *sid, struct selection *sel, struct nv_err *err);

#endif
