/* Credentials in the shapes other programs already read (SPEC 13): an
 * environment file for docker --env-file, systemd EnvironmentFile= and
 * `set -a; . file`, Claude Code's .credentials.json and Codex CLI's
 * auth.json. Each renders into o and names the profiles (or environment
 * variables) it served in served, a comma list, for the audit trail.
 * With local set, each renders from what is stored, as creds_select_local
 * does (no refresh, no network, no store lock: for stat, which must show
 * a read's length without doing what a read does); a due OAuth profile
 * gives its access token as it is. */
#ifndef NV_CONSUMER_H
#define NV_CONSUMER_H

#include <stddef.h>

#include "store/store.h"
#include "store/textbuf.h"

#define SERVED_MAX 1024

/* NAME=value lines, one per provider with a usable credential (SPEC 5
 * names). A value that docker, systemd and sh would not all read the
 * same (anything outside [A-Za-z0-9_.,:@%+/=-]) is left out with a
 * comment line saying so. Never fails for want of credentials (an empty
 * file is a valid answer). */
int envfile_render(struct store *st, int local, struct out *o, char served[SERVED_MAX], struct nv_err *err);

/* Is every byte of value one that all three readers take literally? */
int envfile_value_safe(const char *value);

/* {"claudeAiOauth":{"accessToken","refreshToken":null,"expiresAt",
 * "scopes","subscriptionType":null}} from the first anthropic token or
 * oauth profile in order; never the refresh token. -ENOKEY when none. */
int native_claude_render(struct store *st, int local, struct out *o, char served[SERVED_MAX], struct nv_err *err);

/* {"OPENAI_API_KEY","tokens":{"id_token","access_token","refresh_token":"",
 * "account_id"},"last_refresh"} from openai-codex (tokens) or openai (key).
 * -ENOKEY when neither has a usable credential. */
int native_codex_render(struct store *st, int local, struct out *o, char served[SERVED_MAX], struct nv_err *err);

#endif
