/* Credentials: the three types, validation, type inference, masking, and
 * profile ids. A credential is a cJSON object in the store document. */
#ifndef NV_PROFILE_H
#define NV_PROFILE_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "store/error.h"

#define SECRET_MAX 8192          /* longest secret we accept */
#define PROFILE_NAME_MAX 128
#define PROFILE_ID_MAX (64 + 1 + PROFILE_NAME_MAX)
#define EXPIRES_MAX 8640000000000000LL
#define MASK_MAX 32

enum cred_type { CRED_NONE = -1, CRED_API_KEY, CRED_TOKEN, CRED_OAUTH };

enum cred_type cred_type_of(const cJSON *cred);
enum cred_type cred_type_parse(const char *s);
const char *cred_type_name(enum cred_type t);

/* The secret a caller would send: key, token or access. NULL if blank. */
const char *cred_secret(const cJSON *cred);
const char *cred_provider(const cJSON *cred);

/* expires in ms when valid per SPEC 2, else 0. */
int64_t cred_expires(const cJSON *cred);
/* Give cred an expiry (ms since the epoch); 0, or -ENOMEM (cred unchanged). */
int cred_set_expires(cJSON *cred, int64_t expires_ms);

/* The account an OAuth login named (NULL: none). */
const char *cred_email(const cJSON *cred);

/* Usable per SPEC 6 step 2 (non-blank secret, token not expired, oauth
 * with access or refresh). */
int cred_usable(const cJSON *cred, int64_t now_ms);

/* Check a secret: non-empty, at most SECRET_MAX bytes, printable ASCII
 * without spaces. what names it in the message ("token", "API key"). */
int secret_check(const char *s, size_t len, const char *what, struct nv_err *err);

/* What a person would check before storing a pasted secret (SPEC 12):
 * not wrapped in quotes (refused, never silently unquoted: a quote is
 * never part of a real key), and not shorter than the provider's
 * shortest key (provider_min_key). EINVAL with the reason. */
int secret_plausible(const char *provider, const char *s, size_t len, const char *what, struct nv_err *err);
/* Its first half: the quotes alone. */
int secret_unquoted(const char *s, size_t len, const char *what, struct nv_err *err);

/* Strip leading and trailing white space in place; returns new length. */
size_t secret_trim(char *s, size_t len);

/* Mask for display (SPEC 12, the one masking rule of every view): first
 * 8 + "..." + last 8 from 64 characters, 4 + "..." + 4 from 32, and
 * SECRET_HIDDEN under 32 (empty for an empty secret). */
#define SECRET_HIDDEN "(hidden)"
void secret_mask(const char *s, char out[MASK_MAX]);

/* Build a credential for provider from text written by a user: a JSON
 * credential object stored as is (after validation), or a plain secret
 * whose type is inferred (sk-ant-oat prefix: token, else api_key).
 * force_type (CRED_NONE: infer) pins the plain-secret type. */
int cred_from_text(const char *provider, const char *text, size_t len,
		   enum cred_type force_type, cJSON **out, struct nv_err *err);

/* Check text still being written as one value for cred_from_text (more
 * may follow): -EINVAL as soon as nothing that follows could make it valid
 * (a NUL or other control byte, a second line, white space inside a plain
 * secret, longer than SECRET_MAX). Text ending in a newline is a complete
 * value and is checked whole, except a JSON object that does not parse
 * yet (the rest may come). 0 otherwise; nothing is kept. */
int cred_text_check(const char *provider, const char *text, size_t len, struct nv_err *err);

/* Validate a credential object for provider (types, fields, expires). */
int cred_validate(const cJSON *cred, const char *provider, struct nv_err *err);

/* Profile names and ids. name_check applies SPEC 2 (printable UTF-8, no
 * '/', not . or .., not a reserved file name). */
int profile_name_check(const char *name, struct nv_err *err);

/* A name for a new profile (SPEC 12): [A-Za-z0-9._@+-]{1,128} as well.
 * Existing profiles (an older store's) keep the looser SPEC 2 rule. */
int profile_name_new_check(const char *name, struct nv_err *err);

/* profile_id_parse for an id about to be created: its name must pass
 * profile_name_new_check. */
int profile_id_new(const char *text, const char *provider, char *out, char *provider_out, struct nv_err *err);

/* Parse "<provider>:<name>" (or a bare name when provider is given) into
 * a canonical id in out[PROFILE_ID_MAX + 1]; provider_out may be NULL. */
int profile_id_parse(const char *text, const char *provider, char *out,
		     char *provider_out, struct nv_err *err);

/* File names the filesystem uses inside a provider directory. */
int profile_name_reserved(const char *name);

#endif
