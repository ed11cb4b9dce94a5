/* Secrets and answers from the terminal or a pipe. Secrets never come from
 * argv: they would show in ps and shell history. */
#include "cli/cli.h"

#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* Echo goes off before the prompt shows, and TCSANOW keeps what was typed
 * ahead: a fast paste right after the prompt is neither shown nor lost.
 * Canonical mode goes off too: the terminal would cut a line at 4095
 * characters and hand over the rest of a long paste silently dropped, so
 * the line (erase, kill and ^C included) is read here, to the end, and a line
 * over cap comes back as cap (too long) instead of being cut. */
static ssize_t read_tty_line(const char *prompt, char *buf, size_t cap)
{
	struct termios old, quiet;
	int have = tcgetattr(0, &old) == 0;
	if (have) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ICANON | ISIG);
		quiet.c_cc[VMIN] = 1;
		quiet.c_cc[VTIME] = 0;
		tcsetattr(0, TCSANOW, &quiet);
	}
	fprintf(stderr, "%s", prompt);
	fflush(stderr);
	size_t n = 0;
	int over = 0;
	ssize_t r = 0;
	char c;
	while ((r = read(0, &c, 1)) == 1 || (r < 0 && errno == EINTR)) {
		if (r < 0)
			continue;
		if (c == '\n' || (have && c == (char)old.c_cc[VEOF]))
			break;
		if (have && c == (char)old.c_cc[VINTR]) { /* ^C: the terminal back as it was, then die of it */
			tcsetattr(0, TCSANOW, &old);
			fputc('\n', stderr);
			sodium_memzero(buf, cap);
			raise(SIGINT);
		}
		if (have && (c == (char)old.c_cc[VERASE] || c == 0x7f || c == '\b')) {
			n -= n > 0;
			continue;
		}
		if (have && c == (char)old.c_cc[VKILL]) {
			n = 0;
			continue;
		}
		if (n < cap)
			buf[n++] = c;
		else
			over = 1;
	}
	if (have) {
		tcsetattr(0, TCSANOW, &old);
		fputc('\n', stderr); /* what ECHONL showed */
	}
	sodium_memzero(&c, sizeof(c));
	return r < 0 ? -1 : over ? (ssize_t)cap : (ssize_t)n;
}

static ssize_t read_all(char *buf, size_t cap)
{
	size_t n = 0;
	for (;;) {
		ssize_t r = read(0, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0 || (n += (size_t)r) == cap)
			return (ssize_t)n;
	}
}

int read_secret(const char *prompt, const char *what, char *buf, size_t cap, size_t *len, struct nv_err *err)
{
	ssize_t n = isatty(0) ? read_tty_line(prompt, buf, cap - 1) : read_all(buf, cap - 1);
	if (n < 0)
		return nv_fail(err, errno, "cannot read the %s from stdin: %s", what, strerror(errno));
	if ((size_t)n == cap - 1) {
		sodium_memzero(buf, cap);
		return nv_fail(err, EINVAL, "%s is too long (more than %d bytes)", what, SECRET_MAX);
	}
	buf[n] = '\0';
	if (memchr(buf, '\0', (size_t)n)) {
		sodium_memzero(buf, cap);
		return nv_fail(err, EINVAL, "%s contains a NUL byte", what);
	}
	*len = secret_trim(buf, (size_t)n);
	int rc = secret_check(buf, *len, what, err);
	if (rc < 0)
		sodium_memzero(buf, cap);
	return rc;
}

int ask_yes(const char *question)
{
	char line[16];
	fprintf(stderr, "%s [y/N] ", question);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return 0;
	return line[0] == 'y' || line[0] == 'Y';
}
