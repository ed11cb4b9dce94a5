/* Cooldowns and disables as a person reads them (see avail.h). */
#include "store/avail.h"
#include "store/order.h"
#include "store/timefmt.h"

#include <stdio.h>
#include <string.h>

static const char *text_of(const cJSON *usage, const char *key)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(usage, key));
	return s && *s ? s : NULL;
}

struct avail avail_of(const cJSON *usage, int64_t now)
{
	struct avail a = { AVAIL_NOW, 0, NULL, NULL };
	int64_t until = usage_unavailable_until(usage, now);
	if (!until)
		return a;
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(usage, "disabledUntil");
	int disabled = cJSON_IsNumber(d) && d->valuedouble > (double)now;
	a.kind = disabled ? AVAIL_DISABLED : AVAIL_COOLDOWN;
	a.until = until;
	if (disabled) {
		a.reason = text_of(usage, "disabledReason");
		a.message = text_of(usage, "disabledMessage");
	}
	if (until - now > AVAIL_HORIZON_MS) { /* a sentinel, not a date (a cooldown that far too) */
		a.kind = AVAIL_DISABLED_OPEN;
		a.until = 0;
	}
	return a;
}

void avail_left(const struct avail *a, int64_t now, char *out, size_t cap)
{
	if (a->kind == AVAIL_NOW)
		snprintf(out, cap, "none");
	else if (a->kind == AVAIL_DISABLED_OPEN)
		snprintf(out, cap, "disabled");
	else
		duration_format(a->until - now, out, cap);
}

void avail_phrase(const struct avail *a, int64_t now, char *out, size_t cap)
{
	char left[16], at[32], why[200] = "";
	if (a->kind == AVAIL_NOW) {
		snprintf(out, cap, "%s", "");
		return;
	}
	if (a->reason)
		snprintf(why, sizeof(why), " (%s%s%.120s)", a->reason, a->message ? ": " : "", a->message ? a->message : "");
	avail_left(a, now, left, sizeof(left));
	time_iso(a->until, at);
	if (a->kind == AVAIL_COOLDOWN)
		snprintf(out, cap, "in cooldown for %s, until %s", left, at);
	else if (a->kind == AVAIL_DISABLED)
		snprintf(out, cap, "disabled%s for %s, until %s", why, left, at);
	else
		snprintf(out, cap, "disabled%s", why);
}

void avail_to_json(const struct avail *a, int64_t now, cJSON *o)
{
	char left[16], at[32];
	avail_left(a, now, left, sizeof(left));
	cJSON_AddStringToObject(o, "cooldown", left);
	if (a->kind == AVAIL_COOLDOWN || a->kind == AVAIL_DISABLED) {
		time_iso(a->until, at);
		cJSON_AddStringToObject(o, "available_at", at);
	}
	if (a->reason)
		cJSON_AddStringToObject(o, "disabled_reason", a->reason);
	if (a->message)
		cJSON_AddStringToObject(o, "disabled_message", a->message);
}
