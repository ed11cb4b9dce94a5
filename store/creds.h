/* Credential operations both faces call: select the secret to use, put,
 * delete, order overrides with validation, usage reports, and the config
 * bookkeeping that goes with a new profile. */
#ifndef NV_CREDS_H
#define NV_CREDS_H

#include <cjson/cJSON.h>

#include "store/order.h"
#include "store/profile.h"
#include "store/provider.h"
#include "store/store.h"

struct selection {
	char id[PROFILE_ID_MAX + 1];  /* empty when the secret comes from env */
	char env_var[96];             /* set when it does */
	enum cred_type type;
	char secret[SECRET_MAX + 1];  /* wipe with selection_wipe */
};

/* The secret SPEC 6 selects for provider (pin first, may be NULL). An
 * oauth profile due for refresh is refreshed first (SPEC 9); one whose
 * refresh the provider refuses is skipped for the next in order.
 * -ENOKEY: no credential at all; -EKEYEXPIRED: only expired ones;
 * -EKEYREJECTED: the provider refused every one. */
int creds_select(struct store *st, const char *provider, const char *pin,
		 struct selection *sel, struct nv_err *err);

/* The same choice from what is stored, with no refresh, no network and
 * no store lock (for stat): a due OAuth profile gives its access token as
 * it is. */
int creds_select_local(struct store *st, const char *provider, const char *pin,
		       struct selection *sel, struct nv_err *err);

/* The secret of one profile, refreshed first when it is oauth and due.
 * -ENOENT when it does not exist. */
int creds_get(struct store *st, const char *id, struct selection *sel, struct nv_err *err);

void selection_wipe(struct selection *sel);

/* The stored secret of id as it is, with no refresh, and its expiry. */
int creds_get_unrefreshed(struct store *st, const char *id, struct selection *sel, int64_t *expires);

/* Store cred (consumed) as profile id; replaces an existing one. */
int creds_put(struct store *st, const char *id, cJSON *cred, struct nv_err *err);

/* Delete profile id and every reference to it. -ENOENT if absent. */
int creds_delete(struct store *st, const char *id, struct nv_err *err);

/* What paste-token and a write to a token file both do: store cred
 * (consumed) as id and note it in config auth.profiles[id] (provider, and
 * the mode config_mode_after_put allows, so no other agent's credential
 * under id is dropped), moving id to the front of auth.order[provider]
 * when that list exists; in one transaction: when either fails, neither
 * changed. *type gets its type. */
int creds_save(struct store *st, const char *id, const char *provider, cJSON *cred,
	       enum cred_type *type, struct nv_err *err);

/* Set the agent's order override from user words (full ids or short
 * names of provider's profiles). Each must exist and be provider's. */
int creds_order_set(struct store *st, const char *provider, const char *const *words,
		    size_t n, struct nv_err *err);
/* The same checks as creds_order_set, changing nothing. */
int creds_order_check(struct store *st, const char *provider, const char *const *words,
		      size_t n, struct nv_err *err);
int creds_order_clear(struct store *st, const char *provider, struct nv_err *err);

/* The stored override (not the effective order) into a JSON array the
 * caller frees; NULL when there is none. */
int creds_order_override(struct store *st, const char *provider, cJSON **out, struct nv_err *err);

/* The effective order as a JSON array of ids (caller frees). */
int creds_order_effective(struct store *st, const char *provider, cJSON **out, struct nv_err *err);

/* Parse a report: 1 for "good", 0 for "failure <reason>" (*reason set),
 * -EINVAL for anything else. */
int creds_report_check(const char *report, enum failure_reason *reason, struct nv_err *err);

/* Apply "good" or "failure <reason>" to profile id. */
int creds_report(struct store *st, const char *id, const char *report, struct nv_err *err);

/* A deep copy of the document (caller frees) for views and exports. */
int creds_snapshot(struct store *st, cJSON **out, struct nv_err *err);

#endif
