/* nova-engine.json: load (errors name file, line, column), read helpers,
 * save that keeps every key it does not know. */
#ifndef NV_CONFIG_H
#define NV_CONFIG_H

#include <cjson/cJSON.h>
#include <stdint.h>
#include <time.h>

#include "store/error.h"

/* Parse text as JSON; on failure fill err with "<path>:<line>:<col>: ...". */
int json_parse_located(const char *path, const char *text, size_t len, cJSON **out, struct nv_err *err);

/* Load path; a missing file gives an empty object. mtime (may be NULL):
 * when the file read was last changed, zero when there is none. */
int config_load(const char *path, cJSON **out, struct timespec *mtime, struct nv_err *err);

/* Write cfg to path atomically (0600), pretty-printed. */
int config_save(const char *path, const cJSON *cfg, struct nv_err *err);

/* Walk "a.b.c" (no escaping needed for our keys); NULL if absent. */
cJSON *config_get(const cJSON *cfg, const char *dotted);

/* config_get, but NULL unless the value is an object (array): a config
 * of the wrong shape is ignored instead of crashing an iteration over it. */
cJSON *config_object(const cJSON *cfg, const char *dotted);
cJSON *config_array(const cJSON *cfg, const char *dotted);

/* Get or create the object at "a.b" (creating intermediate objects). */
cJSON *config_obj(cJSON *cfg, const char *dotted);

/* The number at "a.b" (fraction dropped), else dflt; saturated at
 * +-CONFIG_INT_MAX, so a caller may turn seconds into milliseconds. */
#define CONFIG_INT_MAX (INT64_MAX / 1000)
int64_t config_int(const cJSON *cfg, const char *dotted, int64_t dflt);

#endif
