/* The wiping text buffer. */
#include "store/textbuf.h"
#include "store/secmem.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Room for n more bytes and a NUL. The old block is wiped as it is
 * freed, so growing never leaves a copy behind. */
static int reserve(struct out *o, size_t n)
{
	if (o->len + n + 1 <= o->cap)
		return 0;
	size_t cap = (o->len + n + 1) * 2;
	char *p = secmem_alloc(cap);
	if (!p)
		return -ENOMEM;
	if (o->p)
		memcpy(p, o->p, o->len + 1);
	secmem_free(o->p);
	o->p = p;
	o->cap = cap;
	return 0;
}

int out_putn(struct out *o, const char *s, size_t n)
{
	int rc = reserve(o, n);
	if (rc < 0)
		return rc;
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
	return 0;
}

int out_puts(struct out *o, const char *s)
{
	return out_putn(o, s, strlen(s));
}

int out_line(struct out *o, const char *s)
{
	int rc = out_puts(o, s);
	return rc < 0 ? rc : out_putn(o, "\n", 1);
}

/* Formatted straight into the wiping block: no stack copy of what may be
 * a secret, and no length limit. */
int out_vprintf(struct out *o, const char *fmt, va_list ap)
{
	va_list again;
	va_copy(again, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	int rc = n < 0 ? -EINVAL : reserve(o, (size_t)n);
	if (rc == 0) {
		vsnprintf(o->p + o->len, (size_t)n + 1, fmt, again);
		o->len += (size_t)n;
	}
	va_end(again);
	return rc;
}

int out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = out_vprintf(o, fmt, ap);
	va_end(ap);
	return rc;
}

void out_free(struct out *o)
{
	secmem_free(o->p);
	memset(o, 0, sizeof(*o));
}
