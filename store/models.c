/* Model names. */
#include "store/models.h"
#include "store/config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int model_resolve(const cJSON *config, const char *text, struct model_ref *out, struct nv_err *err)
{
	memset(out, 0, sizeof(*out));
	const char *target = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(config_get(config, "models.aliases"), text));
	if (target) {
		snprintf(out->alias, sizeof(out->alias), "%s", text);
		text = target;
	}
	const char *slash = strchr(text, '/');
	size_t plen = slash ? (size_t)(slash - text) : 0;
	char raw[PROVIDER_MAX + 1];
	if (!slash || plen == 0 || plen > PROVIDER_MAX || !slash[1] || strlen(text) > MODEL_MAX) {
		char names[200] = "";
		const cJSON *a;
		cJSON_ArrayForEach(a, config_object(config, "models.aliases"))
			if (strlen(names) + strlen(a->string) + 3 < sizeof(names))
				snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", names[0] ? ", " : "", a->string);
		return nv_fail(err, EINVAL, "Unknown model \"%.80s\": use provider/model%s%s%s", text,
			       names[0] ? " or an alias (" : "", names, names[0] ? ")" : "");
	}
	snprintf(raw, sizeof(raw), "%.*s", (int)plen, text);
	int rc = provider_normalize(raw, out->provider, err);
	if (rc < 0)
		return rc;
	snprintf(out->id, sizeof(out->id), "%s%s", out->provider, slash);
	return 0;
}

int model_provider(const cJSON *config, const char *model, char *out, size_t cap)
{
	struct model_ref m;
	if (model_resolve(config, model, &m, NULL) < 0)
		return -EINVAL;
	snprintf(out, cap, "%s", m.provider);
	return 0;
}
