/* The `models status` view as one JSON object, so text and --json show
 * the same facts, and the --check verdict. */
#ifndef NV_OVERVIEW_H
#define NV_OVERVIEW_H

#include <cjson/cJSON.h>

#include "store/store.h"

/* Build the view for st's agent. The object carries "check": 0 healthy,
 * 1 expired/missing or a provider in use without credential, 2 expiring. */
int overview_build(struct store *st, cJSON **out, struct nv_err *err);

#endif
