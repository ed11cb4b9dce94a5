/* Environment: .env files, precedence (SPEC 5), env credentials. */
#ifndef NV_ENV_H
#define NV_ENV_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "store/error.h"

typedef void (*dotenv_fn)(const char *key, const char *value, void *arg);

/* Parse .env text: KEY=value lines, optional "export ", '#' comments,
 * single or double quotes. Calls fn per pair. A malformed line fails with
 * EINVAL, "<path>:<line>: ...", and no call is made for any line. */
int dotenv_parse(const char *path, const char *text, size_t len, dotenv_fn fn, void *arg, struct nv_err *err);

/* Apply the precedence chain without overriding what is set: cwd_env
 * (./.env made absolute, may be NULL), <state_dir>/.env, config env.vars,
 * then the login shell when enabled. Returns 0; a malformed file fails
 * with its line. cwd_env is untrusted (whatever directory the user stands
 * in): only provider credential variables are taken from it. The state
 * dir's .env and env.vars may set anything but NOVA_ENGINE_STATE_DIR.
 * A cwd_env that cannot be read or parsed is skipped whole (doctor
 * reports it): it never fails the load. */
int env_load(const char *cwd_env, const char *state_dir, const cJSON *config, struct nv_err *err);

/* Whether k is a provider credential variable (SPEC 5): a built-in
 * provider's, or <PROVIDER>_API_KEY of a provider config declares. */
int env_credential_var(const char *k, const cJSON *config);

/* The lines of an untrusted ./.env at path that env_load ignores: fn gets
 * the line number and the variable name (never the value). 0 (also when
 * there is no such file), or -errno when it cannot be read or parsed, or
 * is not to be trusted at all (-EPERM: another user's, or writable by
 * every user; env_load then takes nothing from it). */
typedef void (*env_ignored_fn)(int lineno, const char *key, void *arg);
int env_cwd_ignored(const char *path, const cJSON *config, env_ignored_fn fn, void *arg, struct nv_err *err);

/* Whether the login-shell import is on ("on"/"off" for display). */
int env_shell_enabled(const cJSON *config);

/* The env credential for provider, copied into out (cap bytes; wipe it
 * after use): 1 when set, 0 when not, -EINVAL when set but not a value a
 * paste would be (too long for out, a control or non-ASCII byte: err says
 * which; out holds what fit, for a mask). *var (may be NULL) names the
 * variable. Safe against a concurrent env_load (the daemon's SIGHUP
 * reload). */
int env_credential_copy(const char *provider, char *out, size_t cap, const char **var, struct nv_err *err);

/* Whether provider has an env credential, without copying it. */
int env_has_credential(const char *provider, const char **var);

/* A copy of variable name into out (cap bytes): 1 when set, else 0.
 * Safe against a concurrent env_load, unlike getenv. */
int env_copy(const char *name, char *out, size_t cap);

#endif
