/* The store key of one process (SPEC 12): where the key file is, the key
 * loaded on first need, the key of a rekey in progress (<key>.next), and
 * the rules that keep one key forever: a key is made at most once, never
 * while a sealed store exists that only a lost key could open, and a key
 * file gone from disk stops writes (what they sealed could never be opened
 * again) but not reads. A rekey made by another process shows: the key
 * file is compared with what was loaded on every get. Thread-safe. */
#ifndef NV_KEYRING_H
#define NV_KEYRING_H

#include "store/error.h"
#include "store/seal.h"

struct keyring;

/* Whether any sealed store exists (1, 0, or -errno with err filled): the
 * keyring asks before it makes a key. */
typedef int (*keyring_sealed_fn)(void *arg, struct nv_err *err);

/* A keyring for the key file seal_key_path finds from state_dir and the
 * environment. Loads nothing yet. NULL when out of memory. */
struct keyring *keyring_new(const char *state_dir, keyring_sealed_fn sealed, void *arg);
void keyring_free(struct keyring *kr);   /* keyring_free(NULL) does nothing */

const char *keyring_path(const struct keyring *kr);
/* 0 when the key comes from systemd's credentials (read-only, not ours). */
int keyring_creatable(const struct keyring *kr);

/* The key that opens a store sealed with keyid: the current key, or the
 * next one while a rekey is under way (NULL keyid: the current key). The
 * key file is loaded, or loaded again when it changed on disk. The key
 * stays owned by kr. */
int keyring_get(struct keyring *kr, const char *keyid, const struct seal_key **key, struct nv_err *err);

/* The key to seal a write with, made once when there is none and none can
 * have existed (no sealed store anywhere); while a rekey is under way
 * (<key>.next exists), the next key. -ENOKEY ("store key missing:
 * restore <path> from your backup") when the key file is gone while this
 * process holds the key or a sealed store exists. */
int keyring_for_write(struct keyring *kr, const struct seal_key **key, struct nv_err *err);

/* Before a write takes anything in: the -ENOKEY of keyring_for_write,
 * told without loading or making a key. */
int keyring_check(struct keyring *kr, struct nv_err *err);

/* A rekey (store rekey): the new key (a pending <key>.next from an
 * interrupted run, else a fresh one saved there) becomes the key writes
 * seal with; the old one still opens stores not yet resealed. Then every
 * store is resealed and keyring_rekey_finish installs the new key file.
 * Begin holds <key>.lock until finish (or keyring_free): a second rekey
 * waits for the first (ETIMEDOUT after LOCK_WAIT_MS).
 * EPERM when the key comes from systemd's credentials. */
int keyring_rekey_begin(struct keyring *kr, struct nv_err *err);
int keyring_rekey_finish(struct keyring *kr, struct nv_err *err);

/* 1 when a <key>.next is there and no rekey is running: one was
 * interrupted, and writes seal with that key until a rekey finishes. */
int keyring_rekey_interrupted(const struct keyring *kr);

#endif
