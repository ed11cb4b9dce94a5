/* nova-engine secrets resolve: OpenClaw's exec secret-provider protocol
 * v1. OpenClaw runs the command without a shell, with an empty
 * environment and the binary's directory as cwd, writes one JSON request
 * and closes stdin, and kills it after 5 s; so stdin is read whole but
 * bounded, nothing is asked of a terminal, and token endpoints get 3 s. */
#include "cli/cli.h"
#include "cli/commands.h"
#include "store/audit.h"
#include "store/oauth.h"
#include "store/secmem.h"
#include "store/secretref.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define REQUEST_MAX (1024 * 1024)
#define RESOLVE_OAUTH_TIMEOUT_MS 3000

/* All of stdin, at most REQUEST_MAX bytes. NULL with a message printed. */
static char *read_request(size_t *len)
{
	char *buf = secmem_alloc(REQUEST_MAX + 2);
	*len = 0;
	while (buf) {
		ssize_t n = read(0, buf + *len, REQUEST_MAX + 1 - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cli_failf("cannot read the request from stdin: %s", strerror(errno));
			break;
		}
		*len += (size_t)n;
		if (n == 0) {
			buf[*len] = '\0';
			return buf;
		}
		if (*len > REQUEST_MAX) {
			cli_failf("request larger than 1 MiB: send one {\"protocolVersion\":1,\"provider\":...,\"ids\":[...]} object");
			break;
		}
	}
	secmem_free(buf);
	return NULL;
}

/* The request's ids array, checked; NULL with a message printed. */
static const cJSON *request_ids(const cJSON *req)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, "protocolVersion");
	const cJSON *ids = cJSON_GetObjectItemCaseSensitive(req, "ids"), *e;
	const cJSON *prov = cJSON_GetObjectItemCaseSensitive(req, "provider");
	if (!cJSON_IsObject(req))
		return cli_failf("the request is not a JSON object: expected {\"protocolVersion\":1,\"provider\":\"...\",\"ids\":[...]}"), NULL;
	if (!cJSON_IsNumber(v) || v->valuedouble != 1)
		return cli_failf("unsupported protocolVersion: this command speaks version 1"), NULL;
	if (prov && !cJSON_IsString(prov))
		return cli_failf("\"provider\" must be a string"), NULL;
	if (!cJSON_IsArray(ids))
		return cli_failf("\"ids\" must be an array of strings"), NULL;
	cJSON_ArrayForEach(e, ids)
		if (!cJSON_IsString(e))
			return cli_failf("\"ids\" must be an array of strings"), NULL;
	return ids;
}

static const char *code_of(int rc)
{
	switch (-rc) {
	case ENOENT: case ENOKEY: return "NOT_FOUND";
	case EKEYEXPIRED: return "EXPIRED";
	case EKEYREJECTED: return "REJECTED";
	case EINVAL: return "INVALID_ID";
	default: return "UNAVAILABLE";
	}
}

static void add_error(cJSON *errors, const char *id, int rc, const struct nv_err *err)
{
	cJSON *e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "code", code_of(rc));
	cJSON_AddStringToObject(e, "message", err->msg[0] ? err->msg : "cannot resolve this id");
	cJSON_DeleteItemFromObjectCaseSensitive(errors, id);
	cJSON_AddItemToObject(errors, id, e);
}

static void resolve_one(struct home *h, const char *id, cJSON *values, cJSON *errors)
{
	struct selection sel;
	struct nv_err err = { 0 };
	char agent[AGENT_MAX + 1] = "";
	if (cJSON_GetObjectItemCaseSensitive(values, id))
		return; /* asked twice */
	int rc = secretref_resolve(h, id, &sel, agent, &err);
	if (rc == 0 && !sel.secret[0])
		rc = nv_fail(&err, ENOKEY, "the credential is empty");
	if (rc < 0) {
		add_error(errors, id, rc, &err);
	} else {
		cJSON_AddItemToObject(values, id, cJSON_CreateString(sel.secret));
		struct audit_event ev = { agent, sel.id[0] ? sel.id : sel.env_var, "secrets-resolve", NULL, 0, 0 };
		struct nv_err aerr = { 0 };
		if (audit_record(h, &ev, &aerr) < 0)
			fprintf(stderr, "Warning: audit: %s\n", aerr.msg);
	}
	selection_wipe(&sel);
}

static int resolve(const cJSON *ids)
{
	struct nv_err err = { 0 };
	struct home *h;
	if (home_open(&h, &err) < 0)
		return cli_fail(&err);
	oauth_set_timeout_ms(RESOLVE_OAUTH_TIMEOUT_MS);
	cJSON *resp = cJSON_CreateObject(), *e;
	cJSON_AddNumberToObject(resp, "protocolVersion", 1);
	cJSON *values = cJSON_AddObjectToObject(resp, "values");
	cJSON *errors = cJSON_AddObjectToObject(resp, "errors");
	cJSON_ArrayForEach(e, ids)
		resolve_one(h, e->valuestring, values, errors);
	char *text = cJSON_PrintUnformatted(resp);
	cJSON_Delete(resp);
	home_free(h);
	if (!text)
		return cli_failf("out of memory");
	fputs(text, stdout);
	fputc('\n', stdout);
	cJSON_free(text); /* wiped: it held the secrets */
	return fflush(stdout) == 0 ? 0 : cli_failf("cannot write the answer: %s", strerror(errno));
}

int secrets_resolve_main(int argc, char **argv)
{
	struct cli_opts o = { .cmd = argv[0] };
	while (cli_getopt(&o, argc, argv, NULL, "") != -1)
		;
	if (optind < argc)
		return cli_unexpected(o.cmd, argv[optind]);
	if (o.agent)
		return cli_usage(o.cmd, "--agent does not apply: prefix an id with its agent (ops/anthropic)");
	size_t len;
	char *text = read_request(&len);
	if (!text)
		return 1;
	cJSON *req = cJSON_ParseWithLength(text, len);
	secmem_free(text);
	if (!req)
		return cli_failf("the request is not valid JSON: expected {\"protocolVersion\":1,\"provider\":\"...\",\"ids\":[...]}");
	const cJSON *ids = request_ids(req);
	int rc = ids ? resolve(ids) : 1;
	cJSON_Delete(req);
	return rc;
}
