/* The command-line face: shared helpers for the cmd_*.c files. Only cli/
 * prints or picks exit codes. */
#ifndef NV_CLI_H
#define NV_CLI_H

#include <getopt.h>
#include <stdio.h>

#include "store/error.h"
#include "store/home.h"
#include "store/profile.h"
#include "store/store.h"

#define EXIT_USAGE 2

/* One row of the command table (cli/main.c). */
struct command {
	const char *name;      /* "models auth order" */
	int (*main)(int argc, char **argv);
	const char *args;      /* synopsis after the name */
	const char *summary;   /* one line */
	const char *help;      /* option lines, may be NULL */
};

extern const struct command commands[];
const struct command *command_find(const char *name);

/* What every command opens: home, agent, its store. */
struct cli_ctx {
	struct home *home;
	char agent[AGENT_MAX + 1];
	struct store *store;
};

/* Open home and resolve agent (NULL: default). Prints the error. */
int cli_open(struct cli_ctx *ctx, const char *agent);
void cli_close(struct cli_ctx *ctx);

/* Print "Error: <msg>" to stderr; returns 1 (the exit code). */
int cli_fail(const struct nv_err *err);
int cli_failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A usage error: message, a pointer to --help, exit code 2. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_help(const struct command *c, FILE *out);

/* Text from stores, configs, providers, the environment or the user, made
 * visible for printing (store/vis.h: no escape sequence reaches the
 * terminal). Valid until the eighth call after this one: enough for one
 * printf. */
const char *cli_vis(const char *s);
/* Print v as formatted JSON (control characters escaped) and a newline. */
int cli_print_json(const cJSON *v);

/* Options every command takes: --agent and --help. Parse argv with the
 * command's own long options appended after these two; returns the
 * getopt_long result for the caller's switch, with --agent and --help
 * handled (help prints and exits 0). */
struct cli_opts {
	const char *cmd;
	const char *agent;          /* the last --agent */
	const char *agents[64];     /* every --agent, for mount */
	int n_agents;
	int many_agents;            /* set by mount: --agent may repeat */
};
int cli_getopt(struct cli_opts *o, int argc, char **argv, const struct option *extra, const char *shortopts);

/* Read a secret from stdin into buf (cap bytes, wiped by the caller):
 * on a TTY with a prompt on stderr and echo off, else all of stdin.
 * Trims white space; checks it with secret_check(what). */
int read_secret(const char *prompt, const char *what, char *buf, size_t cap, size_t *len, struct nv_err *err);

/* Ask a yes/no question on the TTY; 1 yes, 0 no. */
int ask_yes(const char *question);

/* Parse the --provider P and --json options (and the common ones). */
void cli_provider_json(struct cli_opts *o, int argc, char **argv, const char **provider, int *json);

/* A stray argument as it may be quoted in an error: a short word as
 * typed, anything else masked (it may be a secret in the wrong place). */
void cli_shown_arg(const char *arg, char out[MASK_MAX]);
/* The usage error for a stray argument (quoted as cli_shown_arg says). */
int cli_unexpected(const char *cmd, const char *arg);

/* A whole number option in [lo, hi]; a usage error otherwise. */
int cli_number(const char *cmd, const char *opt, const char *s, long lo, long hi, long *out);

/* Normalise --provider, printing the error. 0 or exit code. */
int cli_provider(const char *cmd, const char *given, char *out);

#endif
