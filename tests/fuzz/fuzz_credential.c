/* What a write to a token file or an import hands the profile code. */
#include "fuzz.h"
#include "store/health.h"
#include "store/order.h"
#include "store/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_init();
	char *text = fuzz_text(data, size);
	size_t len = secret_trim(text, size);
	cJSON *cred = NULL;
	static const char *const provs[] = { "anthropic", "openai", "google" };
	if (cred_from_text(provs[size % 3], text, len, CRED_NONE, &cred, NULL) == 0) {
		char mask[MASK_MAX];
		secret_mask(cred_secret(cred), mask);
		health_of(cred, NULL, 1000);
		cred_usable(cred, 1000);
		cJSON *doc = cJSON_CreateObject();
		cJSON_AddItemToObject(cJSON_AddObjectToObject(doc, "profiles"), "anthropic:x", cred);
		struct id_list l;
		if (order_resolve(doc, doc, "anthropic", "anthropic:x", 1000, &l) == 0)
			id_list_free(&l);
		cJSON_Delete(doc);
	}
	free(text);
	return 0;
}
