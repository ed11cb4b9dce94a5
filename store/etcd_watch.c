/* A watch on a prefix over the JSON gateway: one long POST to /v3/watch
 * whose answer is a stream of JSON objects, one a line. The caller owns
 * the loop around it (reconnect, resume, re-read after compaction); this
 * file reads one stream until it ends and says why it ended. */
#include "store/etcd_impl.h"
#include "store/secmem.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define LINE_CAP (8L * 1024 * 1024)

struct stream {
	const struct etcd_watch_cb *cb;
	char *buf;            /* secmem: events carry values */
	size_t len, cap;
	int64_t next;         /* revision to resume from */
	int rc;               /* set when the stream must end: 0 stopped, -EXDEV, ... */
	int done;
	struct nv_err *err;
};

static int deliver(struct stream *s, const cJSON *ev)
{
	const cJSON *kvj = cJSON_GetObjectItemCaseSensitive(ev, "kv");
	const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ev, "type"));
	size_t klen;
	char *key = etcd_get_b64(kvj, "key", &klen);
	struct etcd_kv kv;
	if (!key || etcd_kv_from(kvj, &kv) < 0) {
		secmem_free(key);
		return nv_fail(s->err, ENOMEM, "out of memory");
	}
	struct etcd_event e = { key, &kv, type && !strcmp(type, "DELETE") };
	if (e.deleted)
		etcd_kv_clear(&kv);
	int64_t rev = etcd_i64(kvj, "mod_revision");
	int rc = s->cb->event ? s->cb->event(&e, rev, s->cb->arg) : 0;
	if (rev >= s->next)
		s->next = rev + 1;
	etcd_kv_clear(&kv);
	secmem_free(key);
	return rc;
}

/* One message of the stream. Returns non-zero to end the stream. */
static int message(struct stream *s, const char *line, size_t len)
{
	cJSON *m = cJSON_ParseWithLength(line, len);
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(m, "result"), *ev;
	int rc = 0;
	if (!r) {
		const char *why = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "error"));
		rc = s->rc = nv_fail(s->err, strstr(why ? why : "", "permission denied") ? EACCES : EPROTO,
				     "the etcd watch ended: %.200s", why ? why : "an answer that is not etcd's");
	} else if (etcd_i64(r, "compact_revision") > 0) {
		int64_t c = etcd_i64(r, "compact_revision");
		rc = s->rc = nv_fail(s->err, EXDEV, "etcd compacted its history past revision %lld (now from %lld)",
				     (long long)s->next, (long long)c);
	} else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "canceled"))) {
		rc = s->rc = nv_fail(s->err, ECONNRESET, "etcd canceled the watch");
	} else {
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "created"))) {
			int64_t head = etcd_i64(cJSON_GetObjectItemCaseSensitive(r, "header"), "revision");
			if (!s->next)
				s->next = head + 1;
			if (s->cb->created)
				s->cb->created(s->cb->arg, s->next - 1);
		}
		cJSON_ArrayForEach(ev, cJSON_GetObjectItemCaseSensitive(r, "events"))
			if ((rc = deliver(s, ev)) != 0) {
				s->rc = rc < 0 ? rc : 0;
				break;
			}
	}
	cJSON_Delete(m);
	if (rc)
		s->done = 1;
	return rc;
}

static int grow(struct stream *s, size_t need)
{
	if (need <= s->cap)
		return 0;
	size_t cap = s->cap ? s->cap : 4096;
	while (cap < need)
		cap *= 2;
	if (cap > (size_t)LINE_CAP)
		return -1;
	char *p = secmem_alloc(cap);
	if (!p)
		return -1;
	if (s->len) /* buf is NULL before the first line */
		memcpy(p, s->buf, s->len);
	secmem_free(s->buf);
	s->buf = p;
	s->cap = cap;
	return 0;
}

static size_t on_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct stream *s = arg;
	size_t n = size * nmemb;
	if (s->done || grow(s, s->len + n) < 0)
		return 0;
	memcpy(s->buf + s->len, data, n);
	s->len += n;
	char *nl;
	while (!s->done && (nl = memchr(s->buf, '\n', s->len))) {
		size_t line = (size_t)(nl - s->buf) + 1;
		message(s, s->buf, line - 1);
		memmove(s->buf, s->buf + line, s->len - line);
		s->len -= line;
	}
	return s->done ? 0 : n;
}

static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	(void)a, (void)b, (void)c, (void)d;
	struct stream *s = arg;
	if (!s->done && s->cb->stop && s->cb->stop(s->cb->arg)) {
		s->done = 1;
		s->rc = 0;
	}
	return s->done;
}

static cJSON *create_request(const char *prefix, int64_t start)
{
	char end[ETCD_PATH_MAX];
	etcd_prefix_end(prefix, end, sizeof(end));
	cJSON *b = cJSON_CreateObject(), *c = cJSON_AddObjectToObject(b, "create_request");
	etcd_put_b64(c, "key", prefix, strlen(prefix));
	etcd_put_b64(c, "range_end", end, strlen(end));
	if (start > 0)
		etcd_put_i64(c, "start_revision", start);
	return b;
}

int etcd_watch(struct etcd *e, const char *prefix, int64_t start_revision, const struct etcd_watch_cb *cb,
	       int64_t *next_revision, struct nv_err *err)
{
	struct stream s = { .cb = cb, .next = start_revision, .rc = -ECONNRESET, .err = err };
	*next_revision = start_revision;
	/* pick a member that answers (and get a token) the ordinary way first */
	struct etcd_kv probe;
	int rc = etcd_get(e, prefix, 1, &probe, NULL, err);
	etcd_kv_clear(&probe);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&e->mu);
	size_t i = e->cur;
	pthread_mutex_unlock(&e->mu);
	cJSON *b = create_request(prefix, start_revision);
	char *text = cJSON_PrintUnformatted(b);
	cJSON_Delete(b);
	struct curl_slist *hdrs = NULL;
	CURL *c = text ? etcd_curl(e, i, "/v3/watch", &hdrs) : NULL;
	if (!c) {
		cJSON_free(text);
		return nv_fail(err, ENOMEM, "out of memory");
	}
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, e->timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, &s);
	CURLcode cc = curl_easy_perform(c);
	if (!s.done)
		nv_fail(err, ECONNRESET, "the etcd watch on %s ended: %s", e->endpoint[i],
			cc == CURLE_OK ? "the member closed the stream" : curl_easy_strerror(cc));
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	cJSON_free(text);
	secmem_free(s.buf);
	*next_revision = s.next;
	return s.done ? s.rc : -ECONNRESET;
}
