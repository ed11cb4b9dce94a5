/* Shared by the fuzz harnesses: one-time process set-up. */
#ifndef NV_FUZZ_H
#define NV_FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "store/secmem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void fuzz_init(void)
{
	static int done;
	if (!done) {
		secmem_init();
		done = 1;
	}
}

/* A NUL-terminated copy of the input (caller frees). */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	char *t = malloc(size + 1);
	memcpy(t, data, size);
	t[size] = '\0';
	return t;
}
#endif
