/* The shared error record. */
#include "store/error.h"

#include <stdarg.h>
#include <stdio.h>

int nv_fail(struct nv_err *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		err->code = code;
	}
	return -code;
}

void nv_err_clear(struct nv_err *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}
