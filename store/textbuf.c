/* The wiping text buffer. */
#include "store/textbuf.h"
#include "store/secmem.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int out_puts(struct out *o, const char *s)
{
	size_t n = strlen(s);
	if (o->len + n + 1 > o->cap) {
		size_t cap = (o->len + n + 1) * 2;
		char *p = secmem_alloc(cap);
		if (!p)
			return -ENOMEM;
		if (o->p)
			memcpy(p, o->p, o->len);
		secmem_free(o->p);
		o->p = p;
		o->cap = cap;
	}
	memcpy(o->p + o->len, s, n + 1);
	o->len += n;
	return 0;
}

int out_printf(struct out *o, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return out_puts(o, buf);
}

void out_free(struct out *o)
{
	secmem_free(o->p);
	memset(o, 0, sizeof(*o));
}
