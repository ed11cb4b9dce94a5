/* Where a credential may be sent (SPEC 12): https:// anywhere, plain
 * http:// only to a loopback host. Every request that carries a secret
 * (probes, OAuth refresh, the login code exchange, any future backend)
 * asks net_url_allowed first and sends nothing when it says no. */
#ifndef NV_NETPOLICY_H
#define NV_NETPOLICY_H

#include "store/error.h"

/* 0 when url may carry a credential; else -EPERM with err naming the
 * URL's host and where to fix it (setting: the config key that gave the
 * URL, e.g. "models.providers.anthropic.baseUrl"; may be NULL). A URL
 * that does not parse is -EINVAL. Never looks anything up on the network. */
int net_url_allowed(const char *url, const char *setting, struct nv_err *err);

/* Set on a transfer to url that carries a credential: unless url is
 * https, no proxy (http_proxy, ALL_PROXY from the environment). A plain
 * http request goes through a proxy as plain text, so the loopback
 * exception would send the credential to the proxy's host in clear. */
void net_direct_unless_https(void *curl, const char *url);

/* Whether host (as a URL parser gives it: "[::1]" for IPv6) is loopback:
 * 127.0.0.0/8, ::1, or the name localhost. */
int net_host_is_loopback(const char *host);

#endif
