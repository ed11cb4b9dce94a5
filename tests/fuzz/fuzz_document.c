/* A store document (a plaintext auth-profiles.json left by an older
 * install is user input): order, reports, removal, health over any shape
 * that passes the document check. */
#include "fuzz.h"
#include "store/health.h"
#include "store/order.h"
#include "store/profile.h"
#include "store/store.h"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_init();
	cJSON *doc = cJSON_ParseWithLength((const char *)data, size);
	if (!doc || store_doc_check(doc, "fuzz", NULL) < 0) {
		cJSON_Delete(doc);
		return 0;
	}
	cJSON *cfg = cJSON_CreateObject();
	static const char *const provs[] = { "anthropic", "openai", "x" };
	for (int i = 0; i < 3; i++) {
		struct id_list l;
		if (order_resolve(doc, cfg, provs[i], "anthropic:a", 5000, &l) == 0)
			id_list_free(&l);
		int stored, expired;
		order_count(doc, provs[i], 5000, &stored, &expired);
	}
	const cJSON *e;
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(doc, "profiles")) {
		const cJSON *u = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "usageStats"), e->string);
		health_of(e, u, 5000);
		usage_unavailable_until(u, 5000);
	}
	const cJSON *first = cJSON_GetObjectItem(doc, "profiles")->child;
	if (first && first->string) {
		char id[PROFILE_ID_MAX + 1];
		snprintf(id, sizeof(id), "%s", first->string);
		usage_report_failure(doc, cfg, id, FAIL_RATE_LIMIT, 5000);
		usage_report_failure(doc, cfg, id, FAIL_BILLING, 6000);
		usage_report_good(doc, id, "anthropic", 7000);
		profile_remove(doc, id);
	}
	cJSON_Delete(cfg);
	cJSON_Delete(doc);
	return 0;
}
