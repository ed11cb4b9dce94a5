/* Moving credentials in and out of the sealed form: import of a plaintext
 * auth-profiles document, and rekeying every agent's store. */
#ifndef NV_TRANSFER_H
#define NV_TRANSFER_H

#include <cjson/cJSON.h>

#include "store/store.h"

/* Merge a plaintext auth-profiles document read from path into st
 * (imported entries win). Every credential is validated first; nothing is
 * written when one is bad. *count gets the number of profiles imported. */
int store_import(struct store *st, const char *path, int *count, struct nv_err *err);

/* Reseal every known agent's store under a new key, then make it the key.
 * A crash part way leaves <key>.next beside the key; both open stores,
 * and running rekey again finishes with the same new key. */
int store_rekey(struct home *h, int *count, struct nv_err *err);

#endif
