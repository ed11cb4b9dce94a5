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

/* For the long-lived daemon, after it detached (locks are not inherited
 * across fork): keep secrets out of swap and dumps. mlockall (current and
 * future pages, locked as they are touched) when the memlock limit allows
 * it; else nothing is locked and the secret buffers that ask for it
 * (secmem_page_alloc) are still left out of dumps. In both cases blocks
 * of SECMEM_UNMAPPED_MIN and more that glibc maps on their own stay
 * mapped alone and are unmapped when freed (a fixed mmap threshold: glibc
 * would raise it after each large free). Returns 1 when memory is locked,
 * 0 when not. */
int secmem_protect_daemon(void);
#define SECMEM_UNMAPPED_MIN (128 * 1024) /* malloc'd blocks this large are unmapped when freed */

/* Page-backed memory for one secret buffer (libsodium's guarded
 * allocation): locked when it can be, never in a core dump (MADV_DONTDUMP),
 * wiped when freed. For the few large buffers that hold a secret. */
void *secmem_page_alloc(size_t n);
void secmem_page_free(void *p);

#endif
