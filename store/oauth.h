/* OAuth for provider accounts (SPEC 9): refresh under the store lock, so
 * at most one refresh per profile is in flight across every process of the
 * host, and the code exchange that `models auth login` ends with. */
#ifndef NV_OAUTH_H
#define NV_OAUTH_H

#include <cjson/cJSON.h>

#include "store/store.h"

#define REFRESH_MARGIN_MS (5LL * 60 * 1000)

/* Where a provider's tokens come from: config models.providers.<p>.oauth
 * (tokenUrl, clientId, authorizeUrl, redirectUri, scope, format "json" or
 * "form"), else the built-in values for anthropic and openai-codex. */
struct oauth_endpoint {
	char token_url[512];
	char client_id[128];
	char authorize_url[512];
	char redirect_uri[512];
	char scope[256];
	char token_setting[160]; /* the config key that sets token_url (for errors) */
	int json_body;
};

/* Fill ep for provider; -ENOENT (message says what to configure) when none. */
int oauth_endpoint_of(struct home *h, const char *provider, struct oauth_endpoint *ep, struct nv_err *err);

/* Does this oauth credential need a refresh at now? */
int oauth_due(const cJSON *cred, int64_t now);

/* Refresh profile id when due: lock, re-read (another process may have
 * done it), POST grant_type=refresh_token, save the rotated pair. 0 when
 * fresh; -EKEYREJECTED when the provider said invalid_grant (the profile is
 * then disabled, reason "auth", "re-authentication required"); another
 * -errno for a network failure, which changes nothing. */
int oauth_refresh(struct store *st, const char *id, struct nv_err *err);

/* The same ahead of time (the daemon's proactive refresh): refreshes when
 * due, or when the credential still expires at seen_expires (nobody else
 * refreshed it since the caller looked). */
int oauth_refresh_ahead(struct store *st, const char *id, int64_t seen_expires, struct nv_err *err);

/* POST fields (NULL-terminated name/value pairs) to the token endpoint;
 * *out is the parsed JSON answer (caller frees) and *http its status. */
int oauth_post(const struct oauth_endpoint *ep, const char *const *fields, long *http,
	       cJSON **out, struct nv_err *err);

/* Turn a token answer into a credential for provider (access, refresh,
 * expires from expires_in, email when the answer names one). */
cJSON *oauth_credential(const char *provider, const cJSON *answer, const char *client_id);

/* Bound the token-endpoint calls of the calling thread (default 15 s; 0
 * restores it): `secrets resolve` must answer within its caller's 5 s, and
 * the daemon's proactive refresh holds the agent's store lock meanwhile. */
void oauth_set_timeout_ms(long ms);

/* The Retry-After (seconds) of the calling thread's last token-endpoint
 * answer; 0 when it gave none (or there was no answer). */
long oauth_retry_after_s(void);

/* Refreshes this process made (for metrics). */
unsigned long oauth_refresh_count(void);

#endif
