/* Text that reaches a terminal: control bytes made visible (SPEC 12).
 * Strings from stores, configs, providers, the environment and the user
 * may hold escape sequences (a provider message "\e]0;...\a" retitles a
 * terminal, "\e[2J" clears it); every text view prints them through here.
 *
 * Shown as: \a \b \t \n \v \f \r for those, \xNN for the other C0 bytes,
 * DEL and every byte of invalid UTF-8 (overlong, surrogate, truncated);
 * \uNNNN for the C1 controls U+0080-U+009F and the bidirectional
 * overrides U+202A-U+202E, U+2066-U+2069 (they reorder what is shown).
 * Everything else, printable UTF-8 included, passes unchanged. */
#ifndef NV_VIS_H
#define NV_VIS_H

#include <cjson/cJSON.h>

#include "store/textbuf.h"

/* Does s hold anything that vis would change? */
int vis_needed(const char *s);

/* Append s to o made visible; 0 or -ENOMEM. */
int vis_put(struct out *o, const char *s);

/* The same for a multi-line text: its line breaks stay. */
int vis_put_lines(struct out *o, const char *s);

/* s made visible, in wiping memory (free with secmem_free); NULL only
 * when out of memory. */
char *vis_dup(const char *s);

/* Every string value and object key in v made visible, in place, for a
 * text rendering of a JSON view (never for JSON output); 0 or -ENOMEM. */
int vis_json(cJSON *v);

/* v as JSON text (formatted or not) safe for a terminal: cJSON escapes
 * C0 controls, this also writes DEL, C1 and bidi controls as \uNNNN
 * (the same value to a JSON reader) and invalid UTF-8 as \ufffd. Free
 * with cJSON_free; NULL when out of memory. */
char *vis_json_print(const cJSON *v, int formatted);

#endif
