/* The OAuth authorization-code flow with PKCE behind `models auth login`:
 * the authorize URL, reading back what the user pasted or what the browser
 * sent to the loopback callback, and the code exchange. No terminal or
 * socket here: cli/cmd_login.c does the talking. */
#ifndef NV_LOGIN_H
#define NV_LOGIN_H

#include <cjson/cJSON.h>

#include "store/oauth.h"
#include "store/profile.h"
#include "store/provider.h"

struct login {
	char provider[PROVIDER_MAX + 1];
	struct oauth_endpoint ep;
	char verifier[64];   /* PKCE secret: base64url of 32 random bytes */
	char challenge[64];  /* base64url(SHA-256(verifier)) */
	char state[48];
	char url[4096];      /* where the user goes to authorize */
};

int login_begin(struct home *h, const char *provider, struct login *l, struct nv_err *err);

/* Pull the code out of a redirect URL (its state must match), of
 * "code#state" as Anthropic's callback page shows it, or of a bare code. */
int login_code_from_text(const struct login *l, const char *text, char *code, size_t cap, struct nv_err *err);

/* Exchange code for tokens; *cred is the oauth credential to store. */
int login_finish(const struct login *l, const char *code, cJSON **cred, struct nv_err *err);

/* The loopback port of the redirect URI (http://localhost:P or
 * 127.0.0.1:P), or 0 when the provider redirects elsewhere. */
int login_loopback_port(const struct login *l);

void login_wipe(struct login *l);

#endif
