/* nova-engine models auth login: PKCE in the browser, the answer taken
 * from the loopback callback or from what the user pastes, whichever
 * comes first, so it works on a desktop and headless over SSH alike. */
#include "cli/cli.h"
#include "cli/commands.h"
#include "store/creds.h"
#include "store/login.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#define LOGIN_WAIT_MS (10 * 60 * 1000)

static int listen_on(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 4) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* msg as HTML text: whatever reached it from the redirect (the provider's
 * error parameter, which anyone can put in a URL) stays text. */
static void html_text(const char *msg, char *out, size_t cap)
{
	size_t o = 0;
	for (; *msg && o + 7 < cap; msg++) {
		const char *e = *msg == '&' ? "&amp;" : *msg == '<' ? "&lt;" : *msg == '>' ? "&gt;"
			      : *msg == '"' ? "&quot;" : *msg == '\'' ? "&#39;" : NULL;
		if (e) {
			memcpy(out + o, e, strlen(e));
			o += strlen(e);
		} else {
			out[o++] = *msg;
		}
	}
	out[o] = '\0';
}

static void reply(int c, int ok, const char *msg)
{
	char page[4096], text[3072];
	html_text(msg, text, sizeof(text));
	int n = snprintf(page, sizeof(page), "<!doctype html><title>nova-engine</title><p>%s</p>", text);
	dprintf(c, "HTTP/1.1 %s\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		ok ? "200 OK" : "400 Bad Request", n, page);
}

/* One browser request on the loopback port: 0 with the code, or -errno. */
static int take_callback(int lfd, const struct login *l, char *code, size_t cap, struct nv_err *err)
{
	int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return -EAGAIN;
	char req[8192];
	size_t len = 0;
	struct pollfd p = { c, POLLIN, 0 };
	while (len < sizeof(req) - 1 && poll(&p, 1, 5000) > 0) {
		ssize_t n = read(c, req + len, sizeof(req) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	req[len] = '\0';
	int rc = strncmp(req, "GET ", 4) == 0 ? login_code_from_text(l, req + 4, code, cap, err) : -EAGAIN;
	if (rc == -EAGAIN)
		reply(c, 0, "Not a login redirect.");
	else
		reply(c, rc == 0, rc == 0 ? "Signed in to nova-engine. You can close this tab." : err->msg);
	sodium_memzero(req, sizeof(req));
	close(c);
	return rc;
}

/* A pasted line (echo off on a terminal): 0 with the code, -errno. */
static int take_paste(const struct login *l, char *line, size_t *len, size_t cap, char *code, size_t ccap, struct nv_err *err)
{
	ssize_t n = read(0, line + *len, cap - 1 - *len);
	if (n <= 0)
		return *len ? login_code_from_text(l, line, code, ccap, err) : -ENODATA;
	*len += (size_t)n;
	line[*len] = '\0';
	if (!strchr(line, '\n') && *len < cap - 1)
		return -EAGAIN;
	int rc = login_code_from_text(l, line, code, ccap, err);
	sodium_memzero(line, cap);
	*len = 0;
	return rc;
}

/* Wait for the code from either source. */
static int wait_code(const struct login *l, int lfd, char *code, size_t cap, struct nv_err *err)
{
	char line[4096];
	size_t len = 0;
	int tty = isatty(0), rc = -EAGAIN, stdin_open = 1;
	struct termios old;
	if (tty && tcgetattr(0, &old) == 0) {
		struct termios quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		tcsetattr(0, TCSANOW, &quiet);
	}
	while (rc == -EAGAIN) {
		struct pollfd p[2] = { { stdin_open ? 0 : -1, POLLIN, 0 }, { lfd, POLLIN, 0 } };
		int n = poll(p, 2, LOGIN_WAIT_MS);
		if (n == 0) {
			rc = nv_fail(err, ETIMEDOUT, "no answer from the browser in 10 minutes: run login again");
			break;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (lfd >= 0 && (p[1].revents & POLLIN))
			rc = take_callback(lfd, l, code, cap, err);
		if (rc == -EAGAIN && (p[0].revents & (POLLIN | POLLHUP))) {
			rc = take_paste(l, line, &len, sizeof(line), code, cap, err);
			if (rc == -ENODATA) {
				stdin_open = 0;
				if (lfd >= 0) /* the paste prompt no longer holds: say what does */
					fprintf(stderr, "\nstdin closed: waiting for the browser only (up to 10 minutes; Ctrl-C to stop)\n");
				rc = lfd >= 0 ? -EAGAIN : nv_fail(err, ENODATA, "stdin closed before a code was pasted");
			} else if (rc < 0 && rc != -EAGAIN && tty) {
				fprintf(stderr, "Error: %s\nPaste again: ", cli_vis(err->msg));
				rc = -EAGAIN;
			}
		}
	}
	if (tty)
		tcsetattr(0, TCSANOW, &old);
	sodium_memzero(line, sizeof(line));
	return rc;
}

static int profile_for(const char *cmd, const char *arg, const char *prov, const cJSON *cred, char *id)
{
	struct nv_err err = { 0 };
	const char *email = cred_email(cred);
	if (arg) {
		if (profile_id_new(arg, prov, id, NULL, &err) < 0)
			return cli_fail(&err);
	} else if (!email || profile_id_new(email, prov, id, NULL, NULL) < 0) {
		snprintf(id, PROFILE_ID_MAX + 1, "%s:default", prov);
	}
	(void)cmd;
	return 0;
}

int login_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "provider", required_argument, NULL, 'P' },
		{ "profile-id", required_argument, NULL, 'I' },
		{ 0 },
	};
	struct cli_opts o = { .cmd = argv[0] };
	const char *prov_arg = NULL, *id_arg = NULL;
	int c, rc;
	while ((c = cli_getopt(&o, argc, argv, opts, "")) != -1) {
		if (c == 'P')
			prov_arg = optarg;
		if (c == 'I')
			id_arg = optarg;
	}
	char prov[PROVIDER_MAX + 1], id[PROFILE_ID_MAX + 1], code[2048];
	if (optind < argc)
		return cli_unexpected(o.cmd, argv[optind]);
	if ((rc = cli_provider(o.cmd, prov_arg, prov)))
		return rc;
	if (id_arg && (rc = profile_for(o.cmd, id_arg, prov, NULL, id)))
		return rc;
	struct cli_ctx ctx;
	if (cli_open(&ctx, o.agent))
		return 1;
	struct login *l = sodium_malloc(sizeof(*l));
	struct nv_err err = { 0 };
	cJSON *cred = NULL;
	int lfd = -1;
	if (!l || login_begin(ctx.home, prov, l, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	int port = login_loopback_port(l);
	if (port && (lfd = listen_on(port)) < 0)
		fprintf(stderr, "Note: cannot listen on 127.0.0.1:%d (%s); paste the redirect URL instead.\n", port, strerror(errno));
	fprintf(stderr, "Open this URL in a browser and authorize nova-engine:\n\n  %s\n\n", cli_vis(l->url));
	fprintf(stderr, lfd >= 0 ? "Waiting for the browser to come back to %s,\nor paste the URL it ends on (or the code) here: "
				 : "Paste the code the page shows (or the whole URL the browser ends on): ",
		cli_vis(l->ep.redirect_uri));
	fflush(stderr);
	if ((rc = wait_code(l, lfd, code, sizeof(code), &err)) < 0 || (rc = login_finish(l, code, &cred, &err)) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	enum cred_type type;
	if ((rc = profile_for(o.cmd, id_arg, prov, cred, id)))
		goto out;
	rc = creds_save(ctx.store, id, prov, cred, &type, &err);
	cred = NULL;
	if (rc < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	printf("Updated %s\nAuth profile: %s (%s/oauth)\n", cli_vis(home_config_path(ctx.home)), cli_vis(id), prov);
out:
	sodium_memzero(code, sizeof(code));
	cJSON_Delete(cred);
	if (lfd >= 0)
		close(lfd);
	if (l)
		sodium_free(l);
	cli_close(&ctx);
	return rc;
}
