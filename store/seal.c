/* Envelope: {"format","cipher","keyId","nonce","ciphertext"}, base64.
 * The associated data is format, cipher, keyId, nonce and the agent id,
 * so an edited header or a file copied to another agent fails to open. */
#include "store/seal.h"
#include "store/fileio.h"
#include "store/secmem.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define B64 sodium_base64_VARIANT_ORIGINAL
#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES

void seal_key_path(const char *state_dir, char *out, size_t cap, int *creatable)
{
	const char *env = getenv("NOVA_ENGINE_KEY_FILE");
	const char *creds = getenv("CREDENTIALS_DIRECTORY");
	*creatable = 1;
	if (env && *env) {
		snprintf(out, cap, "%s", env);
		return;
	}
	if (creds && *creds) {
		snprintf(out, cap, "%s/nova-engine.key", creds);
		if (access(out, F_OK) == 0) {
			*creatable = 0; /* systemd's credential: read-only */
			return;
		}
	}
	snprintf(out, cap, "%s/store.key", state_dir);
}

static void key_name(struct seal_key *key)
{
	unsigned char h[8];
	crypto_generichash(h, sizeof(h), key->bytes, sizeof(key->bytes), NULL, 0);
	sodium_bin2hex(key->id, sizeof(key->id), h, sizeof(h));
}

static struct seal_key *key_alloc(void)
{
	struct seal_key *k = sodium_malloc(sizeof(*k));
	return k;
}

void seal_key_free(struct seal_key *key)
{
	if (key)
		sodium_free(key); /* sodium_free wipes */
}

int seal_key_new(struct seal_key **out, struct nv_err *err)
{
	struct seal_key *k = key_alloc();
	if (!k)
		return nv_fail(err, ENOMEM, "out of memory");
	randombytes_buf(k->bytes, sizeof(k->bytes));
	key_name(k);
	*out = k;
	return 0;
}

static int key_encode(const struct seal_key *key, char *b64, size_t cap)
{
	sodium_bin2base64(b64, cap, key->bytes, sizeof(key->bytes), B64);
	size_t n = strlen(b64);
	b64[n] = '\n';
	return (int)n + 1;
}

int seal_key_save(const char *path, const struct seal_key *key, struct nv_err *err)
{
	char b64[sodium_base64_ENCODED_LEN(SEAL_KEY_BYTES, B64) + 1];
	int n = key_encode(key, b64, sizeof(b64) - 1);
	int rc = file_replace(path, b64, (size_t)n, 0600, err);
	sodium_memzero(b64, sizeof(b64));
	return rc;
}

static int key_create(const char *path, struct seal_key **out, struct nv_err *err)
{
	char dir[4096];
	path_dirname(path, dir, sizeof(dir));
	int rc = dir_make(dir, 0700, err);
	if (rc < 0)
		return rc;
	if ((rc = seal_key_new(out, err)) < 0)
		return rc;
	/* whole or not at all: a process sharing the file (another host's
	 * daemon, a command) that finds it must never read it half written */
	char b64[sodium_base64_ENCODED_LEN(SEAL_KEY_BYTES, B64) + 1];
	int n = key_encode(*out, b64, sizeof(b64) - 1);
	rc = file_create_whole(path, b64, (size_t)n, 0600, err);
	sodium_memzero(b64, sizeof(b64));
	if (rc < 0) {
		seal_key_free(*out);
		*out = NULL;
	}
	return rc == -EEXIST ? -EAGAIN : rc; /* EEXIST: another process made it first: load theirs */
}

static int key_decode(const char *path, char *text, size_t len, struct seal_key **out, struct nv_err *err)
{
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
		len--;
	struct seal_key *k = key_alloc();
	size_t bin_len = 0;
	if (!k)
		return nv_fail(err, ENOMEM, "out of memory");
	if (sodium_base642bin(k->bytes, sizeof(k->bytes), text, len, NULL, &bin_len, NULL, B64) != 0 ||
	    bin_len != SEAL_KEY_BYTES) {
		seal_key_free(k);
		return nv_fail(err, EINVAL, "key file %s is not a base64 32-byte key", path);
	}
	key_name(k);
	*out = k;
	return 0;
}

int seal_key_load(const char *path, int create, struct seal_key **key, struct nv_err *err)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		struct stat st;
		if (lstat(path, &st) < 0) {
			if (errno != ENOENT)
				return nv_fail(err, errno, "cannot read key file %s: %s", path, strerror(errno));
			if (!create)
				return nv_fail(err, ENOENT, "key file %s does not exist", path);
			int rc = key_create(path, key, err);
			if (rc != -EAGAIN)
				return rc;
			continue;
		}
		if (st.st_mode & 077)
			return nv_fail(err, EPERM, "key file %s can be read by others: run chmod 600 %s", path, path);
		char *text;
		size_t len;
		int rc = file_read(path, 256, &text, &len, err);
		if (rc < 0)
			return rc;
		rc = key_decode(path, text, len, key, err);
		secmem_free(text);
		return rc;
	}
	return nv_fail(err, EIO, "cannot load key file %s", path);
}

static const char *env_str(const cJSON *env, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(env, k));
}

int seal_is_envelope(const char *text, size_t len)
{
	cJSON *env = cJSON_ParseWithLength(text, len);
	const char *f = env_str(env, "format");
	int yes = f && strncmp(f, "nova-engine-sealed/", 19) == 0;
	cJSON_Delete(env);
	return yes;
}

int seal_envelope_keyid(const char *text, size_t len, char *out)
{
	cJSON *env = cJSON_ParseWithLength(text, len);
	const char *id = env_str(env, "keyId");
	int rc = id && strlen(id) == SEAL_KEYID_LEN ? 0 : -EINVAL;
	if (rc == 0)
		memcpy(out, id, SEAL_KEYID_LEN + 1);
	cJSON_Delete(env);
	return rc;
}

static char *assoc_data(const char *keyid, const char *nonce64, const char *agent)
{
	size_t n = strlen(SEAL_FORMAT) + strlen(SEAL_CIPHER) + strlen(keyid) + strlen(nonce64) + strlen(agent) + 8;
	char *ad = malloc(n);
	if (ad)
		snprintf(ad, n, "%s\n%s\n%s\n%s\n%s", SEAL_FORMAT, SEAL_CIPHER, keyid, nonce64, agent);
	return ad;
}

int seal_close(const struct seal_key *key, const char *agent, const char *plain, size_t len,
	       char **out, struct nv_err *err)
{
	unsigned char nonce[NONCE_BYTES];
	char nonce64[sodium_base64_ENCODED_LEN(NONCE_BYTES, B64)];
	randombytes_buf(nonce, sizeof(nonce));
	sodium_bin2base64(nonce64, sizeof(nonce64), nonce, sizeof(nonce), B64);
	size_t clen = len + TAG_BYTES;
	size_t b64len = sodium_base64_ENCODED_LEN(clen, B64);
	unsigned char *cipher = malloc(clen);
	char *cipher64 = malloc(b64len);
	char *ad = assoc_data(key->id, nonce64, agent);
	cJSON *env = cJSON_CreateObject();
	int rc = 0;
	if (!cipher || !cipher64 || !ad || !env) {
		rc = nv_fail(err, ENOMEM, "out of memory sealing the store");
		goto out;
	}
	unsigned long long got;
	crypto_aead_xchacha20poly1305_ietf_encrypt(cipher, &got, (const unsigned char *)plain, len,
						   (unsigned char *)ad, strlen(ad), NULL, nonce, key->bytes);
	sodium_bin2base64(cipher64, b64len, cipher, (size_t)got, B64);
	cJSON_AddStringToObject(env, "format", SEAL_FORMAT);
	cJSON_AddStringToObject(env, "cipher", SEAL_CIPHER);
	cJSON_AddStringToObject(env, "keyId", key->id);
	cJSON_AddStringToObject(env, "nonce", nonce64);
	cJSON_AddStringToObject(env, "ciphertext", cipher64);
	*out = cJSON_PrintUnformatted(env);
	if (!*out)
		rc = nv_fail(err, ENOMEM, "out of memory sealing the store");
out:
	cJSON_Delete(env);
	free(cipher);
	free(cipher64);
	free(ad);
	return rc;
}

static int bad(struct nv_err *err, const char *path, const char *why)
{
	return nv_fail(err, EBADMSG, "cannot open store %s: %s", path, why);
}

int seal_open(const struct seal_key *key, const char *agent, const char *path,
	      const char *text, size_t len, char **plain, size_t *plain_len, struct nv_err *err)
{
	cJSON *env = cJSON_ParseWithLength(text, len);
	const char *fmt = env_str(env, "format"), *cipher = env_str(env, "cipher");
	const char *keyid = env_str(env, "keyId"), *nonce64 = env_str(env, "nonce");
	const char *ct64 = env_str(env, "ciphertext");
	int rc;
	if (!fmt || !cipher || !keyid || !nonce64 || !ct64) {
		rc = bad(err, path, "the envelope is damaged or truncated");
		goto out;
	}
	if (strcmp(fmt, SEAL_FORMAT) != 0 || strcmp(cipher, SEAL_CIPHER) != 0) {
		rc = nv_fail(err, EBADMSG, "cannot open store %s: unsupported format \"%.40s\" / cipher \"%.40s\"", path, fmt, cipher);
		goto out;
	}
	if (strcmp(keyid, key->id) != 0) {
		rc = nv_fail(err, EBADMSG, "cannot open store %s: it was sealed with key %.16s, but the key in use is %s (wrong key file?)", path, keyid, key->id);
		goto out;
	}
	unsigned char nonce[NONCE_BYTES];
	size_t nlen = 0, ct_cap = strlen(ct64), ct_len = 0;
	unsigned char *ct = malloc(ct_cap + 1);
	char *ad = assoc_data(keyid, nonce64, agent);
	char *out = NULL;
	rc = 0;
	if (!ct || !ad) {
		rc = nv_fail(err, ENOMEM, "out of memory");
	} else if (sodium_base642bin(nonce, sizeof(nonce), nonce64, strlen(nonce64), NULL, &nlen, NULL, B64) != 0 ||
		   nlen != NONCE_BYTES ||
		   sodium_base642bin(ct, ct_cap, ct64, ct_cap, NULL, &ct_len, NULL, B64) != 0 || ct_len < TAG_BYTES) {
		rc = bad(err, path, "the envelope is damaged or truncated");
	} else if (!(out = secmem_alloc(ct_len - TAG_BYTES + 1))) {
		rc = nv_fail(err, ENOMEM, "out of memory");
	} else {
		unsigned long long plen;
		if (crypto_aead_xchacha20poly1305_ietf_decrypt((unsigned char *)out, &plen, NULL, ct, ct_len,
							       (unsigned char *)ad, strlen(ad), nonce, key->bytes) != 0) {
			rc = bad(err, path, "authentication failed (the file was altered, truncated, or belongs to another agent)");
			secmem_free(out);
		} else {
			out[plen] = '\0';
			*plain = out;
			*plain_len = (size_t)plen;
		}
	}
	free(ct);
	free(ad);
out:
	cJSON_Delete(env);
	return rc;
}
