/*
 * Helpers every command shares: open the node named by --home or
 * $LIAISON_HOME, print errors and JSON, read a password from stdin.
 * Never echoes a password and never keeps one past its use.
 */
#include "cli/cli.h"
#include "crypto/cx.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

int
cli_fail(const struct err *err)
{
	fprintf(stderr, "liaison: %s\n", err->msg[0] ? err->msg : "failed");
	return CLI_FAIL;
}

int
cli_json_print(json_t *doc)
{
	if (doc == NULL) {
		fprintf(stderr, "liaison: out of memory building the JSON output\n");
		return CLI_FAIL;
	}
	json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(doc);
	return CLI_OK;
}

int
cli_node_open(const struct cli_args *a, struct cli_node *n, struct err *err)
{
	char home[LSN_PATH_MAX];
	int r;

	n->s = NULL;
	if ((r = lsn_home_resolve(a->home, home, err)) < 0)
		return r;
	if ((r = lsn_config_load(home, &n->cfg, err)) < 0)
		return r;
	return store_open(lsn_config_store(&n->cfg), 0, &n->s, err);
}

void
cli_node_close(struct cli_node *n)
{
	store_close(n->s);
	n->s = NULL;
}

int
cli_split_listen(const char *listen, char *host, size_t hostcap, int *ret_port)
{
	const char *h = listen, *colon, *end;
	char *pe;
	long port;

	if (*listen == '[') {
		h = listen + 1;
		end = strchr(h, ']');
		if (end == NULL || end[1] != ':')
			return -1;
		colon = end + 1;
	} else {
		colon = strrchr(listen, ':');
		if (colon == NULL || memchr(listen, ':', (size_t)(colon - listen)) != NULL)
			return -1;
		end = colon;
	}
	if (end == h || (size_t)(end - h) >= hostcap)
		return -1;
	port = strtol(colon + 1, &pe, 10);
	if (colon[1] < '0' || colon[1] > '9' || *pe != '\0' || port < 0 || port > 65535)
		return -1;
	memcpy(host, h, (size_t)(end - h));
	host[end - h] = '\0';
	*ret_port = (int)port;
	return 0;
}

void
cli_api_root(const struct lsn_config *cfg, char *out, size_t cap)
{
	if (cfg->public_url[0])
		snprintf(out, cap, "%s/%s/", cfg->public_url, cfg->root);
	else
		snprintf(out, cap, "https://%s/%s/", cfg->listen, cfg->root);
}

static int
read_line(char *out, size_t cap, struct err *err)
{
	size_t n = 0;
	int c;

	while ((c = getchar()) != EOF && c != '\n') {
		if (n + 1 >= cap) {
			cx_wipe(out, cap);
			return err_set(err, LSN_ETOOBIG,
			    "the password on stdin is longer than %zu bytes", cap - 1);
		}
		out[n++] = (char)c;
	}
	if (n > 0 && out[n - 1] == '\r')
		n--;
	out[n] = '\0';
	if (n == 0)
		return err_set(err, LSN_EINVAL,
		    "the password on stdin is empty (give it as the first line of stdin)");
	return 0;
}

int
cli_read_password(char *out, size_t cap, struct err *err)
{
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	int r;

	if (tty) {
		fputs("Password: ", stderr);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	r = read_line(out, cap, err);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	return r;
}

long
cli_daemon_pid(const struct lsn_config *cfg)
{
	char path[LSN_PATH_MAX], comm[64] = "";
	long pid = 0;
	FILE *f;

	lsn_path(cfg->home, LSN_PID_NAME, path);
	if ((f = fopen(path, "r")) != NULL) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	if (pid <= 0)
		return 0;
	/* a stale pid file may name another program now: only a liaisond counts */
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(comm, sizeof(comm), f) == NULL)
			comm[0] = '\0';
		fclose(f);
		return strncmp(comm, "liaisond", 8) == 0 ? pid : 0;
	}
	/* no /proc: the process exists (EPERM: it belongs to another user) */
	return kill((pid_t)pid, 0) == 0 || errno == EPERM ? pid : 0;
}

void
cli_daemon_reload(const struct lsn_config *cfg)
{
	long pid = cli_daemon_pid(cfg);

	if (pid > 0)
		kill((pid_t)pid, SIGHUP);
}

int
cli_read_file(const char *path, struct buf *b, struct err *err)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char chunk[65536];
	size_t n;
	int r = 0;

	if (f == NULL)
		return err_set(err, LSN_EIO, "cannot open %s: %s", path, strerror(errno));
	while (r == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_add(b, chunk, n) < 0)
			r = err_set(err, LSN_ETOOBIG, "%s is larger than the %zu bytes it may hold",
			    path, b->max);
	if (r == 0 && ferror(f))
		r = err_set(err, LSN_EIO, "could not read %s: %s", path, strerror(errno));
	if (f != stdin)
		fclose(f);
	return r;
}
