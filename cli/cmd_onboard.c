/* nova-engine onboard: the wizard for a person at a terminal, and its
 * --non-interactive twin for scripts. */
#include "cli/cli.h"
#include "cli/commands.h"
#include "store/agents.h"
#include "store/creds.h"
#include "store/probe.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define INPUT_CAP (SECRET_MAX + 64)

/* A line answer with a default; out is trimmed. */
static void ask_line(const char *question, const char *dflt, char *out, size_t cap)
{
	fprintf(stderr, "%s [%s]: ", question, dflt);
	fflush(stderr);
	if (!fgets(out, (int)cap, stdin))
		out[0] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	size_t n = secret_trim(out, strlen(out));
	if (!n)
		snprintf(out, cap, "%s", dflt);
}

/* The agent to set up: an existing one, or a new one added to the config. */
static int choose_agent(struct home *h, const char *given, char *agent)
{
	char dflt[AGENT_MAX + 1], answer[128];
	struct nv_err err = { 0 };
	home_default_agent(h, dflt);
	if (given)
		snprintf(answer, sizeof(answer), "%s", given);
	else
		ask_line("Agent", dflt, answer, sizeof(answer));
	if (agent_id_check(answer, &err) < 0)
		return cli_fail(&err);
	if (home_agent_resolve(h, answer, agent, NULL) == 0)
		return 0;
	if (home_agent_add(h, answer, &err) < 0)
		return cli_fail(&err);
	fprintf(stderr, "Added agent %s to %s\n", answer, cli_vis(home_config_path(h)));
	snprintf(agent, AGENT_MAX + 1, "%s", answer);
	return 0;
}

/* Check the key live; 1 when the provider refused it. */
static int check_live(struct home *h, const char *provider, const char *secret, enum cred_type type)
{
	struct probe_outcome r;
	fprintf(stderr, "Checking the key with %s... ", provider);
	probe_key(h, provider, secret, type, 5000, &r);
	fprintf(stderr, "%s%s%s\n", *r.result ? r.result : "unknown", *r.advice ? ": " : "", r.advice);
	return r.refused;
}

static void offer_unit(void)
{
	if (!ask_yes("Mount the credential filesystem at login with the systemd user unit nova-engine-mount?"))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		execlp("systemctl", "systemctl", "--user", "enable", "--now", "nova-engine-mount.service", (char *)NULL);
		_exit(127);
	}
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fprintf(stderr, "Could not start it with systemctl (no systemd user session?). Mount by hand instead:\n"
				"  mkdir -p ~/nova-creds && nova-engine mount ~/nova-creds\n");
	else
		fprintf(stderr, "Started nova-engine-mount.service: the filesystem is on ~/nova-creds\n");
}

int onboard_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "non-interactive", no_argument, NULL, 'n' },
		{ "provider", required_argument, NULL, 'P' },
		{ "profile-id", required_argument, NULL, 'I' },
		{ 0 },
	};
	struct cli_opts o = { .cmd = argv[0] };
	const char *prov_arg = NULL, *id_arg = NULL;
	int nonint = 0, c, rc;
	while ((c = cli_getopt(&o, argc, argv, opts, "")) != -1) {
		nonint |= c == 'n';
		if (c == 'P')
			prov_arg = optarg;
		if (c == 'I')
			id_arg = optarg;
	}
	if (optind < argc)
		return cli_usage(o.cmd, "unexpected argument: keys are read from stdin, not arguments");
	if (nonint && !prov_arg)
		return cli_usage(o.cmd, "--non-interactive needs --provider P");
	if (!nonint && !isatty(0))
		return cli_failf("onboard is interactive: run it in a terminal, or use --non-interactive --provider P with the key on stdin");
	struct home *h;
	struct nv_err err = { 0 };
	char agent[AGENT_MAX + 1], prov[PROVIDER_MAX + 1], answer[128], id[PROFILE_ID_MAX + 1];
	if (home_open(&h, &err) < 0)
		return cli_fail(&err);
	if (!nonint)
		fprintf(stderr, "nova-engine onboard: store a provider key for the gateway.\n\n");
	char dflt[AGENT_MAX + 1];
	home_default_agent(h, dflt);
	if ((rc = choose_agent(h, nonint ? (o.agent ? o.agent : dflt) : o.agent, agent)))
		goto out;
	if (!prov_arg)
		ask_line("Provider (anthropic, openai, openrouter, google, mistral, groq, xai, deepseek, ...)", "anthropic", answer, sizeof(answer));
	if ((rc = cli_provider(o.cmd, prov_arg ? prov_arg : answer, prov)))
		goto out;
	if (profile_id_new(id_arg ? id_arg : "default", prov, id, NULL, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	char *key = sodium_malloc(INPUT_CAP);
	size_t len;
	char prompt[128];
	snprintf(prompt, sizeof(prompt), "Paste the %s API key (input hidden): ", prov);
	cJSON *cred = NULL;
	struct store *st = NULL;
	enum cred_type type;
	if (read_secret(prompt, "API key", key, INPUT_CAP, &len, &err) < 0 ||
	    cred_from_text(prov, key, len, CRED_NONE, &cred, &err) < 0) {
		rc = cli_fail(&err);
	} else if (check_live(h, prov, key, cred_type_of(cred)) && !nonint && !ask_yes("The provider refused this key. Store it anyway?")) {
		rc = cli_failf("nothing stored");
	} else if (store_open(h, agent, &st, &err) < 0) {
		rc = cli_fail(&err);
	} else if (rc = creds_save(st, id, prov, cred, &type, &err), cred = NULL, rc < 0) {
		rc = cli_fail(&err); /* creds_save took cred either way */
	} else {
		printf("Auth profile: %s (%s/%s) for agent %s\n", id, prov, cred_type_name(type), agent);
		if (!nonint)
			offer_unit();
	}
	cJSON_Delete(cred);
	store_free(st);
	sodium_free(key);
out:
	home_free(h);
	return rc;
}
