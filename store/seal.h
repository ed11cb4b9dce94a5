/* The sealed envelope (XChaCha20-Poly1305-IETF) and the store key. */
#ifndef NV_SEAL_H
#define NV_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "store/error.h"

#define SEAL_KEY_BYTES 32
#define SEAL_KEYID_LEN 16
#define SEAL_FORMAT "nova-engine-sealed/1"
#define SEAL_CIPHER "xchacha20poly1305-ietf"

struct seal_key {
	unsigned char bytes[SEAL_KEY_BYTES];
	char id[SEAL_KEYID_LEN + 1];   /* hex of a hash of the key: names it, hides it */
};

/* Where the key lives: NOVA_ENGINE_KEY_FILE, else
 * $CREDENTIALS_DIRECTORY/nova-engine.key when present, else
 * <state_dir>/store.key. *creatable says whether we may make it. */
void seal_key_path(const char *state_dir, char *out, size_t cap, int *creatable);

/* Load the key into *key (sodium_malloc'd, free with seal_key_free).
 * create: make a new one (0600, O_EXCL) when it does not exist.
 * Refuses a key file that group or others can read. -ENOENT when absent
 * and !create. */
int seal_key_load(const char *path, int create, struct seal_key **key, struct nv_err *err);

/* Make a fresh random key (not saved). */
int seal_key_new(struct seal_key **key, struct nv_err *err);
/* Save key to path (0600, atomic replace). */
int seal_key_save(const char *path, const struct seal_key *key, struct nv_err *err);
void seal_key_free(struct seal_key *key);

/* Is text a sealed envelope (vs. a plaintext store)? */
int seal_is_envelope(const char *text, size_t len);

/* The keyId an envelope names, into out[SEAL_KEYID_LEN + 1]; 0 or -EINVAL. */
int seal_envelope_keyid(const char *text, size_t len, char *out);

/* Seal plain for agent. *out is a malloc'd NUL-terminated JSON text. */
int seal_close(const struct seal_key *key, const char *agent, const char *plain, size_t len,
	       char **out, struct nv_err *err);

/* Open an envelope read from path for agent. *plain is secmem-allocated
 * and NUL-terminated. Any tampering, truncation, wrong key or agent gives
 * EBADMSG with a message that names path. */
int seal_open(const struct seal_key *key, const char *agent, const char *path,
	      const char *text, size_t len, char **plain, size_t *plain_len, struct nv_err *err);

#endif
