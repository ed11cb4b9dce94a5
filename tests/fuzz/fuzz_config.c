/* The config parser and its located errors, and the getters over any shape. */
#include "fuzz.h"
#include "store/config.h"
#include "store/models.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *cfg = NULL;
	struct nv_err err;
	fuzz_init();
	if (json_parse_located("fuzz.json", (const char *)data, size, &cfg, &err) == 0) {
		config_int(cfg, "fs.probeTtlSeconds", 1);
		config_get(cfg, "auth.order.anthropic");
		struct model_ref m;
		model_resolve(cfg, "opus", &m, &err);
		const cJSON *d = config_get(cfg, "models.default");
		if (cJSON_IsString(d))
			model_resolve(cfg, d->valuestring, &m, &err);
		cJSON_Delete(cfg);
	}
	return 0;
}
