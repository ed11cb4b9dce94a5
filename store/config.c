/* Config file handling. cJSON keeps keys in file order and unknown keys
 * untouched, so a load-change-save round trip only changes what we set. */
#include "store/config.h"
#include "store/fileio.h"
#include "store/secmem.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define CONFIG_MAX (4 << 20)

int json_parse_located(const char *path, const char *text, size_t len, cJSON **out, struct nv_err *err)
{
	const char *end = NULL;
	cJSON *doc = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (doc) {
		*out = doc;
		return 0;
	}
	if (!end)
		end = cJSON_GetErrorPtr();
	if (!end || end < text || end > text + len)
		end = text + len;
	int line = 1, col = 1;
	for (const char *p = text; p < end; p++) {
		if (*p == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	return nv_fail(err, EINVAL, "%s:%d:%d: invalid JSON: fix the file or move it aside", path, line, col);
}

int config_load(const char *path, cJSON **out, struct timespec *mtime, struct nv_err *err)
{
	char *text;
	size_t len;
	struct stat st;
	int rc = file_read_st(path, CONFIG_MAX, &text, &len, &st, err);
	if (mtime) /* of what was read: the file is replaced whole, never edited in place */
		*mtime = rc == 0 ? st.st_mtim : (struct timespec){ 0, 0 };
	if (rc == -ENOENT) {
		*out = cJSON_CreateObject();
		return 0;
	}
	if (rc < 0)
		return rc;
	rc = json_parse_located(path, text, len, out, err);
	secmem_free(text);
	if (rc == 0 && !cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		return nv_fail(err, EINVAL, "%s:1:1: the config must be a JSON object", path);
	}
	return rc;
}

int config_save(const char *path, const cJSON *cfg, struct nv_err *err)
{
	char *text = cJSON_Print(cfg);
	if (!text)
		return nv_fail(err, ENOMEM, "out of memory writing %s", path);
	size_t n = strlen(text);
	text[n] = '\n'; /* cJSON_Print's buffer has room for the NUL we replace */
	int rc = file_replace(path, text, n + 1, 0600, err);
	cJSON_free(text);
	return rc;
}

/* Walk "a.b.c"; create: make missing (or non-object) steps objects. */
static cJSON *walk(const cJSON *cfg, const char *dotted, int create)
{
	char key[128];
	cJSON *node = (cJSON *)cfg;
	while (node && *dotted) {
		size_t n = strcspn(dotted, ".");
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, dotted, n);
		key[n] = '\0';
		cJSON *next = cJSON_GetObjectItemCaseSensitive(node, key);
		if (create && !cJSON_IsObject(next)) {
			cJSON_DeleteItemFromObjectCaseSensitive(node, key);
			next = cJSON_AddObjectToObject(node, key);
		}
		node = next;
		dotted += n + (dotted[n] == '.');
	}
	return node;
}

cJSON *config_get(const cJSON *cfg, const char *dotted)
{
	return walk(cfg, dotted, 0);
}

cJSON *config_object(const cJSON *cfg, const char *dotted)
{
	cJSON *v = walk(cfg, dotted, 0);
	return cJSON_IsObject(v) ? v : NULL;
}

cJSON *config_array(const cJSON *cfg, const char *dotted)
{
	cJSON *v = walk(cfg, dotted, 0);
	return cJSON_IsArray(v) ? v : NULL;
}

cJSON *config_obj(cJSON *cfg, const char *dotted)
{
	return walk(cfg, dotted, 1);
}

int64_t config_int(const cJSON *cfg, const char *dotted, int64_t dflt)
{
	const cJSON *v = config_get(cfg, dotted);
	if (!cJSON_IsNumber(v) || v->valuedouble != v->valuedouble)
		return dflt;
	/* saturate: a cast of 1e300 is undefined (INT64_MIN on x86), and
	 * callers turn seconds into milliseconds */
	if (v->valuedouble >= (double)CONFIG_INT_MAX)
		return CONFIG_INT_MAX;
	if (v->valuedouble <= -(double)CONFIG_INT_MAX)
		return -CONFIG_INT_MAX;
	return (int64_t)v->valuedouble;
}
