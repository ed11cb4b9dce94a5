/* .env files. */
#include "fuzz.h"
#include "store/env.h"

static void ignore(const char *k, const char *v, void *arg)
{
	(void)k, (void)v, (void)arg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_init();
	dotenv_parse(".env", (const char *)data, size, ignore, NULL, NULL);
	return 0;
}
