/* The provider table: ids, aliases, env variables, probe endpoints. */
#ifndef NV_PROVIDER_H
#define NV_PROVIDER_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "store/error.h"

#define PROVIDER_MAX 64

enum probe_kind {
	PROBE_OPENAI_COMPAT, /* GET /v1/models, Bearer */
	PROBE_ANTHROPIC,     /* GET /v1/models?limit=1 */
	PROBE_OPENROUTER,    /* GET /api/v1/key */
	PROBE_GOOGLE,        /* GET /v1beta/models?pageSize=1 */
};

struct provider_info {
	const char *id;
	const char *env[2];   /* env credential variables, first found wins */
	enum probe_kind probe;
	const char *base_url;
	int min_key;          /* shortest key or token we accept (see provider.c) */
};

/* Normalise a user-typed provider id (case, aliases such as z.ai) into
 * out[PROVIDER_MAX + 1]. Fails with EINVAL and a message quoting it. */
int provider_normalize(const char *in, char *out, struct nv_err *err);

/* Can a user name id (normalised)? Built-in ones, and any that cfg (the
 * config, may be NULL) declares under models.providers.<id> or as the
 * provider of an auth.profiles entry. Otherwise EINVAL, with the nearest
 * built-in name when one is close ("did you mean anthropic?"). */
int provider_known(const cJSON *cfg, const char *id, struct nv_err *err);

/* The shortest key or token accepted for provider. */
int provider_min_key(const char *id);

/* The built-in entry, or NULL for a provider we know only by name. */
const struct provider_info *provider_find(const char *id);

/* Built-in providers, for listings: count and i-th id. */
size_t provider_count(void);
const char *provider_at(size_t i);

/* The env variable names for provider into names[0..1]; returns count.
 * Unknown providers get <PROVIDER>_API_KEY in buf. */
int provider_env_names(const char *id, const char *names[2], char *buf, size_t cap);

#endif
