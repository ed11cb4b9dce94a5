/* Ids of OpenClaw's exec secret provider (SPEC 13): "<profile id>",
 * "<provider>", or either prefixed by "<agent>/". */
#ifndef NV_SECRETREF_H
#define NV_SECRETREF_H

#include "store/creds.h"
#include "store/home.h"

/* OpenClaw's id pattern ^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,255}$. */
int secretref_id_valid(const char *id);

/* The secret id names for the default agent or its own, refreshed first
 * as for `models auth token`; agent gets the agent id. -ENOENT for an
 * unknown agent or profile, -EINVAL for an id of the wrong shape, else
 * what creds_select / creds_get return. */
int secretref_resolve(struct home *h, const char *id, struct selection *sel,
		      char agent[AGENT_MAX + 1], struct nv_err *err);

#endif
