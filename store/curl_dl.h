/* libcurl, loaded on first use. The binary does not link libcurl: its
 * dependency tree (TLS, HTTP/2, IDN, LDAP, Kerberos, SSH: about thirty
 * shared libraries) cost every process a few milliseconds in the dynamic
 * loader, most of the run time of `models auth token`. store/curl_dl.c
 * defines the curl_* functions the code calls, with libcurl's own
 * prototypes, and resolves them with dlopen("libcurl.so.4") the first time
 * one is called; the call sites keep using <curl/curl.h> unchanged.
 * A curl function the shim does not define fails the link: add it there. */
#ifndef NV_CURL_DL_H
#define NV_CURL_DL_H

#include "store/error.h"

/* Load libcurl and run its global set-up, once per process, thread-safely.
 * Every network path calls it first. Returns 0, or -ELIBACC with a message
 * saying what to install when the library cannot be loaded; every curl_*
 * function then fails the way libcurl reports failure (NULL, an error
 * code) instead of crashing. */
int net_init(struct nv_err *err);

#endif
