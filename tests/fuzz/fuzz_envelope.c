/* The sealed envelope parser: never crashes, never opens what it should not. */
#include "fuzz.h"
#include "store/seal.h"

#include <sodium.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct seal_key *key;
	fuzz_init();
	if (!key) { /* a fixed all-zero key: the seeds are sealed with it */
		unsigned char h[8];
		key = calloc(1, sizeof(*key));
		crypto_generichash(h, sizeof(h), key->bytes, sizeof(key->bytes), NULL, 0);
		sodium_bin2hex(key->id, sizeof(key->id), h, sizeof(h));
	}
	char *text = fuzz_text(data, size), *plain = NULL;
	size_t len;
	seal_is_envelope(text, size);
	char id[SEAL_KEYID_LEN + 1];
	seal_envelope_keyid(text, size, id);
	if (seal_open(key, "main", "fuzz", text, size, &plain, &len, NULL) == 0)
		secmem_free(plain);
	free(text);
	return 0;
}
