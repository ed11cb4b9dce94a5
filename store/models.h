/* Models from the config: aliases and provider/model ids, resolved to the
 * provider whose credential they need. */
#ifndef NV_MODELS_H
#define NV_MODELS_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "store/error.h"
#include "store/provider.h"

#define MODEL_MAX 256

struct model_ref {
	char id[MODEL_MAX + 1];              /* provider/model */
	char alias[64];                      /* the alias typed, or "" */
	char provider[PROVIDER_MAX + 1];
};

/* Resolve an alias (models.aliases) or a provider/model id. EINVAL with
 * "Unknown model ..." otherwise. */
int model_resolve(const cJSON *config, const char *text, struct model_ref *out, struct nv_err *err);

/* The provider of a model ref into out; -EINVAL when it names none. */
int model_provider(const cJSON *config, const char *model, char *out, size_t cap);

#endif
