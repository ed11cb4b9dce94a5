/* Control bytes made visible for terminals (see vis.h). */
#include "store/vis.h"
#include "store/secmem.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence at s (its code point in *cp),
 * or 0 when s[0] does not start one. */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
	size_t n;
	uint32_t v, min;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, v = s[0] & 0x1f, min = 0x80;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, v = s[0] & 0x0f, min = 0x800;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, v = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* the terminating NUL stops here too */
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

/* C1 controls and the bidi overrides: valid UTF-8 that a terminal acts on. */
static int hidden_cp(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* A C0 control or DEL as it is written in C: \a to \r by name. */
static void control_name(uint32_t cp, char shown[8])
{
	static const char letters[] = "abtnvfr"; /* 7 to 13 */
	if (cp >= 7 && cp <= 13)
		snprintf(shown, 8, "\\%c", letters[cp - 7]);
	else
		snprintf(shown, 8, "\\x%02x", (unsigned)cp);
}

enum vis_mode { VIS_ALL, VIS_LINES, VIS_JSON };

/* The character at s: its length, and in shown its visible form when it
 * must change (shown[0] stays NUL when it passes as is). VIS_LINES keeps
 * line breaks; VIS_JSON is the form inside a JSON string, where cJSON
 * already escaped C0: \uNNNN, and U+FFFD for a byte JSON cannot hold. */
static size_t one(const unsigned char *s, char shown[8], enum vis_mode mode)
{
	int json = mode == VIS_JSON;
	uint32_t cp;
	size_t n = utf8_next(s, &cp);
	shown[0] = '\0';
	if (n == 0) {
		if (json)
			snprintf(shown, 8, "\\ufffd");
		else
			snprintf(shown, 8, "\\x%02x", s[0]);
		return 1;
	}
	if (hidden_cp(cp) || (json && cp == 0x7f))
		snprintf(shown, 8, "\\u%04x", (unsigned)cp);
	else if (!json && (cp < 0x20 || cp == 0x7f) && !(mode == VIS_LINES && cp == '\n'))
		control_name(cp, shown);
	return n;
}

static int put(struct out *o, const char *s, enum vis_mode mode)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;
	char shown[8];
	int rc = 0;
	while (*p && rc == 0) {
		size_t n = one(p, shown, mode);
		if (shown[0]) {
			rc = out_putn(o, (const char *)run, (size_t)(p - run));
			if (rc == 0)
				rc = out_puts(o, shown);
			run = p + n;
		}
		p += n;
	}
	if (rc == 0)
		rc = out_putn(o, (const char *)run, (size_t)(p - run));
	return rc;
}

int vis_needed(const char *s)
{
	char shown[8];
	for (const unsigned char *p = (const unsigned char *)s; p && *p;) {
		p += one(p, shown, VIS_ALL);
		if (shown[0])
			return 1;
	}
	return 0;
}

int vis_put(struct out *o, const char *s)
{
	return put(o, s ? s : "", VIS_ALL);
}

int vis_put_lines(struct out *o, const char *s)
{
	return put(o, s ? s : "", VIS_LINES);
}

char *vis_dup(const char *s)
{
	struct out o = { 0 };
	if (out_puts(&o, "") < 0 || vis_put(&o, s) < 0) {
		out_free(&o);
		return NULL;
	}
	return o.p; /* the caller owns it now */
}

/* Replace *slot (a cJSON string, allocated through the secmem hooks) by
 * its visible form. */
static int vis_slot(char **slot)
{
	if (!*slot || !vis_needed(*slot))
		return 0;
	char *v = vis_dup(*slot);
	if (!v)
		return -ENOMEM;
	cJSON_free(*slot);
	*slot = v;
	return 0;
}

int vis_json(cJSON *v)
{
	int rc = 0;
	if (!v)
		return 0;
	if (v->string && !(v->type & cJSON_StringIsConst))
		rc = vis_slot(&v->string);
	if (rc == 0 && cJSON_IsString(v) && !(v->type & cJSON_IsReference))
		rc = vis_slot(&v->valuestring);
	for (cJSON *c = v->child; c && rc == 0; c = c->next)
		rc = vis_json(c);
	return rc;
}

char *vis_json_print(const cJSON *v, int formatted)
{
	char *t = formatted ? cJSON_Print(v) : cJSON_PrintUnformatted(v);
	struct out o = { 0 };
	if (!t)
		return NULL;
	int rc = out_puts(&o, "");
	if (rc == 0)
		rc = put(&o, t, VIS_JSON);
	cJSON_free(t);
	if (rc < 0) {
		out_free(&o);
		return NULL;
	}
	return o.p; /* secmem memory: cJSON_free (the same hooks) frees it */
}
