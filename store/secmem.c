/* Wiping allocator and process hardening. The allocator keeps the size in
 * a header so free can zero the whole block: cJSON strings that held a
 * token never linger in freed heap memory. */
#include "store/secmem.h"

#include <cjson/cJSON.h>
#include <malloc.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#define HDR 16

void *secmem_alloc(size_t n)
{
	unsigned char *p = malloc(n + HDR);
	if (!p)
		return NULL;
	memcpy(p, &n, sizeof(n));
	return p + HDR;
}

void secmem_free(void *ptr)
{
	if (!ptr)
		return;
	unsigned char *p = (unsigned char *)ptr - HDR;
	size_t n;
	memcpy(&n, p, sizeof(n));
	sodium_memzero(p, n + HDR);
	free(p);
}

char *secmem_strndup(const char *s, size_t n)
{
	char *d = secmem_alloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

int secmem_init(void)
{
	struct rlimit no_core = { 0, 0 };
	setrlimit(RLIMIT_CORE, &no_core);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (sodium_init() < 0)
		return -1;

	cJSON_Hooks hooks = { secmem_alloc, secmem_free };
	cJSON_InitHooks(&hooks);
	return 0;
}

int secmem_protect_daemon(void)
{
	struct rlimit rl;
	/* a fixed threshold (the default's value) stops glibc raising it
	 * after each large free: blocks from 128 KiB on stay mmapped, and
	 * their free() unmaps them, so nothing of them is left to read */
	mallopt(M_MMAP_THRESHOLD, SECMEM_UNMAPPED_MIN);
	/* a limited memlock with MCL_FUTURE would make later allocations
	 * fail (thread stacks, libfuse buffers): lock only when unlimited or
	 * privileged, and only the pages that are touched (MCL_ONFAULT) */
	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && (rl.rlim_cur == RLIM_INFINITY || geteuid() == 0) &&
	    mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) == 0)
		return 1;
	return 0;
}

void *secmem_page_alloc(size_t n)
{
	return sodium_malloc(n);
}

void secmem_page_free(void *p)
{
	if (p)
		sodium_free(p);
}
