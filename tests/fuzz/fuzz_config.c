/* The config parser and its located errors, and the getters over any shape. */
#include "fuzz.h"
#include "store/config.h"
#include "store/models.h"
#include "store/order.h"

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
		/* every reader of config shapes: order, the overview's providers */
		cJSON *doc = cJSON_Parse("{\"profiles\":{\"anthropic:a\":{\"type\":\"api_key\",\"provider\":\"anthropic\",\"key\":\"k\"}}}");
		struct id_list l;
		if (order_resolve(doc, cfg, "anthropic", NULL, 1000, &l) == 0)
			id_list_free(&l);
		cJSON_Delete(doc);
		cJSON_Delete(cfg);
	}
	return 0;
}
