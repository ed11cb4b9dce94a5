/* Health checks of an installation (`nova-engine doctor`): each finding
 * says what is wrong and the command that fixes it; the safe ones can be
 * repaired here. Nothing is printed. */
#ifndef NV_DOCTOR_H
#define NV_DOCTOR_H

#include <cjson/cJSON.h>

#include "store/home.h"

/* Run every check. h may be NULL when the config does not parse (that
 * finding is made from config_err). Findings: array of {"check",
 * "severity" (error, warning, info), "subject", "problem", "fix",
 * "fixable"}. */
cJSON *doctor_run(struct home *h, const struct nv_err *config_err);

/* Repair one fixable finding. 0 or -errno with err filled. */
int doctor_fix(struct home *h, const cJSON *finding, struct nv_err *err);

/* 0 when no finding is an error or a warning. */
int doctor_healthy(const cJSON *findings);

/* One finding as the faces show it (strings borrowed from findings). */
struct finding {
	const char *check, *severity, *subject, *problem, *fix; /* never NULL */
	int fixable;
};

/* The i-th of findings into out; 0, or -ENOENT past the last. */
int doctor_finding(const cJSON *findings, int i, struct finding *out);

#endif
