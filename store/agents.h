/* Agents the config declares: adding one (onboard's new agent). */
#ifndef NV_AGENTS_H
#define NV_AGENTS_H

#include "store/error.h"
#include "store/home.h"

/* Append {"id": agent} to agents.list in the config, under its lock (a
 * list that is not an array is replaced). agent must pass agent_id_check
 * (-EINVAL otherwise, nothing changed). */
int home_agent_add(struct home *h, const char *agent, struct nv_err *err);

#endif
