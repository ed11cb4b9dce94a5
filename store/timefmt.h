/* Time: the clock (overridable for tests), durations in and out. */
#ifndef NV_TIMEFMT_H
#define NV_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#include "store/error.h"

/* Now in epoch ms. Test hooks: NOVA_ENGINE_NOW_MS pins the clock, and
 * NOVA_ENGINE_NOW_FILE names a file holding it (so a test can move a
 * running daemon's clock past cooldowns and expiries). */
int64_t now_ms(void);

/* Parse ^\d+(\.\d+)?(ms|s|m|h|d)?$ (bare number = days) into ms. */
int duration_parse(const char *s, int64_t *ms, struct nv_err *err);

/* Compact left time: 45m, 3h, 12d ("0m" for less than a minute). */
void duration_format(int64_t ms, char *out, size_t cap);

/* Epoch ms as ISO 8601 UTC ("2026-11-26T14:12:25Z") into out. */
void time_iso(int64_t ms, char out[32]);

#endif
