/* The etcd calls the store needs: read, list, compare-and-swap, delete,
 * leases and the lock service. Each builds the gateway's JSON request and
 * reads the answer; transport, failover and errors are in etcd.c. */
#include "store/etcd_impl.h"
#include "store/secmem.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static cJSON *key_request(const char *key)
{
	cJSON *b = cJSON_CreateObject();
	if (b && etcd_put_b64(b, "key", key, strlen(key)) < 0) {
		cJSON_Delete(b);
		return NULL;
	}
	return b;
}

/* Call with body (consumed), for a one-line request. */
static int call(struct etcd *e, const char *path, cJSON *body, cJSON **ans, struct nv_err *err)
{
	if (!body)
		return nv_fail(err, ENOMEM, "out of memory");
	int rc = etcd_call(e, path, body, 0, 0, ans, err);
	cJSON_Delete(body);
	return rc;
}

static int64_t header_revision(const cJSON *ans)
{
	return etcd_i64(cJSON_GetObjectItemCaseSensitive(ans, "header"), "revision");
}

int etcd_get(struct etcd *e, const char *key, int serializable, struct etcd_kv *out, int64_t *revision,
	     struct nv_err *err)
{
	cJSON *b = key_request(key), *ans = NULL;
	if (b && serializable)
		cJSON_AddBoolToObject(b, "serializable", 1);
	memset(out, 0, sizeof(*out));
	int rc = call(e, "/v3/kv/range", b, &ans, err);
	if (rc == 0) {
		const cJSON *kv = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ans, "kvs"), 0);
		if (kv && etcd_kv_from(kv, out) < 0)
			rc = nv_fail(err, ENOMEM, "out of memory");
		if (revision)
			*revision = header_revision(ans);
	}
	cJSON_Delete(ans);
	return rc;
}

/* One page of a listing: up to limit keys from [from, end) as of
 * revision (0: the newest). */
static int list_page(struct etcd *e, const char *from, size_t from_len, const char *end, int keys_only,
		     long limit, int64_t revision, cJSON **ans, struct nv_err *err)
{
	cJSON *b = cJSON_CreateObject();
	if (b && (etcd_put_b64(b, "key", from, from_len) < 0 || etcd_put_b64(b, "range_end", end, strlen(end)) < 0 ||
		  !cJSON_AddBoolToObject(b, "keys_only", keys_only) || !cJSON_AddNumberToObject(b, "limit", (double)limit))) {
		cJSON_Delete(b);
		b = NULL;
	}
	if (b && revision)
		etcd_put_i64(b, "revision", revision);
	return call(e, "/v3/kv/range", b, ans, err);
}

/* In pages, all at the first page's revision: one answer holding every
 * agent's store could pass the answer cap (and then looked like etcd being
 * unreachable). A page too big is asked again with half the keys. */
#define LIST_PAGE 256

int etcd_list(struct etcd *e, const char *prefix, int keys_only,
	      int (*cb)(const char *key, const struct etcd_kv *kv, void *arg), void *arg,
	      int64_t *revision, struct nv_err *err)
{
	char end[ETCD_PATH_MAX], from[ETCD_PATH_MAX];
	size_t from_len = strlen(prefix);
	long limit = LIST_PAGE;
	int64_t rev = 0;
	int rc = 0, more = 1, too_long = 0;
	etcd_prefix_end(prefix, end, sizeof(end));
	if (from_len >= sizeof(from))
		return nv_fail(err, ENAMETOOLONG, "etcd prefix %.64s... is too long", prefix);
	memcpy(from, prefix, from_len);
	while (rc == 0 && more) {
		cJSON *ans = NULL;
		rc = list_page(e, from, from_len, end, keys_only, limit, rev, &ans, err);
		if (rc == -EFBIG && limit > 1) {
			limit /= 2;
			rc = 0;
			continue;
		}
		if (rc == 0 && !rev)
			rev = header_revision(ans);
		more = rc == 0 && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ans, "more"));
		const cJSON *kv, *kvs = rc ? NULL : cJSON_GetObjectItemCaseSensitive(ans, "kvs");
		size_t n = 0;
		cJSON_ArrayForEach(kv, kvs) {
			size_t klen;
			char *key = etcd_get_b64(kv, "key", &klen);
			struct etcd_kv one;
			if (!key || etcd_kv_from(kv, &one) < 0) {
				secmem_free(key);
				rc = nv_fail(err, ENOMEM, "out of memory");
				break;
			}
			n++;
			too_long = klen + 1 >= sizeof(from);
			if (!too_long) {  /* the next page starts just after this key */
				memcpy(from, key, klen);
				from[klen] = 0;
				from_len = klen + 1;
			}
			rc = cb(key, &one, arg);
			secmem_free(key);
			etcd_kv_clear(&one);
			if (rc)
				break;
		}
		if (rc == 0 && more && (!n || too_long))  /* where the next page starts is unknown */
			rc = nv_fail(err, EPROTO, "etcd answered a listing of %s with more to come after %s", prefix,
				     n ? "a key too long" : "no key");
		cJSON_Delete(ans);
	}
	if (rc == 0 && revision)
		*revision = rev;
	return rc;
}

int etcd_newest(struct etcd *e, const char *prefix, int64_t *mod_revision, struct nv_err *err)
{
	char end[ETCD_PATH_MAX];
	etcd_prefix_end(prefix, end, sizeof(end));
	cJSON *b = key_request(prefix), *ans = NULL;
	if (b && (etcd_put_b64(b, "range_end", end, strlen(end)) < 0 || !cJSON_AddBoolToObject(b, "keys_only", 1) ||
		  !cJSON_AddStringToObject(b, "sort_order", "DESCEND") ||
		  !cJSON_AddStringToObject(b, "sort_target", "MOD") || !cJSON_AddNumberToObject(b, "limit", 1))) {
		cJSON_Delete(b);
		b = NULL;
	}
	int rc = call(e, "/v3/kv/range", b, &ans, err);
	*mod_revision = rc ? 0 : etcd_i64(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ans, "kvs"), 0),
					  "mod_revision");
	cJSON_Delete(ans);
	return rc;
}

/* {"target":T,"key":k,field:v,"result":R} */
static cJSON *compare(const char *target, const char *key, const char *field, int64_t v, const char *result)
{
	cJSON *c = key_request(key);
	if (!c)
		return NULL;
	cJSON_AddStringToObject(c, "target", target);
	cJSON_AddStringToObject(c, "result", result);
	etcd_put_i64(c, field, v);
	return c;
}

static cJSON *op(const char *kind, cJSON *inner)
{
	cJSON *o = cJSON_CreateObject();
	if (o && inner)
		cJSON_AddItemToObject(o, kind, inner);
	return o;
}

/* The txn: if key's mod_revision == expect (and fence exists) then
 * success_op else read key back. */
static cJSON *txn(const char *key, int64_t expect, const char *fence, cJSON *success_op)
{
	cJSON *t = cJSON_CreateObject(), *cmp = cJSON_AddArrayToObject(t, "compare");
	cJSON_AddItemToArray(cmp, compare("MOD", key, "mod_revision", expect, "EQUAL"));
	if (fence)
		cJSON_AddItemToArray(cmp, compare("CREATE", fence, "create_revision", 0, "GREATER"));
	cJSON_AddItemToArray(cJSON_AddArrayToObject(t, "success"), success_op);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(t, "failure"), op("request_range", key_request(key)));
	return t;
}

/* The key as the failed txn read it back. */
static int txn_current(const cJSON *ans, struct etcd_kv *current)
{
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(
		cJSON_GetObjectItemCaseSensitive(ans, "responses"), 0), "response_range");
	const cJSON *kv = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r, "kvs"), 0);
	if (!current)
		return 0;
	memset(current, 0, sizeof(*current));
	return kv ? etcd_kv_from(kv, current) : 0;
}

static int run_txn(struct etcd *e, const char *key, cJSON *t, const char *fence, int64_t expect,
		   int64_t *new_revision, struct etcd_kv *current, struct nv_err *err)
{
	cJSON *ans = NULL;
	if (current)
		memset(current, 0, sizeof(*current));
	int rc = call(e, "/v3/kv/txn", t, &ans, err);
	if (rc == 0 && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ans, "succeeded"))) {
		txn_current(ans, current);
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(
			cJSON_GetObjectItemCaseSensitive(ans, "responses"), 0), "response_range");
		const cJSON *kv = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r, "kvs"), 0);
		int64_t now = etcd_i64(kv, "mod_revision");
		if (fence && now == expect)
			rc = nv_fail(err, ENOLCK, "the etcd lock %s was lost before the write (its lease expired): nothing was written", fence);
		else
			rc = nv_fail(err, ESTALE, "%s changed in etcd (revision %lld, expected %lld)", key, (long long)now,
				     (long long)expect);
	}
	if (rc == 0 && new_revision)
		*new_revision = header_revision(ans);
	cJSON_Delete(ans);
	return rc;
}

int etcd_cas(struct etcd *e, const char *key, const void *value, size_t len, int64_t expect,
	     const char *fence, int64_t *new_revision, struct etcd_kv *current, struct nv_err *err)
{
	cJSON *put = key_request(key);
	if (put && etcd_put_b64(put, "value", value, len) < 0) {
		cJSON_Delete(put);
		put = NULL;
	}
	if (!put)
		return nv_fail(err, ENOMEM, "out of memory");
	return run_txn(e, key, txn(key, expect, fence, op("request_put", put)), fence, expect, new_revision, current, err);
}

int etcd_delete(struct etcd *e, const char *key, int64_t expect, struct nv_err *err)
{
	if (!expect) {
		cJSON *ans = NULL;
		int rc = call(e, "/v3/kv/deleterange", key_request(key), &ans, err);
		cJSON_Delete(ans);
		return rc;
	}
	return run_txn(e, key, txn(key, expect, NULL, op("request_delete_range", key_request(key))), NULL, expect,
		       NULL, NULL, err);
}

int etcd_lease_grant(struct etcd *e, long ttl_s, int64_t *id, struct nv_err *err)
{
	cJSON *b = cJSON_CreateObject(), *ans = NULL;
	if (b)
		cJSON_AddNumberToObject(b, "TTL", (double)ttl_s);
	int rc = call(e, "/v3/lease/grant", b, &ans, err);
	*id = rc ? 0 : etcd_i64(ans, "ID");
	if (rc == 0 && !*id)
		rc = nv_fail(err, EPROTO, "etcd granted a lease without an id");
	cJSON_Delete(ans);
	return rc;
}

/* A lease call whose request is just the lease id. */
static int lease_call(struct etcd *e, const char *path, int64_t id, cJSON **ans, struct nv_err *err)
{
	cJSON *b = cJSON_CreateObject();
	if (b)
		etcd_put_i64(b, "ID", id);
	return call(e, path, b, ans, err);
}

int etcd_lease_keepalive(struct etcd *e, int64_t id, struct nv_err *err)
{
	cJSON *ans = NULL;
	int rc = lease_call(e, "/v3/lease/keepalive", id, &ans, err);
	/* a lease that is gone comes back with no TTL */
	if (rc == 0 && etcd_i64(cJSON_GetObjectItemCaseSensitive(ans, "result"), "TTL") <= 0)
		rc = nv_fail(err, ENOENT, "the etcd lease %llx expired", (unsigned long long)id);
	cJSON_Delete(ans);
	return rc;
}

int etcd_lease_revoke(struct etcd *e, int64_t id, struct nv_err *err)
{
	cJSON *ans = NULL;
	int rc = lease_call(e, "/v3/lease/revoke", id, &ans, err);
	cJSON_Delete(ans);
	return rc == -ENOENT ? 0 : rc;  /* already expired: as good */
}

int etcd_lock(struct etcd *e, const char *name, int64_t lease, long wait_ms, char *key, size_t cap,
	      struct nv_err *err)
{
	cJSON *b = cJSON_CreateObject(), *ans = NULL;
	if (!b || etcd_put_b64(b, "name", name, strlen(name)) < 0) {
		cJSON_Delete(b);
		return nv_fail(err, ENOMEM, "out of memory");
	}
	etcd_put_i64(b, "lease", lease);
	int rc = etcd_call(e, "/v3/lock/lock", b, wait_ms, 1, &ans, err);
	cJSON_Delete(b);
	size_t len = 0;
	char *k = rc ? NULL : etcd_get_b64(ans, "key", &len);
	if (rc == 0 && (!k || len >= cap))
		rc = nv_fail(err, EPROTO, "etcd granted the lock %s without a usable key", name);
	else if (rc == 0)
		memcpy(key, k, len + 1);
	if (rc == -ETIMEDOUT)
		nv_fail(err, ETIMEDOUT, "the etcd lock %s is still held by another host after %ld ms", name, wait_ms);
	secmem_free(k);
	cJSON_Delete(ans);
	return rc;
}

int etcd_unlock(struct etcd *e, const char *key, struct nv_err *err)
{
	cJSON *ans = NULL;
	int rc = call(e, "/v3/lock/unlock", key_request(key), &ans, err);
	cJSON_Delete(ans);
	return rc;
}
