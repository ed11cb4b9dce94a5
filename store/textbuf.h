/* A growing text buffer in wiping memory: generated content (a token file,
 * a status view) may hold secrets. */
#ifndef NV_TEXTBUF_H
#define NV_TEXTBUF_H

#include <stdarg.h>
#include <stddef.h>

struct out {
	char *p;            /* NUL-terminated once anything was put */
	size_t len, cap;
};

/* Append; 0 or -ENOMEM (the buffer is unchanged then). */
int out_puts(struct out *o, const char *s);
int out_putn(struct out *o, const char *s, size_t n);  /* n bytes of s */
/* s and a newline, copied straight in: the way for a secret, which never
 * goes through printf (glibc formats through buffers of its own). */
int out_line(struct out *o, const char *s);
int out_printf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int out_vprintf(struct out *o, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Wipe and free; the buffer is empty and reusable after. */
void out_free(struct out *o);

#endif
