/* One error record for the whole program: store/ fills it, cli/ prints
 * msg, fs/ hands -code to the kernel. */
#ifndef NV_ERROR_H
#define NV_ERROR_H

struct nv_err {
	int code;       /* positive errno */
	char msg[512];  /* lower case, no trailing period, never a secret */
};

/* Fill err (may be NULL) and return -code, so callers can write
 * `return nv_fail(err, EINVAL, "...")`. */
int nv_fail(struct nv_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void nv_err_clear(struct nv_err *err);

#endif
