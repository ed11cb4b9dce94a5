/* The `mode` of config auth.profiles[id], which every agent shares: SPEC 6
 * drops a stored credential whose type it does not match, so a write for
 * one agent may pin a type there only where no other agent's credential
 * under that id would be dropped by it (SPEC 12: storing for agent A never
 * changes which credentials agent B can use). */
#ifndef NV_CONFIG_MODE_H
#define NV_CONFIG_MODE_H

#include <cjson/cJSON.h>

#include "store/home.h"
#include "store/profile.h"

/* The mode config auth.profiles[id] should hold once agent has stored a
 * credential of type t as id; entry is that config entry now (NULL when
 * there is none). CRED_NONE means "no mode":
 *  - the entry's mode when it is already t (nothing changes);
 *  - no mode when the entry exists without one (a write never adds a pin
 *    that was taken away or never set);
 *  - otherwise t when no other agent stores id as another type, and no
 *    mode when one does or its store cannot be read (the agents disagree,
 *    so no type is pinned and each one's credential stays usable).
 * Reads other agents' stores (only in the last case); never writes. */
enum cred_type config_mode_after_put(struct home *h, const char *agent, const char *id, enum cred_type t,
				     const cJSON *entry);

/* doctor --fix for a mode that drops a stored credential: remove
 * auth.profiles[id].mode (under the config lock). Taking a pin away never
 * makes a credential unusable, so this is safe whoever else stores id. */
int config_mode_unpin(struct home *h, const char *id, struct nv_err *err);

#endif
