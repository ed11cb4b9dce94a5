/* Private to store/backend*.c: the operations each backend fills. */
#ifndef NV_BACKEND_IMPL_H
#define NV_BACKEND_IMPL_H

#include <stdatomic.h>

#include "store/backend.h"
#include "store/etcd.h"

#define ETCD_PREFIX_MAX 256

struct backend_ops {
	const char *name;
	int cas;            /* plain changes by compare-and-swap with retry */
	int sealed_only;    /* a plaintext (legacy) document is refused */
	void (*object)(const struct backend *b, struct home *h, const char *agent, struct be_obj *o);
	int (*read)(const struct backend *b, const struct be_obj *o, const struct store_ver *have, char **text,
		    size_t *len, struct store_ver *now, struct nv_err *err);
	int (*write)(const struct backend *b, const struct be_obj *o, const char *text, size_t len,
		     const struct store_ver *expect, const struct be_lock *l, struct store_ver *now, struct nv_err *err);
	int (*lock)(const struct backend *b, const struct be_obj *o, struct be_lock *l, struct nv_err *err);
	void (*unlock)(const struct backend *b, struct be_lock *l);
	int (*sealed_any)(const struct backend *b, struct home *h, struct nv_err *err);
	void (*check)(const struct backend *b, struct home *h, backend_report_fn report, void *arg);  /* NULL: none */
};

struct backend {
	const struct backend_ops *ops;
	atomic_int watched;                /* a daemon's watch stream is open (store/watch.c) */
	struct etcd *etcd;                 /* etcd backend only */
	char prefix[ETCD_PREFIX_MAX];
	unsigned char settings[32];        /* digest of what it was made from (backend_follow) */
	struct backend *retired;           /* the one it replaced, kept for the stores still on it */
};

extern const struct backend_ops backend_file_ops, backend_etcd_ops;

/* Fill b for the etcd backend from config store.etcd.* and the environment. */
int backend_etcd_open(struct backend *b, const cJSON *config, struct nv_err *err);

#endif
