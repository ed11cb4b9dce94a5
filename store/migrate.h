/* nova-engine store migrate --to etcd|file (SPEC 14): every agent's store
 * moved to the other backend, sealed for its new place, read back and
 * compared, then config store.backend switched. Idempotent: a store already
 * there with the same content is counted, not written again; a different
 * one is never overwritten. */
#ifndef NV_MIGRATE_H
#define NV_MIGRATE_H

#include "store/error.h"
#include "store/home.h"

struct migrate_result {
	int moved;     /* written to the target and verified */
	int same;      /* already there, identical */
};

int store_migrate(struct home *h, const char *to, struct migrate_result *r, struct nv_err *err);

#endif
