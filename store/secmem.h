/* Secret hygiene for the whole process: every cJSON allocation (the store
 * document holds secrets) is wiped when freed, core dumps are off, and
 * libsodium is initialised. */
#ifndef NV_SECMEM_H
#define NV_SECMEM_H

#include <stddef.h>

/* Call once at process start-up, before any thread or cJSON use (it also
 * sets up libsodium). Returns 0 or -1. */
int secmem_init(void);

/* malloc/free that wipe on free; used as cJSON hooks, usable elsewhere
 * for buffers that may hold secrets. secmem_free(NULL) does nothing. */
void *secmem_alloc(size_t n);
void secmem_free(void *p);
char *secmem_strndup(const char *s, size_t n);

#endif
