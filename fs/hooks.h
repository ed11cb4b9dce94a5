/* Config hooks.onChange: commands the daemon runs after a credential
 * changed (SPEC 13), e.g. `openclaw secrets reload`. Debounced (a burst of
 * changes runs each command once), one command at a time, on a thread of
 * their own; output goes to the daemon's log. A command never sees a
 * secret: it gets a small environment (PATH, HOME, USER, LANG, ... and
 * hooks.passEnv) with NOVA_ENGINE_CHANGED="<agent>/<profile> ...". */
#ifndef NV_FS_HOOKS_H
#define NV_FS_HOOKS_H

#include "fs/tree.h"

/* Start the runner and listen to fs/notify (every change, whoever made
 * it: the mount, the CLI, another host, a proactive refresh). */
int hooks_start(struct fs *fs);
void hooks_stop(void);

/* Note a change of agent's profile ("*" when unknown or NULL).
 * Cheap and non-blocking. */
void hooks_changed(const char *agent, const char *what);

#endif
