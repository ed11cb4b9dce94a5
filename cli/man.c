/* Man pages from the tables the program runs on: nova-engine(1) from the
 * command table, nova-engine-fs(5) from the filesystem's file table. They
 * cannot drift from --help or from what the mount does. */
#include "cli/cli.h"
#include "cli/man.h"
#include "fs/tree.h"
#include "store/version.h"

#include <string.h>

/* roff-safe text: escape backslashes and leading dots/quotes. */
static void roff(const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", stdout);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", stdout);
		else if (*s == '-')
			fputs("\\-", stdout);
		else
			putchar(*s);
		if (*s == '\n' && (s[1] == '.' || s[1] == '\''))
			fputs("\\&", stdout);
	}
}

static void page1(void)
{
	printf(".TH NOVA-ENGINE 1 \"\" \"nova-engine %s\" \"User Commands\"\n.SH NAME\nnova-engine \\- credential store, commands and filesystem of the Nova Engine gateway\n", NOVA_VERSION);
	printf(".SH SYNOPSIS\n.B nova-engine\n.I command\n.RI [ options ]\n.SH DESCRIPTION\n");
	roff("Keeps API keys, setup-tokens and OAuth tokens for model providers, per agent, in a sealed store (XChaCha20-Poly1305), and shows them as files with nova-engine mount (see nova-engine-fs(5)). Secrets are read from stdin, never from arguments. Errors go to stderr as \"Error: ...\" with a non-zero exit.\n");
	printf(".SH COMMANDS\n");
	for (const struct command *c = commands; c->name; c++) {
		printf(".TP\n.B nova-engine %s\n", c->name);
		roff(c->args);
		printf("\n.br\n");
		roff(c->summary);
		putchar('\n');
		if (c->help) {
			printf(".nf\n");
			roff(c->help);
			printf(".fi\n");
		}
	}
	printf(".SH COMMON OPTIONS\n.TP\n.B \\-\\-agent ID\nact on agent ID (default: agents.default in the config, else main)\n.TP\n.B \\-\\-help\nthis command's usage\n");
	printf(".SH FILES\n.TP\n~/.nova-engine\nstate dir (NOVA_ENGINE_STATE_DIR)\n.TP\n~/.nova-engine/nova-engine.json\nconfig (NOVA_ENGINE_CONFIG_PATH)\n.TP\n~/.nova-engine/store.key\nthe store key (NOVA_ENGINE_KEY_FILE, $CREDENTIALS_DIRECTORY/nova-engine.key)\n.TP\n~/.nova-engine/agents/ID/agent/auth-profiles.json\nan agent's sealed store\n.TP\n~/.nova-engine/.env\nenvironment for the daemon\n");
	printf(".SH SEE ALSO\nnova-engine-fs(5)\n");
}

static void dir_entry(const struct dir_def *d)
{
	printf(".TP\n.B ");
	roff(*d->path ? d->path : "MOUNTPOINT");
	printf("/\n(mode %04o)\n", (unsigned)d->mode);
	if (d->doc) {
		printf(".br\n");
		roff(d->doc);
		putchar('\n');
	}
}

/* The files of a directory: those with a directory of their own
 * (native/APP) name it in place of the path's last part. */
static void files_of(enum level lv, const char *where)
{
	size_t n;
	const struct file_def *f = tree_files(lv, &n);
	for (size_t i = 0; i < n; i++) {
		printf(".TP\n.B ");
		char path[256];
		const char *slash = strrchr(where, '/');
		if (f[i].dir && slash)
			snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - where), where, f[i].dir);
		roff(f[i].dir && slash ? path : where);
		putchar('/');
		roff(f[i].name);
		printf("\n(mode %04o)\n.br\n", (unsigned)f[i].mode);
		roff(f[i].doc ? f[i].doc : "");
		putchar('\n');
	}
}

static void page5(void)
{
	printf(".TH NOVA-ENGINE-FS 5 \"\" \"nova-engine %s\" \"File Formats\"\n.SH NAME\nnova-engine-fs \\- the files of the nova-engine credential filesystem\n", NOVA_VERSION);
	printf(".SH DESCRIPTION\n");
	roff("nova-engine mount MOUNTPOINT shows the credential store as files. Every file is generated when it is opened; each open reads one consistent snapshot. Listings and stat never reach a provider. Modes are shown with group bits (0750, 0440) only when the mount was given a group with --gid: without it, agents, metrics and the status files, and the directories that lead to them, are the owner's alone (0700, 0400), since they name agents and profiles. Secrets (token, order, health, env, auth-profiles.json, native/, sessions/) are the owner's alone either way.\n");
	size_t n;
	const struct dir_def *d = tree_dirs(&n);
	printf(".SH DIRECTORIES\n");
	for (size_t i = 0; i < n; i++)
		dir_entry(&d[i]);
	printf(".SH FILES\n");
	for (size_t i = 0; i < n; i++)
		if (d[i].files != L_NONE)
			files_of(d[i].files, d[i].path);
	printf(".SH ERRORS\n.TP\nENOKEY, EKEYEXPIRED, EKEYREJECTED\nno credential; only expired ones; refused by the provider\n.TP\nEINVAL\na malformed write\n.TP\nEFBIG\nmore than 16 KiB written\n.TP\nEROFS\na \\-\\-read\\-only mount\n.TP\nEACCES\nanother user, or writing a read-only file\n.TP\nENOENT\nan unknown name\n.TP\nENOTEMPTY, EPERM\na removal that would lose more than asked\n");
	printf(".SH SIGNALS\nSIGTERM and SIGINT unmount; SIGHUP reloads the config and .env files.\n.SH SEE ALSO\nnova-engine(1), fusermount3(1)\n");
}

int man_print(const char *section)
{
	if (strcmp(section, "1") == 0)
		page1();
	else if (strcmp(section, "5") == 0)
		page5();
	else
		return cli_failf("no man page in section \"%s\": use 1 or 5", section);
	return 0;
}
