/* nova-engine: one table of commands; each lives in cli/cmd_<name>.c. */
#include "cli/cli.h"
#include "fs/fs.h"
#include "cli/commands.h"
#include "cli/man.h"
#include "store/secmem.h"
#include "store/version.h"

#include <string.h>


const struct command commands[] = {
	{ "models status", status_main, "[--json | --plain] [--check] [--probe [--probe-provider P]... [--probe-profile ID]... [--probe-timeout MS] [--probe-concurrency N]]",
	  "Show models, where each provider's credential comes from, and expiry.",
	  "  --json       one JSON object\n  --plain      print only the default model\n"
	  "  --check      exit 1 when a credential is expired/missing or not usable (see \"Not usable\")\n"
	  "               or a provider in use has none,\n"
	  "               2 when one expires within 24 h, else 0\n"
	  "  --probe      check every credential live against its provider, in parallel\n"
	  "  --probe-provider P     only these providers (repeat, or a comma list)\n"
	  "  --probe-profile ID     only these profiles (repeat, or a comma list)\n"
	  "  --probe-timeout MS     per check (default 8000)\n"
	  "  --probe-concurrency N  checks at once (default: all, at most 64)\n" },
	{ "models auth list", list_main, "[--provider P] [--json]", "List stored auth profiles (secrets masked).", NULL },
	{ "models auth paste-token", paste_token_main, "--provider P [--profile-id ID] [--expires-in DUR]",
	  "Store a token read from stdin (type token) as <P>:default or ID.",
	  "  --expires-in DUR   e.g. 90d, 12h, 30m; a bare number means days\n" },
	{ "models auth paste-api-key", paste_api_key_main, "--provider P [--profile-id ID]",
	  "Store an API key read from stdin as <P>:default or ID.", NULL },
	{ "models auth setup-token", setup_token_main, "--provider anthropic [--profile-id ID] [--yes]",
	  "Store the output of `claude setup-token` (interactive TTY only).",
	  "  --yes        skip the question whether `claude setup-token` was run\n" },
	{ "models auth login", login_main, "--provider anthropic|openai-codex [--profile-id ID]",
	  "Log in with OAuth in a browser (PKCE); works headless: paste the redirect URL or code.",
	  "  The browser's answer is taken from the loopback callback or from stdin, whichever\n"
	  "  comes first. The profile is <provider>:<email> (or :default) unless --profile-id.\n" },
	{ "models auth logout", logout_main, "PROFILE_ID [--yes]", "Delete a stored auth profile.", NULL },
	{ "models auth token", token_main, "--provider P | PROFILE_ID",
	  "Print the secret that would be used (or of the named profile).", NULL },
	{ "models auth report", report_main, "PROFILE_ID good | failure REASON",
	  "Report how a credential worked; failures put it in cooldown.",
	  "  REASON: rate_limit, timeout, auth, billing, format or unknown\n" },
	{ "models session", session_main, "SID [COMMAND]",
	  "Run a chat command for session SID, answering as the chat would (default: /model status).",
	  "  COMMAND: /model | /model list | /model status | /model <alias-or-id>[@<profile>] | /new | /reset\n"
	  "  /model m@profile pins the profile for the session; /new and /reset clear the\n"
	  "  auto-selected profile and keep the pin.\n" },
	{ "models auth order", order_main, "get | set | clear --provider P [IDS...] [--json]",
	  "Show, set or clear the agent's credential order for a provider.", NULL },
	{ "doctor", doctor_main, "[--fix] [--yes] [--non-interactive] [--json]",
	  "Check config, permissions, stores, expiry, FUSE and mounts; --fix repairs what it safely can.",
	  "  --fix              repair the fixable findings (asks first on a terminal)\n"
	  "  --yes              do not ask\n  --non-interactive  never prompt\n  --json             one JSON object\n"
	  "  Exit 0 only when healthy (no error or warning).\n" },
	{ "onboard", onboard_main, "[--non-interactive --provider P [--profile-id ID]]",
	  "Set up a key for the gateway: agent, provider, key (no echo), live check, systemd unit.",
	  "  --non-interactive  read the key from stdin; no questions\n" },
	{ "store", store_main, "import FILE | export | rekey | migrate --to etcd|file",
	  "Seal a plaintext auth-profiles.json, print the store as plaintext, change the key, or move every agent's store "
	  "to the other backend (files or etcd) and switch store.backend.",
	  "  --to etcd|file     migrate: where the stores go (read back and compared before the switch)\n" },
	{ "mount", mount_main, "MOUNTPOINT [-f] [--allow-other] [--uid U] [--gid G] [--read-only] [--agent ID]... [--log FILE] [-o OPTS]",
	  "Mount the credential filesystem (daemonizes unless -f).",
	  "  -f, --foreground   stay in the foreground, log to stderr\n"
	  "  --allow-other      let other users in (kernel checks modes); needs user_allow_other\n"
	  "  --uid U, --gid G   owner of the files (default: you)\n"
	  "  --read-only        refuse every change with EROFS\n"
	  "  --agent ID         show only these agents (repeatable; default: all)\n"
	  "  --log FILE         log to FILE instead of syslog\n"
	  "  -o OPTS            extra FUSE mount options\n" },
	{ "umount", umount_main, "MOUNTPOINT", "Unmount the credential filesystem.", NULL },
	{ "secrets resolve", secrets_resolve_main, "< REQUEST",
	  "OpenClaw's exec secret provider (protocol v1): JSON request on stdin, secrets as JSON on stdout.",
	  "  Request: {\"protocolVersion\":1,\"provider\":\"nova\",\"ids\":[\"anthropic\",\"anthropic:work\",\"ops/openai\"]}\n"
	  "  An id is a provider (the credential the order selects), a profile id, or either\n"
	  "  prefixed by an agent. Answer: {\"protocolVersion\":1,\"values\":{...},\"errors\":{id:{code,message}}}\n"
	  "  with code NOT_FOUND, EXPIRED, REJECTED, INVALID_ID or UNAVAILABLE. Exit 0 when the\n"
	  "  request was understood; 1 with a message for a malformed one (or over 1 MiB).\n" },
	{ "audit", audit_main, "[--since DUR|TIME] [--json]",
	  "Show who read which secret (the audit trail), oldest first; --agent ID shows one agent's.",
	  "  --since DUR|TIME  only reads after a time: 90m, 2h, 7d back, or 2026-11-27T04:00:00Z\n"
	  "  --json            a JSON array of the trail's lines\n" },
	{ "env", env_main, "get NAME",
	  "Print one nova-engine setting (NOVA_*) as commands see it: the environment, then <state>/.env, then config env.vars.",
	  "  Exit 1 with nothing printed when it is not set. ./.env is never read for settings\n"
	  "  (it is untrusted), and credentials are not shown here (see models auth token).\n" },
	{ NULL, NULL, NULL, NULL, NULL },
};

const struct command *command_find(const char *name)
{
	for (const struct command *c = commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: nova-engine COMMAND [OPTIONS]\n\nCommands:\n");
	for (const struct command *c = commands; c->name; c++)
		fprintf(out, "  %-26s %s\n", c->name, c->summary);
	fprintf(out, "\nEvery command takes --agent ID and --help. Secrets are read from stdin, never from arguments.\n");
}

/* Match the longest run of argv words that names a command. */
static const struct command *match(int argc, char **argv, int *words)
{
	char name[64] = "";
	const struct command *best = NULL;
	for (int i = 1; i < argc && i <= 3; i++) {
		if (argv[i][0] == '-')
			break;
		snprintf(name + strlen(name), sizeof(name) - strlen(name), "%s%s", i > 1 ? " " : "", argv[i]);
		const struct command *c = command_find(name);
		if (c) {
			best = c;
			*words = i;
		}
	}
	return best;
}

/* The commands under a group of words ("models", "models auth"), listed
 * to out (NULL: only count them); 0 when the words name no group. */
static int group_usage(FILE *out, const char *group)
{
	size_t n = strlen(group), found = 0;
	for (const struct command *c = commands; c->name; c++) {
		if (strncmp(c->name, group, n) != 0 || c->name[n] != ' ')
			continue;
		if (out && !found)
			fprintf(out, "Commands under \"%s\":\n", group);
		if (out)
			fprintf(out, "  nova-engine %-26s %s\n", c->name, c->summary);
		found++;
	}
	return found > 0;
}

/* The first k argv words, joined: e.g. "models auth". */
static void typed_words(char **argv, int k, char *out, size_t cap)
{
	out[0] = '\0';
	for (int i = 1; i <= k; i++)
		snprintf(out + strlen(out), cap - strlen(out), "%s%s", i > 1 ? " " : "", argv[i]);
}

/* No command matched: a group name alone ("nova-engine models") lists
 * its commands, a group with a word it lacks says so and lists them;
 * anything else is unknown. */
static int unmatched(int argc, char **argv)
{
	int typed = 0, help = argc > 2 && strcmp(argv[argc - 1], "--help") == 0;
	while (typed + 1 < argc && typed < 3 && argv[typed + 1][0] != '-')
		typed++;
	char group[64], shown[MASK_MAX]; /* a secret typed in the wrong place is not echoed */
	for (int k = typed; k >= 1; k--) {
		typed_words(argv, k, group, sizeof(group));
		if (k == typed && group_usage(help ? stdout : stderr, group)) {
			if (!help)
				fprintf(stderr, "Run 'nova-engine %s COMMAND --help' for one command's options.\n", group);
			return help ? 0 : EXIT_USAGE;
		}
		if (k < typed && group_usage(NULL, group)) {
			cli_shown_arg(argv[k + 1], shown);
			fprintf(stderr, "Error: unknown command \"%s %s\"\n", group, shown);
			group_usage(stderr, group);
			return EXIT_USAGE;
		}
	}
	cli_shown_arg(argv[1], shown);
	fprintf(stderr, "Error: unknown command \"%s\"\n", shown);
	fprintf(stderr, "Run 'nova-engine --help' for the list of commands.\n");
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	if (argc == 1 && strcmp(argv[0], FS_TOUCHER_ARGV0) == 0) /* the mount's own helper */
		return fs_toucher_main();
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (strcmp(argv[1], "--man") == 0) /* for make: the man pages */
		return man_print(argc > 2 ? argv[2] : "1");
	if (strcmp(argv[1], "--list-commands") == 0) { /* for shell completion */
		for (const struct command *c = commands; c->name; c++)
			printf("%s\n", c->name);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("nova-engine %s\n", NOVA_VERSION);
		return 0;
	}
	int words = 0;
	const struct command *c = match(argc, argv, &words);
	if (!c)
		return unmatched(argc, argv);
	/* not for what touches no secret (usage, man, version, umount): its
	 * CPU feature probes alone cost a VM exit each */
	if (c->main != umount_main && secmem_init() < 0)
		return cli_failf("cannot initialise libsodium");
	/* argv[0] of the command is its name; options follow. */
	argv[words] = (char *)c->name;
	return c->main(argc - words, argv + words);
}
