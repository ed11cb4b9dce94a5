/* Make N agents with 3 profiles each in $NOVA_ENGINE_STATE_DIR, through
 * the real store code (sealed files, key made on first write). */
#include "store/creds.h"
#include "store/secmem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	secmem_init();
	struct home *h;
	struct nv_err err = { 0 };
	if (home_open(&h, &err) < 0)
		return fprintf(stderr, "%s\n", err.msg), 1;
	int n = atoi(argv[1]);
	for (int i = 0; i < n; i++) {
		char agent[32], secret[64];
		struct store *st;
		snprintf(agent, sizeof(agent), "a%05d", i);
		store_open(h, agent, &st, &err);
		static const char *const prov[] = { "anthropic", "openai", "openrouter" };
		for (int p = 0; p < 3; p++) {
			char id[64];
			cJSON *cred;
			snprintf(id, sizeof(id), "%s:default", prov[p]);
			snprintf(secret, sizeof(secret), "sk-test-bench-%s-%05d-padding-0123456789", prov[p], i);
			cred_from_text(prov[p], secret, strlen(secret), CRED_API_KEY, &cred, &err);
			if (creds_put(st, id, cred, &err) < 0)
				return fprintf(stderr, "%s\n", err.msg), 1;
		}
		store_free(st);
	}
	home_free(h);
	return 0;
}
