/*
 * liaison.conf: INI through inih. Every key is listed in one table with its
 * section, type and destination, so loading, defaults and the commented file
 * written by `liaison init` cannot drift apart.
 */
#include "liaison/config.h"
#include "util/err.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum kind { K_STR, K_SIZE, K_INT, K_INT0, K_PATH };   /* K_INT0: 0 allowed */

struct key {
	const char *section, *name;
	enum kind kind;
	size_t off, cap;
	const char *help;
};

#define S(f) offsetof(struct lsn_config, f), sizeof(((struct lsn_config *)0)->f)

static const struct key keys[] = {
	{ "node", "name", K_STR, S(name), "This node's name, shown to partners and in logs." },
	{ "taxii", "listen", K_STR, S(listen), "HOST:PORT of the TAXII 2.1 API (HTTPS, TLS 1.3 only)." },
	{ "taxii", "root", K_STR, S(root), "Path segment of the one API root: https://HOST:PORT/<root>/." },
	{ "taxii", "title", K_STR, S(title), "Title of the discovery resource and the API root." },
	{ "taxii", "description", K_STR, S(description), "Description shown with the title." },
	{ "taxii", "contact", K_STR, S(contact), "Contact shown in the discovery resource (optional)." },
	{ "taxii", "public_url", K_STR, S(public_url),
	  "https://HOST:PORT that clients use, for discovery links; empty: taken from the Host header." },
	{ "taxii", "max_content_length", K_SIZE, S(max_content_length),
	  "Largest request body in bytes; larger POSTs get 413." },
	{ "taxii", "page_default", K_SIZE, S(page_default), "Objects per page when the client sends no limit." },
	{ "taxii", "page_max", K_SIZE, S(page_max), "Largest page a client may ask for with limit." },
	{ "taxii", "page_bytes_max", K_SIZE, S(page_bytes_max),
	  "A page stops growing past this many bytes of objects (more=true)." },
	{ "store", "path", K_PATH, S(store_path), "SQLite database file (when url is empty)." },
	{ "store", "url", K_STR, S(store_url),
	  "PostgreSQL URI (postgresql://user@host:port/db); empty: SQLite at path. "
	  "Passwords go in ~/.pgpass or PGPASSFILE." },
	{ "store", "batch_max", K_SIZE, S(batch_max),
	  "Most objects committed in one group commit (one fsync)." },
	{ "store", "read_connections", K_INT0, S(read_connections),
	  "PostgreSQL only: connections that read pages of objects off the event loop, so that "
	  "requests' round trips to the server overlap; 0: every read on the loop's one connection." },
	{ "tls", "cert", K_PATH, S(tls_cert), "TLS certificate (PEM) of the TAXII listener." },
	{ "tls", "key", K_PATH, S(tls_key), "Its private key (PEM)." },
	{ "keys", "signing_key", K_PATH, S(signing_key), "The node's Ed25519 signing key (PKCS#8 PEM)." },
	{ "peer", "listen", K_STR, S(peer_listen),
	  "HOST:PORT of the peer listener, which only paired partners reach (mutual TLS 1.3, pinned keys)." },
	{ "peer", "envelope_objects", K_SIZE, S(envelope_objects), "Most STIX objects packed into one envelope." },
	{ "peer", "envelope_bytes", K_SIZE, S(envelope_bytes), "Most body bytes in one envelope." },
	{ "peer", "batch_bytes", K_SIZE, S(batch_bytes),
	  "Most envelope bytes in one delivery request; partners' larger batches get 413." },
	{ "peer", "pack_delay_ms", K_INT0, S(pack_delay_ms),
	  "Milliseconds to wait after new objects before packing them, so bursts share envelopes." },
	{ "peer", "retry_min_ms", K_INT, S(retry_min_ms), "First wait after a failed delivery (doubles each time, with jitter)." },
	{ "peer", "retry_max_ms", K_INT, S(retry_max_ms), "Longest wait between delivery attempts." },
	{ "peer", "timeout_ms", K_INT, S(peer_timeout_ms), "Longest a delivery request may take." },
	{ "ledger", "checkpoint_ms", K_INT, S(checkpoint_ms),
	  "Sign a checkpoint of the log at most this often, when it grew (milliseconds)." },
	{ "ledger", "heartbeat_s", K_INT, S(heartbeat_s),
	  "Ask partners to cosign the latest checkpoint again at least this often (seconds)." },
	{ "hotline", "escalate_after", K_STR, S(escalate_after),
	  "Escalation levels: an overdue case reaches level N when it is late by more than the "
	  "Nth percentage of its clock's span (0: at once)." },
	{ "hotline", "escalate_to", K_STR, S(escalate_to),
	  "Who each escalation level calls, in order, separated by commas (shown in events)." },
	{ "ui", "dir", K_PATH, S(ui_dir),
	  "Folder of the dashboard's files (served at /ui/), as installed with the program." },
	{ "ui", "session_idle_min", K_INT, S(session_idle_min),
	  "Minutes a dashboard session may stay unused before it ends." },
	{ "ui", "session_hours", K_INT, S(session_hours),
	  "Hours after sign-in when a dashboard session ends, used or not." },
	{ "limits", "max_connections", K_INT, S(max_connections), "Open connections at most." },
	{ "limits", "idle_timeout", K_INT, S(idle_timeout),
	  "Seconds a connection may stay silent mid-request or idle between requests." },
	{ "limits", "request_timeout", K_INT, S(request_timeout),
	  "Seconds from a request's first byte to its last; slower clients get 408." },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

void
lsn_path(const char *home, const char *rel, char out[LSN_PATH_MAX])
{
	if (rel[0] == '/')
		snprintf(out, LSN_PATH_MAX, "%s", rel);
	else
		snprintf(out, LSN_PATH_MAX, "%s/%s", home, rel);
}

int
lsn_home_resolve(const char *opt_home, char out[LSN_PATH_MAX], struct err *err)
{
	const char *h = opt_home ? opt_home : getenv("LIAISON_HOME");
	char cwd[LSN_PATH_MAX];

	if (h == NULL || *h == '\0')
		return err_set(err, LSN_EINVAL, "no node home: pass --home DIR or set LIAISON_HOME");
	if (h[0] == '/') {
		snprintf(out, LSN_PATH_MAX, "%s", h);
	} else {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return err_set(err, LSN_EIO, "cannot read the current directory: %s", strerror(errno));
		snprintf(out, LSN_PATH_MAX, "%s/%s", cwd, h);
	}
	while (strlen(out) > 1 && out[strlen(out) - 1] == '/')
		out[strlen(out) - 1] = '\0';
	return 0;
}

const char *
lsn_config_store(const struct lsn_config *c)
{
	return c->store_url[0] != '\0' ? c->store_url : c->store_path;
}

void
lsn_config_defaults(struct lsn_config *c, const char *home)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->home, sizeof(c->home), "%s", home);
	snprintf(c->name, sizeof(c->name), "liaison");
	snprintf(c->listen, sizeof(c->listen), "%s", LSN_DEFAULT_LISTEN);
	snprintf(c->root, sizeof(c->root), "liaison");
	snprintf(c->title, sizeof(c->title), "liaison node");
	snprintf(c->description, sizeof(c->description),
	    "TAXII 2.1 API of a liaison node (information-security cooperation).");
	c->max_content_length = 10u << 20;
	c->page_default = 1000;
	c->page_max = 10000;
	c->page_bytes_max = 8u << 20;
	snprintf(c->store_path, sizeof(c->store_path), "store.db");
	c->batch_max = 8192;
	c->read_connections = 4;
	snprintf(c->tls_cert, sizeof(c->tls_cert), "tls/cert.pem");
	snprintf(c->tls_key, sizeof(c->tls_key), "tls/key.pem");
	snprintf(c->signing_key, sizeof(c->signing_key), "keys/signing.pem");
	c->peer_listen[0] = '\0';      /* derived from [taxii] listen, see lsn_config_peer_listen */
	c->envelope_objects = 1000;
	c->envelope_bytes = 4u << 20;
	c->batch_bytes = 8u << 20;
	c->pack_delay_ms = 2;
	c->retry_min_ms = 250;
	c->retry_max_ms = 60000;
	c->peer_timeout_ms = 60000;
	c->checkpoint_ms = 1000;
	c->heartbeat_s = 300;
	snprintf(c->escalate_after, sizeof(c->escalate_after), "0,50,100");
	snprintf(c->escalate_to, sizeof(c->escalate_to),
	    "duty officer, second contact, diplomatic POC");
	snprintf(c->ui_dir, sizeof(c->ui_dir), "%s", LIAISON_UI_DIR);
	c->session_idle_min = 30;
	c->session_hours = 12;
	c->max_connections = 1024;
	c->idle_timeout = 30;
	c->request_timeout = 120;
}

struct load_ctx {
	struct lsn_config *c;
	struct err *err;
	int failed;
};

static int
set_key(const struct key *k, struct lsn_config *c, const char *v, struct err *err)
{
	char *dst = (char *)c + k->off, *end;
	unsigned long long n;

	switch (k->kind) {
	case K_STR:
	case K_PATH:
		if (strlen(v) >= k->cap)
			return err_set(err, LSN_EINVAL, "%s is too long", k->name);
		memcpy(dst, v, strlen(v) + 1);
		return 0;
	case K_SIZE:
	case K_INT:
	case K_INT0:
		errno = 0;
		n = strtoull(v, &end, 10);
		if (*v < '0' || *v > '9' || *end != '\0' || errno || (n == 0 && k->kind != K_INT0) ||
		    (k->kind != K_SIZE && n > INT_MAX))
			return err_set(err, LSN_EINVAL, "%s must be a %s integer, not '%s'", k->name,
			    k->kind == K_INT0 ? "non-negative" : "positive", v);
		if (k->kind == K_SIZE)
			*(size_t *)(void *)dst = (size_t)n;
		else
			*(int *)(void *)dst = (int)n;
		return 0;
	}
	return -LSN_EINTERNAL;
}

static int
on_ini(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *lc = user;
	size_t i;

	if (lc->failed)
		return 0;
	for (i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0) {
			if (set_key(&keys[i], lc->c, value, lc->err) < 0)
				lc->failed = 1;
			return !lc->failed;
		}
	}
	err_set(lc->err, LSN_EINVAL, "unknown key '%s' in section [%s]", name, section);
	lc->failed = 1;
	return 0;
}

int
lsn_config_load(const char *home, struct lsn_config *ret, struct err *err)
{
	char path[LSN_PATH_MAX], tmp[LSN_PATH_MAX];
	struct load_ctx lc = { ret, err, 0 };
	int r;

	lsn_config_defaults(ret, home);
	lsn_path(home, LSN_CONF_NAME, path);
	r = ini_parse(path, on_ini, &lc);
	if (lc.failed) {
		err_prefix(err, "%s line %d: ", path, r);
		return -LSN_EINVAL;
	}
	if (r == -1)
		return err_set(err, LSN_ENOTFOUND,
		    "%s does not exist or cannot be read: is %s a node home? (liaison init creates one)",
		    path, home);
	if (r != 0)
		return err_set(err, LSN_EINVAL, "%s line %d is not valid INI", path, r);
	/* Relative paths are relative to the home folder. */
	snprintf(tmp, sizeof(tmp), "%s", ret->store_path);
	lsn_path(home, tmp, ret->store_path);
	snprintf(tmp, sizeof(tmp), "%s", ret->tls_cert);
	lsn_path(home, tmp, ret->tls_cert);
	snprintf(tmp, sizeof(tmp), "%s", ret->tls_key);
	lsn_path(home, tmp, ret->tls_key);
	snprintf(tmp, sizeof(tmp), "%s", ret->signing_key);
	lsn_path(home, tmp, ret->signing_key);
	if (ret->peer_listen[0] == '\0')
		lsn_config_peer_default(ret->listen, ret->peer_listen, sizeof(ret->peer_listen));
	if (ret->retry_min_ms > ret->retry_max_ms)
		return err_set(err, LSN_EINVAL, "liaison.conf: retry_min_ms is larger than retry_max_ms");
	if (ret->page_default > ret->page_max)
		return err_set(err, LSN_EINVAL, "liaison.conf: page_default is larger than page_max");
	return 0;
}

void
lsn_config_peer_default(const char *taxii_listen, char *out, size_t cap)
{
	const char *colon = strrchr(taxii_listen, ':');
	long port = colon ? strtol(colon + 1, NULL, 10) : 0;

	if (colon == NULL) {
		snprintf(out, cap, "127.0.0.1:8444");
		return;
	}
	/* port 0 (tests) stays 0: the kernel picks one */
	snprintf(out, cap, "%.*s:%ld", (int)(colon - taxii_listen), taxii_listen,
	    port > 0 && port < 65535 ? port + 1 : 0);
}

int
lsn_config_write(const struct lsn_config *c, struct err *err)
{
	char path[LSN_PATH_MAX];
	const char *section = "";
	FILE *f;
	size_t i;
	int fd;

	lsn_path(c->home, LSN_CONF_NAME, path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0640);
	if (fd < 0)
		return err_set(err, errno == EEXIST ? LSN_EEXIST : LSN_EIO, "cannot create %s: %s",
		    path, strerror(errno));
	f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		return err_set(err, LSN_EIO, "cannot write %s: %s", path, strerror(errno));
	}
	fprintf(f, "# liaison node configuration. Paths are relative to this folder.\n"
		   "# liaisond reads it at start; restart it after a change.\n");
	for (i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];
		const char *base = (const char *)c + k->off;

		if (strcmp(section, k->section) != 0) {
			section = k->section;
			fprintf(f, "\n[%s]\n", section);
		}
		fprintf(f, "# %s\n", k->help);
		if (k->kind == K_SIZE)
			fprintf(f, "%s = %zu\n", k->name, *(const size_t *)(const void *)base);
		else if (k->kind == K_INT || k->kind == K_INT0)
			fprintf(f, "%s = %d\n", k->name, *(const int *)(const void *)base);
		else
			fprintf(f, "%s = %s\n", k->name, base);
	}
	if (fclose(f) != 0)
		return err_set(err, LSN_EIO, "cannot write %s: %s", path, strerror(errno));
	return 0;
}
