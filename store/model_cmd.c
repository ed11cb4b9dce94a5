/* The /model grammar. Profile ids may hold '@' (openai-codex:me@x.com),
 * model ids do not: the first '@' splits model from profile. */
#include "store/session.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *skip_space(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

static int parse_target(const char *t, size_t n, struct model_cmd *out, struct nv_err *err)
{
	const char *at = memchr(t, '@', n);
	size_t mlen = at ? (size_t)(at - t) : n;
	if (mlen == 0)
		return nv_fail(err, EINVAL, "Auth profile override requires a model selection.");
	if (mlen > MODEL_MAX || (at && (size_t)(t + n - at - 1) > PROFILE_ID_MAX))
		return nv_fail(err, EINVAL, "model or profile id too long");
	if (at && at + 1 == t + n)
		return nv_fail(err, EINVAL, "missing auth profile after \"@\": write /model <model>@<profile>");
	out->kind = MC_SET;
	snprintf(out->model, sizeof(out->model), "%.*s", (int)mlen, t);
	if (at)
		snprintf(out->profile, sizeof(out->profile), "%.*s", (int)(t + n - at - 1), at + 1);
	return 0;
}

int model_cmd_parse(const char *line, struct model_cmd *out, struct nv_err *err)
{
	memset(out, 0, sizeof(*out));
	const char *s = skip_space(line);
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if ((n == 4 && strncmp(s, "/new", 4) == 0) || (n == 6 && strncmp(s, "/reset", 6) == 0)) {
		out->kind = s[1] == 'n' ? MC_NEW : MC_RESET;
		return 0;
	}
	if (n >= 6 && strncmp(s, "/model", 6) == 0 && (n == 6 || isspace((unsigned char)s[6]))) {
		const char *arg = s + 6; /* within the trimmed line: "/model " ends here */
		while (arg < s + n && isspace((unsigned char)*arg))
			arg++;
		size_t an = n - (size_t)(arg - s);
		if (an == 0 || (an == 4 && strncmp(arg, "list", 4) == 0))
			return out->kind = MC_LIST, 0;
		if (an == 6 && strncmp(arg, "status", 6) == 0)
			return out->kind = MC_STATUS, 0;
		if (memchr(arg, ' ', an) || memchr(arg, '\t', an))
			return nv_fail(err, EINVAL, "expected /model <alias-or-id>[@<profile>], /model list or /model status");
		return parse_target(arg, an, out, err);
	}
	if (n == 0 || *s == '/' || memchr(s, ' ', n))
		return nv_fail(err, EINVAL, "unknown command \"%.60s\": use /model, /model list, /model status, /model <alias-or-id>[@<profile>], /new or /reset", s);
	return parse_target(s, n, out, err);
}
