/* Provider answers (probes) and OAuth token answers. */
#include "fuzz.h"
#include "store/oauth.h"
#include "store/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_init();
	if (size < 2)
		return 0;
	static const char *const provs[] = { "anthropic", "openai", "openrouter", "google" };
	static const long codes[] = { 200, 400, 401, 402, 403, 429, 500, 529 };
	const char *prov = provs[data[0] % 4];
	long http = codes[data[1] % 8];
	cJSON *r = cJSON_CreateObject();
	probe_classify(r, prov, 0, http, (const char *)data + 2, size - 2, "sk-test-fuzz-secret");
	cJSON_Delete(r);
	cJSON *answer = cJSON_ParseWithLength((const char *)data + 2, size - 2);
	cJSON *cred = oauth_credential(prov, answer, "client");
	cJSON_Delete(cred);
	cJSON_Delete(answer);
	return 0;
}
