/* The `models status` view as one JSON object, so text and --json show
 * the same facts, and the --check verdict. */
#ifndef NV_OVERVIEW_H
#define NV_OVERVIEW_H

#include <cjson/cJSON.h>

#include "store/store.h"
#include "store/textbuf.h"

/* Build the view for st's agent. The object carries "check": 0 healthy,
 * 1 expired/missing or a provider in use without credential, 2 expiring. */
int overview_build(struct store *st, cJSON **out, struct nv_err *err);

/* The view as `models status` prints it (config and models, then auth:
 * providers, missing, not usable, OAuth/token states); the live checks
 * status_build added as lines. The caller makes control bytes visible
 * first (vis_json). 0 or -ENOMEM. */
int overview_text(const cJSON *view, struct out *o);
int overview_probes_text(const cJSON *entries, struct out *o);

/* The --check verdict of a view: 0 healthy, 1 a problem, 2 expiring. */
int overview_check(const cJSON *view);

/* models.default of a view (NULL: not set), for --plain. */
const char *overview_default_model(const cJSON *view);

#endif
