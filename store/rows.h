/* Typed rows: an agent's stored credentials as plain C structs, so the
 * faces (cli/, fs/) list, label and count them without knowing the
 * store document's shape. Each row carries its verdict (expiry state,
 * masked secret, cooldown, place in the order) computed here once. */
#ifndef NV_ROWS_H
#define NV_ROWS_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "store/avail.h"
#include "store/health.h"
#include "store/profile.h"
#include "store/store.h"
#include "store/verdict.h"

struct cred_row {
	char *id;                   /* the profile id as stored */
	char *provider;             /* "" when the credential names none */
	/* The directory name under <provider>/: the part after
	 * "<provider>:" when that is a valid profile name, else "". */
	char *name;
	enum cred_type type;
	char mask[MASK_MAX];        /* the secret as SPEC 12 shows it */
	struct health health;       /* SPEC 7 */
	int64_t expires;            /* ms; 0: no valid expiry */
	/* Cooldown or disable (store/avail.h); its reason and message are
	 * the row's own copies. */
	struct avail avail;
	int64_t last_used;          /* ms; 0: never */
	char *email;                /* the account an OAuth login named; NULL: none */
	/* The verdict, computed here once for every view (status files,
	 * models status and --check, doctor, metrics): */
	/* 1-based place in the provider's effective order (SPEC 6); 0 when
	 * the credential is not used at all. */
	int position;
	enum unusable unusable;     /* why it is never used (store/verdict.h); USABLE: it can be */
	int servable;               /* not expired past refreshing: in the order, `token` would serve it */
	int check;                  /* its expiry for --check: 1 expired/missing, 2 expiring, 0 fine */
};

/* What to list: provider NULL for every provider; id NULL for every
 * profile. unordered: leave position 0 (the order is not resolved), for
 * listings that never show it; resolving it costs more than the rest of
 * a row. */
struct cred_filter {
	const char *provider;
	const char *id;
	int unordered;
};

/* The rows of st's agent that pass f (NULL: all), in document order.
 * *rows is NULL when *n is 0. On error nothing is allocated, *rows is
 * NULL and *n 0. */
int creds_list(struct store *st, const struct cred_filter *f, struct cred_row **rows, size_t *n,
	       struct nv_err *err);

/* Is there a stored profile that passes f? 1, 0, or -errno. Cheaper than
 * creds_list: nothing is computed or copied. */
int creds_has(struct store *st, const struct cred_filter *f, struct nv_err *err);

/* The same rows from a document and config already held (for views built
 * inside store_read); -ENOMEM. */
int cred_rows_of(const cJSON *doc, const cJSON *config, const struct cred_filter *f, int64_t now,
		 struct cred_row **rows, size_t *n);

/* cred_rows_free(NULL, 0) does nothing. */
void cred_rows_free(struct cred_row *rows, size_t n);

#endif
