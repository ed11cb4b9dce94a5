/* Whether a profile's usageStats hold it back (SPEC 6 cooldowns and
 * disables), in words a person can trust. A disabledUntil far in the
 * future is a sentinel for "until someone acts" (invalid_grant stores
 * the largest valid time, year 275760; other tools write similar values):
 * it is shown as "disabled" with its reason, never as a date or a
 * countdown of a hundred million days. */
#ifndef NV_AVAIL_H
#define NV_AVAIL_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* Past this much time ahead an unavailability has no date worth showing:
 * the longest real one is a billing disable (billingMaxHours, 24 h by
 * default). */
#define AVAIL_HORIZON_MS (366LL * 86400000)

enum avail_kind {
	AVAIL_NOW,          /* usable as far as usageStats go */
	AVAIL_COOLDOWN,     /* cooldownUntil: back by itself at until */
	AVAIL_DISABLED,     /* disabledUntil: back by itself at until */
	AVAIL_DISABLED_OPEN /* no real end (past AVAIL_HORIZON_MS): someone has to act */
};

struct avail {
	enum avail_kind kind;
	int64_t until;        /* COOLDOWN, DISABLED: when it is back (a real date); else 0 */
	const char *reason;   /* disabledReason (borrowed from usage) or NULL */
	const char *message;  /* disabledMessage (borrowed) or NULL */
};

/* Read usage (a usageStats entry, may be NULL) at now. This can't fail. */
struct avail avail_of(const cJSON *usage, int64_t now);

/* The status file's `cooldown:` value: "none", time left ("4m", "5h"),
 * or "disabled" for one without an end. */
void avail_left(const struct avail *a, int64_t now, char *out, size_t cap);

/* One phrase for a line of text: "in cooldown for 4m, until <ISO time>",
 * "disabled (billing) for
 * 5h, until 2026-12-02T15:56:42Z", "disabled (auth: re-authentication
 * required)"; "" when available. Control bytes of the reason are the
 * caller's to make visible. */
void avail_phrase(const struct avail *a, int64_t now, char *out, size_t cap);

/* Add "cooldown", "available_at" (only with a real end), "disabled_reason"
 * and "disabled_message" to o: the keys of the status file and the
 * health file. */
void avail_to_json(const struct avail *a, int64_t now, cJSON *o);

#endif
