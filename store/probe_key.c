/* Probe results as typed outcomes, and the live check of one key before
 * it is stored. */
#include "store/config.h"
#include "store/home.h"
#include "store/probe.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

void probe_outcome_of(const cJSON *result, struct probe_outcome *out)
{
	static const char *const refusals[] = { "auth", "forbidden", "restricted" };
	const char *res = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(result, "result"));
	const char *advice = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(result, "advice"));
	memset(out, 0, sizeof(*out));
	snprintf(out->result, sizeof(out->result), "%s", res ? res : "");
	snprintf(out->advice, sizeof(out->advice), "%s", advice ? advice : "");
	out->latency_ms = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(result, "latency_ms"));
	for (size_t i = 0; res && i < sizeof(refusals) / sizeof(refusals[0]); i++)
		out->refused |= strcmp(res, refusals[i]) == 0;
}

void probe_key(struct home *h, const char *provider, const char *secret, enum cred_type type, long timeout_ms,
	       struct probe_outcome *out)
{
	struct probe_job *job = sodium_malloc(sizeof(*job)); /* it holds the secret */
	memset(out, 0, sizeof(*out));
	if (!job)
		return;
	memset(job, 0, sizeof(*job));
	snprintf(job->id, sizeof(job->id), "%s:new", provider);
	snprintf(job->provider, sizeof(job->provider), "%s", provider);
	snprintf(job->secret, sizeof(job->secret), "%s", secret);
	job->type = type;
	struct config_snap *c = home_config_get(h);
	probe_prepare(c->json, job);
	config_snap_put(c);
	probe_run(job, 1, 1, timeout_ms, NULL, NULL);
	probe_outcome_of(job->result, out);
	cJSON_Delete(job->result);
	probe_job_wipe(job);
	sodium_free(job);
}
