/* Import and rekey. */
#include "store/transfer.h"
#include "store/config.h"
#include "store/fileio.h"
#include "store/keyring.h"
#include "store/profile.h"
#include "store/provider.h"
#include "store/secmem.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int check_profiles(const cJSON *doc, const char *path, struct nv_err *err)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "profiles")) {
		char id[PROFILE_ID_MAX + 1], prov[PROVIDER_MAX + 1];
		struct nv_err why = { 0 };
		if (profile_id_parse(e->string, NULL, id, prov, &why) < 0 || cred_validate(e, prov, &why) < 0)
			return nv_fail(err, EINVAL, "%s: profile \"%.80s\": %s", path, e->string, why.msg);
		if (!cred_provider(e))
			return nv_fail(err, EINVAL, "%s: profile \"%.80s\": credential is missing \"provider\"", path, e->string);
	}
	return 0;
}

static void merge_map(cJSON *dst, const cJSON *src, const char *key)
{
	const cJSON *from = cJSON_GetObjectItemCaseSensitive(src, key);
	if (!cJSON_IsObject(from))
		return;
	cJSON *to = cJSON_GetObjectItemCaseSensitive(dst, key);
	if (!cJSON_IsObject(to))
		to = cJSON_AddObjectToObject(dst, key);
	const cJSON *e;
	cJSON_ArrayForEach(e, from) {
		cJSON_DeleteItemFromObjectCaseSensitive(to, e->string);
		cJSON_AddItemToObject(to, e->string, cJSON_Duplicate(e, 1));
	}
}

static int import_into(cJSON *doc, void *arg, struct nv_err *err)
{
	const cJSON *src = arg;
	(void)err;
	static const char *const maps[] = { "profiles", "order", "lastGood", "usageStats" };
	for (int i = 0; i < 4; i++)
		merge_map(doc, src, maps[i]);
	return 0;
}

int store_import(struct store *st, const char *path, int *count, struct nv_err *err)
{
	char *text;
	size_t len;
	cJSON *src = NULL;
	int rc = file_read(path, 16 << 20, &text, &len, err);
	if (rc < 0)
		return rc;
	rc = json_parse_located(path, text, len, &src, err);
	secmem_free(text);
	if (rc == 0)
		rc = store_doc_check(src, path, err);
	if (rc == 0)
		rc = check_profiles(src, path, err);
	if (rc == 0)
		rc = store_change(st, import_into, src, err);
	*count = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(src, "profiles"));
	cJSON_Delete(src);
	return rc < 0 ? rc : 0;
}

int store_rekey(struct home *h, int *count, struct nv_err *err)
{
	*count = 0;
	int rc = keyring_rekey_begin(home_keyring(h), err);
	char **ids;
	size_t n;
	if (rc < 0)
		return rc;
	if (home_agents(h, &ids, &n) < 0)
		return nv_fail(err, ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct store *st;
		if ((rc = store_open(h, ids[i], &st, err)) == 0) {
			rc = store_reseal(st, err);
			*count += rc == 0 && access(store_path(st), F_OK) == 0;
			store_free(st);
		}
	}
	home_agents_free(ids, n);
	return rc == 0 ? keyring_rekey_finish(home_keyring(h), err) : rc;
}
