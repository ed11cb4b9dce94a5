/* The commands a finding or an error tells a person to run, exact for one
 * profile of one agent: the profile named with --profile-id, --agent only
 * when it is not the default agent, an odd id (an imported store may hold
 * any) quoted for the shell. Run as printed, they do what they say. */
#ifndef NV_FIXCMD_H
#define NV_FIXCMD_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "store/home.h"

/* " --agent ID" when agent is not the default one, else "". */
void fixcmd_agent(struct home *h, const char *agent, char *out, size_t cap);

/* The command that stores a new secret into this very profile: login
 * for oauth, paste-token for a token, paste-api-key for a key. A new
 * credential starts with clean usage (no cooldown, no disable). */
void fixcmd_renew(struct home *h, const char *agent, const char *id, const cJSON *cred, char *out, size_t cap);

/* The same for a credential of type t (CRED_NONE: an api key) of
 * provider, whatever id holds now (a config mode may want another type). */
void fixcmd_store(struct home *h, const char *agent, const char *id, const char *provider, int t, char *out,
		  size_t cap);

/* `models auth report ID good`: puts a profile in cooldown or disabled
 * back in use. */
void fixcmd_report_good(struct home *h, const char *agent, const char *id, char *out, size_t cap);

#endif
