/* Probes over libcurl. TLS verification stays at libcurl's default (on);
 * plain http:// goes only to loopback (store/netpolicy.c: tests use it). */
#include "store/probe.h"
#include "store/config.h"
#include "store/curl_dl.h"
#include "store/netpolicy.h"
#include "store/secmem.h"
#include "store/timefmt.h"

#include <curl/curl.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define BODY_CAP (64 * 1024)

struct transfer {
	struct probe_job *job;
	CURL *easy;
	struct curl_slist *headers;
	char *body;
	size_t len;
	cJSON *seen;        /* headers worth showing */
	double started;
};

static double mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void probe_prepare(const cJSON *config, struct probe_job *job)
{
	const struct provider_info *p = provider_find(job->provider);
	const cJSON *prov = cJSON_GetObjectItemCaseSensitive(config_get(config, "models.providers"), job->provider);
	const char *base = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(prov, "baseUrl"));
	if (!base)
		base = p ? p->base_url : "";
	size_t n = strlen(base);
	job->url[0] = '\0';
	if (!n)
		return; /* probe_run explains */
	while (n && base[n - 1] == '/')
		n--;
	enum probe_kind kind = p ? p->probe : PROBE_OPENAI_COMPAT;
	static const char *const paths[] = {
		[PROBE_OPENAI_COMPAT] = "/v1/models",
		[PROBE_ANTHROPIC] = "/v1/models?limit=1",
		[PROBE_OPENROUTER] = "/api/v1/key",
		[PROBE_GOOGLE] = "/v1beta/models?pageSize=1",
	};
	snprintf(job->url, sizeof(job->url), "%.*s%s", (int)n, base, paths[kind]);
}

void probe_job_wipe(struct probe_job *job)
{
	sodium_memzero(job->secret, sizeof(job->secret));
}

static struct curl_slist *add_header(struct curl_slist *l, const char *name, const char *value)
{
	char *h = secmem_alloc(strlen(name) + strlen(value) + 3);
	if (!h)
		return l;
	sprintf(h, "%s: %s", name, value);
	struct curl_slist *r = curl_slist_append(l, h);
	secmem_free(h);
	return r ? r : l;
}

static struct curl_slist *auth_headers(const struct probe_job *job)
{
	const struct provider_info *p = provider_find(job->provider);
	enum probe_kind kind = p ? p->probe : PROBE_OPENAI_COMPAT;
	struct curl_slist *h = NULL;
	char bearer[SECRET_MAX + 8];
	snprintf(bearer, sizeof(bearer), "Bearer %s", job->secret);
	if (kind == PROBE_ANTHROPIC) {
		h = add_header(h, "anthropic-version", "2023-06-01");
		if (job->type == CRED_API_KEY) {
			h = add_header(h, "x-api-key", job->secret);
		} else {
			h = add_header(h, "Authorization", bearer);
			h = add_header(h, "anthropic-beta", "oauth-2025-04-20");
		}
	} else if (kind == PROBE_GOOGLE) {
		h = add_header(h, "x-goog-api-key", job->secret);
	} else {
		h = add_header(h, "Authorization", bearer);
	}
	sodium_memzero(bearer, sizeof(bearer));
	return add_header(h, "Accept", "application/json");
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct transfer *t = arg;
	size_t n = size * nmemb;
	if (t->len + n > BODY_CAP)
		return 0; /* a probe answer is small: stop reading a flood */
	memcpy(t->body + t->len, data, n);
	t->len += n;
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct transfer *t = arg;
	size_t n = size * nmemb;
	const char *colon = memchr(data, ':', n);
	if (!colon || colon - data > 80)
		return n;
	char name[96], value[256];
	snprintf(name, sizeof(name), "%.*s", (int)(colon - data), data);
	for (char *c = name; *c; c++)
		*c = (char)((*c >= 'A' && *c <= 'Z') ? *c + 32 : *c);
	const char *v = colon + 1;
	while (v < data + n && *v == ' ')
		v++;
	size_t vl = (size_t)(data + n - v);
	while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
		vl--;
	snprintf(value, sizeof(value), "%.*s", (int)(vl > 200 ? 200 : vl), v);
	if (strcmp(name, "retry-after") == 0 || strncmp(name, "anthropic-ratelimit-", 20) == 0 ||
	    strncmp(name, "x-ratelimit-", 12) == 0) {
		cJSON_DeleteItemFromObjectCaseSensitive(t->seen, name);
		cJSON_AddStringToObject(t->seen, name, value);
	}
	return n;
}

static int start(CURLM *multi, struct transfer *t, long timeout_ms)
{
	t->easy = curl_easy_init();
	t->body = secmem_alloc(BODY_CAP + 1);
	t->seen = cJSON_CreateObject();
	if (!t->easy || !t->body || !t->seen)
		return -ENOMEM;
	t->headers = auth_headers(t->job);
	curl_easy_setopt(t->easy, CURLOPT_URL, t->job->url);
	net_direct_unless_https(t->easy, t->job->url);
	curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers);
	curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(t->easy, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(t->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(t->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(t->easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(t->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(t->easy, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
	curl_easy_setopt(t->easy, CURLOPT_USERAGENT, "nova-engine-probe");
	t->started = mono_ms();
	return curl_multi_add_handle(multi, t->easy) == CURLM_OK ? 0 : -ENOMEM;
}

static void add_time(cJSON *r)
{
	int64_t now = now_ms();
	char buf[32];
	time_iso(now, buf);
	cJSON_AddStringToObject(r, "checked_at", buf);
	cJSON_AddNumberToObject(r, "checked_at_ms", (double)now);
}

static void finish(struct transfer *t, int curl_code)
{
	long http = 0;
	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &http);
	cJSON *r = cJSON_CreateObject();
	/* a flood cut short still carries its status */
	int code = curl_code == CURLE_WRITE_ERROR && http ? 0 : curl_code;
	probe_classify(r, t->job->provider, code, http, t->body, t->len, t->job->secret);
	cJSON_AddNumberToObject(r, "latency_ms", (int)(mono_ms() - t->started));
	add_time(r);
	if (cJSON_GetArraySize(t->seen))
		cJSON_AddItemToObject(r, "headers", t->seen);
	else
		cJSON_Delete(t->seen);
	t->seen = NULL;
	cJSON_Delete(t->job->result);
	t->job->result = r;
}

static void cleanup(CURLM *multi, struct transfer *t)
{
	if (t->easy) {
		curl_multi_remove_handle(multi, t->easy);
		curl_easy_cleanup(t->easy);
	}
	curl_slist_free_all(t->headers);
	secmem_free(t->body);
	cJSON_Delete(t->seen);
	memset(t, 0, sizeof(*t));
}

static void give(struct probe_job *job, const char *bucket, const char *message)
{
	cJSON_Delete(job->result);
	job->result = cJSON_CreateObject();
	cJSON_AddStringToObject(job->result, "result", bucket);
	cJSON_AddStringToObject(job->result, "message", message);
	add_time(job->result);
}

static void interrupted(struct probe_job *job)
{
	give(job, "interrupted", "the check was interrupted");
}

/* The credential policy, before the request is even built: a refused
 * job gets the reason as its result and sends nothing. */
static int refused(struct probe_job *job)
{
	char setting[128];
	struct nv_err err = { 0 };
	snprintf(setting, sizeof(setting), "models.providers.%s.baseUrl", job->provider);
	if (net_url_allowed(job->url, setting, &err) == 0)
		return 0;
	give(job, "refused", err.msg);
	cJSON_AddStringToObject(job->result, "advice", "nothing was sent: use an https:// address (plain http only to loopback)");
	return 1;
}

int probe_run(struct probe_job *jobs, size_t n, int concurrency, long timeout_ms,
	      int (*stop)(void *), void *stop_arg)
{
	struct nv_err nerr;
	if (net_init(&nerr) < 0) {
		for (size_t i = 0; i < n; i++)
			give(&jobs[i], "unknown", nerr.msg);
		return -ELIBACC;
	}
	CURLM *multi = curl_multi_init();
	struct transfer *ts = calloc(n ? n : 1, sizeof(*ts));
	if (!multi || !ts) {
		free(ts);
		curl_multi_cleanup(multi);
		return -ENOMEM;
	}
	size_t next = 0, done = 0;
	int running = 0, rc = 0;
	if (concurrency < 1)
		concurrency = n < PROBE_CONCURRENCY_AUTO_MAX ? (int)n : PROBE_CONCURRENCY_AUTO_MAX;
	while (done < n) {
		while (next < n && running < concurrency) {
			ts[next].job = &jobs[next];
			if (!jobs[next].url[0]) {
				char msg[160];
				snprintf(msg, sizeof(msg), "no API address known for %s: set models.providers.%s.baseUrl in the config",
					 jobs[next].provider, jobs[next].provider);
				give(&jobs[next], "unknown", msg);
				next++;
				done++;
				continue;
			}
			if (refused(&jobs[next])) {
				next++;
				done++;
				continue;
			}
			if (start(multi, &ts[next], timeout_ms) < 0) {
				interrupted(&jobs[next]);
				cleanup(multi, &ts[next]);
				done++;
			} else {
				running++;
			}
			next++;
		}
		int still;
		curl_multi_perform(multi, &still);
		CURLMsg *m;
		int left;
		while ((m = curl_multi_info_read(multi, &left))) {
			if (m->msg != CURLMSG_DONE)
				continue;
			struct transfer *t;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
			finish(t, m->data.result);
			cleanup(multi, t);
			running--;
			done++;
		}
		if (done < n && stop && stop(stop_arg)) {
			rc = -EINTR;
			break;
		}
		if (done < n)
			curl_multi_poll(multi, NULL, 0, 50, NULL);
	}
	for (size_t i = 0; i < n; i++) {
		if (ts[i].easy) {
			interrupted(ts[i].job);
			cleanup(multi, &ts[i]);
		} else if (!jobs[i].result) {
			interrupted(&jobs[i]);
		}
	}
	free(ts);
	curl_multi_cleanup(multi);
	return rc;
}
