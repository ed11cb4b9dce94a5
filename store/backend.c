/* Choosing the backend from config store.backend, and the calls store.c
 * makes through it (see backend.h). */
#include "store/backend_impl.h"
#include "store/config.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int backend_make(const cJSON *config, const char *name, struct backend **out, struct nv_err *err)
{
	struct backend *b = calloc(1, sizeof(*b));
	if (!b)
		return nv_fail(err, ENOMEM, "out of memory");
	int rc = 0;
	if (name && !strcmp(name, "file"))
		b->ops = &backend_file_ops;
	else if (name && !strcmp(name, "etcd")) {
		b->ops = &backend_etcd_ops;
		rc = backend_etcd_open(b, config, err);
	} else
		rc = nv_fail(err, EINVAL, "store.backend must be \"file\" or \"etcd\", not %.64s%s%s",
			     name ? "\"" : "a non-string", name ? name : "", name ? "\"" : "");
	if (rc < 0) {
		backend_free(b);
		return rc;
	}
	*out = b;
	return 0;
}

/* What a home's backend is made of: config store.* and the environment's
 * endpoints. (The text may hold a password: wiped.) */
static void settings_digest(const cJSON *config, unsigned char out[32])
{
	char *s = cJSON_PrintUnformatted(config_get(config, "store"));
	const char *env = getenv("NOVA_ENGINE_ETCD_ENDPOINTS");
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const unsigned char *)(s ? s : ""), s ? strlen(s) + 1 : 1);
	crypto_generichash_update(&st, (const unsigned char *)(env ? env : ""), env ? strlen(env) + 1 : 1);
	crypto_generichash_final(&st, out, 32);
	if (s) {
		sodium_memzero(s, strlen(s));
		cJSON_free(s);
	}
}

int backend_configured(const cJSON *config, struct backend **out, struct nv_err *err)
{
	const cJSON *kind = config_get(config, "store.backend");
	int rc = backend_make(config, kind ? cJSON_GetStringValue(kind) : "file", out, err);
	if (rc == 0)
		settings_digest(config, (*out)->settings);
	return rc;
}

int backend_differs(const struct backend *b, const cJSON *config)
{
	unsigned char now[32];
	settings_digest(config, now);
	return memcmp(now, b->settings, sizeof(now)) != 0;
}

void backend_retire(struct backend *b, struct backend *old)
{
	b->retired = old;
}

void backend_free(struct backend *b)
{
	while (b) {
		struct backend *older = b->retired;
		etcd_free(b->etcd);
		free(b);
		b = older;
	}
}

const char *backend_name(const struct backend *b)
{
	return b->ops->name;
}

int backend_cas(const struct backend *b)
{
	return b->ops->cas;
}

int backend_watched(const struct backend *b)
{
	return b->watched;
}

int backend_sealed_only(const struct backend *b)
{
	return b->ops->sealed_only;
}

void backend_object(const struct backend *b, struct home *h, const char *agent, struct be_obj *o)
{
	b->ops->object(b, h, agent, o);
}

int backend_read(const struct backend *b, const struct be_obj *o, const struct store_ver *have, char **text,
		 size_t *len, struct store_ver *now, struct nv_err *err)
{
	*text = NULL;
	*len = 0;
	return b->ops->read(b, o, have, text, len, now, err);
}

int backend_write(const struct backend *b, const struct be_obj *o, const char *text, size_t len,
		  const struct store_ver *expect, const struct be_lock *l, struct store_ver *now, struct nv_err *err)
{
	return b->ops->write(b, o, text, len, expect, l, now, err);
}

int backend_lock(const struct backend *b, const struct be_obj *o, struct be_lock *l, struct nv_err *err)
{
	memset(l, 0, sizeof(*l));
	l->fd = -1;
	return b->ops->lock(b, o, l, err);
}

void backend_unlock(const struct backend *b, struct be_lock *l)
{
	b->ops->unlock(b, l);
}

int backend_sealed_any(const struct backend *b, struct home *h, struct nv_err *err)
{
	return b->ops->sealed_any(b, h, err);
}

void backend_check(const struct backend *b, struct home *h, backend_report_fn report, void *arg)
{
	if (b->ops->check)
		b->ops->check(b, h, report, arg);
}
