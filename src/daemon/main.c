/*
 * liaisond: one node. Reads the home's liaison.conf, opens the store (one
 * read connection for the loop, one write connection for the writer thread),
 * serves TAXII 2.1 over TLS 1.3, logs one JSON object per line on stdout.
 * SIGTERM/SIGINT: stop accepting, finish every write in flight, commit, exit 0.
 */
#include "crypto/cx.h"
#include "daemon/ha.h"
#include "exchange/exchange.h"
#include "hotline/node.h"
#include "http/peer.h"
#include "http/server.h"
#include "http/taxii.h"
#include "http/ui.h"
#include "http/tls.h"
#include "liaison/config.h"
#include "store/store.h"
#include "store/readers.h"
#include "store/writer.h"
#include "util/log.h"
#include "util/enc.h"
#include "util/err.h"
#include "util/ts.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VERSION "0.1.0"

struct daemon {
	struct lsn_config cfg;
	struct event_base *base;
	void *ssl;
	struct store *rd;
	struct writer *w;
	struct readers *readers;      /* postgres: page reads off the loop, or NULL */
	struct taxii *taxii;
	struct ui *ui;
	struct http_server *http;
	struct cx_key *key;
	struct exchange *ex;
	void *peer_ssl;
	struct peer_api *peer;
	struct hotline_node *hotline;
	int64_t last_tick_us;
	char agreements_dir[4200];         /* <home>/agreements */
	struct http_server *peer_http;
	struct event *sig_term, *sig_int, *sig_hup, *drain_timer, *log_timer, *reload_timer;
	char pid_path[LSN_PATH_MAX];
	struct ha *ha;                     /* NULL: this daemon alone owns the store */
	char name[128];                    /* host:pid, among the node's daemons */
	int lost;                          /* lost the active role: exit 75 for a restart */
	int stopping;
	int64_t stop_us;
};

/*
 * Log lines are buffered and flushed every LOG_FLUSH_MS (and at exit), not
 * one write(2) per request; a kill -9 can lose the last fraction of a
 * second of access log, never data.
 */
#define LOG_FLUSH_MS 200

/* Called from the loop, the writer and the link threads: one line at a time. */
static void
log_line(void *arg, const char *line, size_t len)
{
	flockfile(stdout);
	fwrite_unlocked(line, 1, len, stdout);
	fputc_unlocked('\n', stdout);
	funlockfile(stdout);
}

static void
on_log_flush(evutil_socket_t fd, short what, void *arg)
{
	fflush(stdout);
}

static void __attribute__((format(printf, 2, 3)))
log_event(const char *event, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emitv(log_line, NULL, event, fmt, ap);
	va_end(ap);
	fflush(stdout); /* events are rare and matter: at once */
}

static void
log_error(const char *what, const struct err *err)
{
	struct buf b = BUF_INIT(2048);

	buf_add_json_str(&b, err->msg, strlen(err->msg));
	log_event("error", "\"what\":\"%s\",\"message\":%s", what, b.data ? b.data : "\"\"");
	buf_release(&b);
	fprintf(stderr, "liaisond: %s\n", err->msg);
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: liaisond [--home DIR] [--listen HOST:PORT] [--peer-listen HOST:PORT]\n"
	    "\n"
	    "Runs a liaison node in the foreground: the TAXII 2.1 API over HTTPS\n"
	    "(TLS 1.3) and the peer listener for paired partners (mutual TLS 1.3,\n"
	    "pinned keys) on the addresses in DIR/liaison.conf, delivering shared\n"
	    "objects to partners; logs one JSON object per line on standard output.\n"
	    "SIGTERM or SIGINT stops it cleanly: every write in flight is committed\n"
	    "and answered first. SIGHUP makes it look at its partners at once\n"
	    "(`liaison partner add|remove` sends it).\n"
	    "With a PostgreSQL store ([store] url) several daemons may run for one\n"
	    "node, on copies of its home: one is active, the others standby and\n"
	    "take over within seconds if it dies (docs/operations.md). A daemon that\n"
	    "loses the active role drains its requests and starts again as a\n"
	    "standby (the same process; exit status 75 if it cannot).\n"
	    "\n"
	    "options:\n"
	    "  --home DIR    the node home made by `liaison init` (default: $LIAISON_HOME)\n"
	    "  --listen HOST:PORT       the TAXII API's address instead of liaison.conf's\n"
	    "  --peer-listen HOST:PORT  the peer listener's (default: the TAXII port + 1)\n"
	    "  --help        this text\n"
	    "  --version     print the version\n"
	    "\n"
	    "example:\n"
	    "  liaison init --home /var/lib/liaison --name cert-a\n"
	    "  liaisond --home /var/lib/liaison\n");
}

#define DRAIN_MAX_US (10 * 1000000)

/*
 * Exit once every write is committed and answered and every connection has
 * flushed its last answer; a client that keeps a half-sent request open is
 * not waited for beyond DRAIN_MAX_US (nothing of its request was stored).
 */
static void
on_drain(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	if (taxii_inflight(d->taxii) > 0 || peer_api_inflight(d->peer) > 0)
		return;
	if ((http_server_conns(d->http) == 0 && http_server_conns(d->peer_http) == 0) ||
	    clock_now_us() - d->stop_us > DRAIN_MAX_US)
		event_base_loopexit(d->base, NULL);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	struct timeval tv = { 0, 10000 };

	if (d->stopping)
		return;
	d->stopping = 1;
	d->stop_us = clock_now_us();
	log_event("stopping", "\"signal\":%d,\"in_flight\":%zu", (int)sig, taxii_inflight(d->taxii));
	http_server_drain(d->http);
	http_server_drain(d->peer_http);
	d->drain_timer = event_new(d->base, -1, EV_PERSIST, on_drain, d);
	event_add(d->drain_timer, &tv);
}

static int
load_cursor_key(struct daemon *d, uint8_t key[32], struct err *err)
{
	char hex[80];
	int r;

	if ((r = store_meta_get(d->rd, "cursor_key", hex, sizeof(hex), err)) < 0)
		return r;
	if (hex_decode(hex, strlen(hex), key, 32) < 0)
		return err_set(err, LSN_EINVAL, "the store's cursor_key is not 64 hex characters");
	return 0;
}

static int
write_pid(struct daemon *d, struct err *err)
{
	char buf[32];
	int fd, n;

	lsn_path(d->cfg.home, LSN_PID_NAME, d->pid_path);
	fd = open(d->pid_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return err_set(err, LSN_EIO, "cannot write %s: %s", d->pid_path, strerror(errno));
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n) {
		close(fd);
		return err_set(err, LSN_EIO, "cannot write %s: %s", d->pid_path, strerror(errno));
	}
	close(fd);
	return 0;
}

static int
pinned(void *arg, const uint8_t spki[32])
{
	return exchange_pinned(arg, spki);
}

/*
 * Partners added or removed with the CLI take effect within RELOAD_MS: one
 * small query on the loop thread each time.
 */
#define RELOAD_MS 250
/* Overdue cases and preservation reminders are looked for this often. */
#define HOTLINE_TICK_MS 1000

static void
on_reload(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct err err = ERR_INIT;

	int64_t now = clock_now_us();

	/* a standby runs no singleton: no links, no checkpoints, no hotline clock */
	if (!ha_active(d->ha))
		return;
	if (!d->stopping && exchange_reload(d->ex, d->rd, &err) < 0)
		log_error("reload", &err);
	exchange_tick(d->ex);
	/*
	 * `liaison notify|ack|...` queued a case step: pack it now. With
	 * several daemons the others' TAXII writes wake nobody here: look.
	 */
	if ((what & EV_SIGNAL) || d->ha != NULL)
		exchange_notify(d->ex);
	if (!d->stopping && now - d->last_tick_us >= HOTLINE_TICK_MS * 1000) {
		d->last_tick_us = now;
		hotline_node_tick(d->hotline, d->rd, now);
	}
}

/*
 * The store must be this node's: init records the node's public key in it,
 * so a URL (or a path) pointing at another node's store is refused before
 * anything is written. A store made before the key was recorded gets it now.
 */
static int
check_node_key(struct daemon *d, struct err *err)
{
	uint8_t pub[CX_ED25519_PUB_LEN];
	char hex[2 * CX_ED25519_PUB_LEN + 1], stored[2 * CX_ED25519_PUB_LEN + 1], where[512];
	int r;

	cx_key_public(d->key, pub);
	hex_encode(pub, sizeof(pub), hex);
	r = store_meta_get(d->rd, "node_key", stored, sizeof(stored), err);
	if (r == -LSN_ENOTFOUND)
		return store_meta_set(d->rd, "node_key", hex, err);
	if (r < 0)
		return r;
	if (strcmp(stored, hex) == 0)
		return 0;
	store_spec_where(lsn_config_store(&d->cfg), where, sizeof(where));
	return err_set(err, LSN_EDENIED, "the store at %s belongs to another node (its key is "
	    "ed25519 %.16s..., this home's is %.16s...): check [store] in liaison.conf",
	    where, stored, hex);
}

static int
start_exchange(struct daemon *d, struct err *err)
{
	struct exchange_config xc = { 0 };
	struct http_limits lim;
	struct http_app app;
	int r;

	if ((r = cx_key_load(d->cfg.signing_key, &d->key, err)) < 0 ||
	    (r = check_node_key(d, err)) < 0)
		return r;
	xc.store_spec = lsn_config_store(&d->cfg);
	xc.key = d->key;
	xc.tls_cert = d->cfg.tls_cert;
	xc.tls_key = d->cfg.tls_key;
	xc.w = d->w;
	xc.envelope_objects = d->cfg.envelope_objects;
	xc.envelope_bytes = d->cfg.envelope_bytes;
	xc.batch_bytes = d->cfg.batch_bytes;
	xc.pack_delay_ms = d->cfg.pack_delay_ms;
	xc.retry_min_ms = d->cfg.retry_min_ms;
	xc.retry_max_ms = d->cfg.retry_max_ms;
	xc.timeout_ms = d->cfg.peer_timeout_ms;
	xc.node_name = d->cfg.name;
	snprintf(d->agreements_dir, sizeof(d->agreements_dir), "%s/agreements", d->cfg.home);
	xc.agreements_dir = d->agreements_dir;
	xc.checkpoint_ms = d->cfg.checkpoint_ms;
	xc.heartbeat_s = d->cfg.heartbeat_s;
	xc.log = log_line;
	{
		struct hotline_node_config hc = { 0 };
		hc.w = d->w;
		hc.log = log_line;
		if ((r = hotline_escalation_parse(d->cfg.escalate_after, d->cfg.escalate_to, &hc.esc,
		    err)) < 0)
			return err_prefix(err, "[hotline] "), r;
		if ((r = hotline_node_new(&hc, &d->hotline, err)) < 0)
			return r;
	}
	xc.on_case_envelope = hotline_node_step;
	xc.case_arg = d->hotline;
	if ((r = exchange_new(&xc, &d->ex, err)) < 0)
		return r;
	if (ha_active(d->ha) && (r = exchange_reload(d->ex, d->rd, err)) < 0)
		return r;
	d->peer_ssl = http_tls_peer_ctx(d->cfg.tls_cert, d->cfg.tls_key, pinned, d->ex, err);
	if (d->peer_ssl == NULL)
		return -LSN_EIO;
	if ((r = peer_api_new(d->ex, d->rd, d->cfg.name, &d->peer, err)) < 0)
		return r;
	/* partners go to the node's next endpoint until this daemon is active */
	peer_api_set_standby(d->peer, !ha_active(d->ha));
	peer_api_app(d->peer, &app);
	/* a batch may be as large as the partner's batch_bytes plus one envelope */
	lim.max_body = d->cfg.batch_bytes + ENV_BODY_MAX + ENV_HEADER_LEN + ENV_SIG_LEN;
	lim.idle_timeout_s = d->cfg.idle_timeout;
	lim.request_timeout_s = d->cfg.request_timeout;
	lim.max_conns = d->cfg.max_connections;
	if ((r = http_server_new(d->base, d->peer_ssl, &app, &lim, &d->peer_http, err)) < 0)
		return r;
	peer_api_attach(d->peer, d->peer_http);
	if ((r = http_server_listen(d->peer_http, d->cfg.peer_listen, err)) < 0)
		return r;
	{
		struct timeval tv = { 0, RELOAD_MS * 1000 };
		d->reload_timer = event_new(d->base, -1, EV_PERSIST, on_reload, d);
		event_add(d->reload_timer, &tv);
		/* `liaison partner add|remove` sends SIGHUP: no need to wait for the timer */
		d->sig_hup = evsignal_new(d->base, SIGHUP, on_reload, d);
		event_add(d->sig_hup, NULL);
	}
	return 0;
}

/*
 * The loop batches its epoll_ctl calls into one change list applied before
 * each epoll_wait, so interest added and removed in the same turn (an
 * answer written at once, http_reply) costs no system call. The change
 * list's known limit is dup()ed descriptors, which the daemon never makes.
 */
static struct event_base *
loop_new(void)
{
	struct event_config *cfg = event_config_new();
	struct event_base *base;

	if (cfg == NULL)
		return NULL;
	event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return base;
}

/*
 * event_base_dispatch, one turn at a time: the reads of a turn share one
 * snapshot of the store (read_linger), released after the turn so that
 * the next one sees what other processes committed meanwhile.
 */
static int
run_loop(struct daemon *d)
{
	int r;

	store_read_linger(d->rd, 1);
	do {
		r = event_base_loop(d->base, EVLOOP_ONCE);
		store_read_release(d->rd);
	} while (r == 0 && !event_base_got_exit(d->base) && !event_base_got_break(d->base));
	store_read_linger(d->rd, 0);
	return r < 0 ? -1 : 0;
}

static void
on_active(void *arg, int64_t epoch)
{
	struct daemon *d = arg;
	struct err err = ERR_INIT;

	log_event("active", "\"daemon\":\"%s\",\"epoch\":%lld", d->name, (long long)epoch);
	if (d->peer != NULL)
		peer_api_set_standby(d->peer, 0);
	if (d->ex != NULL && exchange_reload(d->ex, d->rd, &err) < 0)
		log_error("reload", &err);
}

static void
on_lost(void *arg, const char *why)
{
	struct daemon *d = arg;
	struct buf b = BUF_INIT(2048);

	buf_add_json_str(&b, why, strlen(why));
	log_event("lost_active", "\"daemon\":\"%s\",\"epoch\":%lld,\"why\":%s", d->name,
	    (long long)ha_epoch(d->ha), b.data ? b.data : "\"\"");
	buf_release(&b);
	d->lost = 1;
	if (d->peer != NULL)
		peer_api_set_standby(d->peer, 1);
	on_signal(0, 0, d);
}

/* Several daemons on one database: this one starts as a standby (ha.h). */
static int
start_ha(struct daemon *d, struct err *err)
{
	struct ha_config hc = { 0 };

	hc.store_spec = lsn_config_store(&d->cfg);
	hc.name = d->name;
	hc.taxii = d->cfg.listen;
	hc.peer = d->cfg.peer_listen;
	hc.w = d->w;
	hc.on_active = on_active;
	hc.on_lost = on_lost;
	hc.arg = d;
	return ha_new(d->base, &hc, &d->ha, err);
}


/* The dashboard: its sessions, and its files (without them the node still runs). */
static int
start_ui(struct daemon *d, struct err *err)
{
	struct err uerr = ERR_INIT;
	struct buf b = BUF_INIT(2048);
	int r;

	if ((r = ui_new((int64_t)d->cfg.session_idle_min * 60 * 1000000,
	    (int64_t)d->cfg.session_hours * 3600 * 1000000, &d->ui, err)) < 0)
		return r;
	if (ui_load(d->ui, d->cfg.ui_dir, &uerr) < 0) {
		buf_add_json_str(&b, uerr.msg, strlen(uerr.msg));
		log_event("dashboard_unavailable", "\"message\":%s", b.data ? b.data : "\"\"");
		buf_release(&b);
	}
	return 0;
}
#define READ_CONNECTIONS_MAX 64

/*
 * On PostgreSQL, pages of objects are read on connections of their own off
 * the loop (store/readers.h); SQLite reads stay on the loop thread.
 */
static int
start_readers(struct daemon *d, struct err *err)
{
	struct store *s[READ_CONNECTIONS_MAX];
	char where[256];
	int i, r, n = d->cfg.read_connections;

	if (n == 0 || store_spec_where(lsn_config_store(&d->cfg), where, sizeof(where)) != 1)
		return 0;
	if (n > READ_CONNECTIONS_MAX)
		return err_set(err, LSN_EINVAL, "[store] read_connections is %d; at most %d", n,
		    READ_CONNECTIONS_MAX);
	for (i = 0; i < n; i++) {
		if ((r = store_open(lsn_config_store(&d->cfg), 0, &s[i], err)) < 0) {
			while (i-- > 0)
				store_close(s[i]);
			return r;
		}
	}
	return readers_new(s, (size_t)n, &d->readers, err);
}

static int
start(struct daemon *d, struct err *err)
{
	struct taxii_config tc = { 0 };
	struct http_limits lim;
	struct http_app app;
	struct store *wr, *ckpt;
	int r;

	d->base = loop_new();
	if (d->base == NULL)
		return err_set(err, LSN_EIO, "cannot create the event loop");
	if ((d->ssl = http_tls_server_ctx(d->cfg.tls_cert, d->cfg.tls_key, err)) == NULL)
		return -LSN_EIO;
	if ((r = store_open(lsn_config_store(&d->cfg), 0, &d->rd, err)) < 0)
		return r;
	if ((r = store_open(lsn_config_store(&d->cfg), 0, &wr, err)) < 0)
		return r;
	if ((r = store_open(lsn_config_store(&d->cfg), 0, &ckpt, err)) < 0) {
		store_close(wr);
		return r;
	}
	if ((r = writer_new(wr, ckpt, d->cfg.batch_max, &d->w, err)) < 0) {
		store_close(wr);
		store_close(ckpt);
		return r;
	}
	if ((r = start_ha(d, err)) < 0 || (r = start_readers(d, err)) < 0)
		return r;
	tc.readers = d->readers;
	tc.title = d->cfg.title;
	tc.description = d->cfg.description;
	tc.contact = d->cfg.contact;
	tc.root = d->cfg.root;
	tc.public_url = d->cfg.public_url[0] ? d->cfg.public_url : NULL;
	tc.max_content_length = d->cfg.max_content_length;
	tc.page_default = d->cfg.page_default;
	tc.page_max = d->cfg.page_max;
	tc.page_bytes_max = d->cfg.page_bytes_max;
	tc.log = log_line;
	if ((r = start_exchange(d, err)) < 0)
		return r;
	tc.ex = d->ex;
	tc.hotline = d->hotline;
	tc.agreements_dir = d->agreements_dir;
	tc.node_name = d->cfg.name;
	if (cx_cert_not_after(d->cfg.tls_cert, &tc.cert_not_after_us, err) < 0)
		return -LSN_EINVAL;
	if ((r = load_cursor_key(d, tc.cursor_key, err)) < 0)
		return r;
	if ((r = start_ui(d, err)) < 0)
		return r;
	tc.ui = d->ui;
	tc.base = d->base;
	if ((r = taxii_new(&tc, d->rd, d->w, &d->taxii, err)) < 0)
		return r;
	taxii_app(d->taxii, &app);
	lim.max_body = d->cfg.max_content_length;
	lim.idle_timeout_s = d->cfg.idle_timeout;
	lim.request_timeout_s = d->cfg.request_timeout;
	lim.max_conns = d->cfg.max_connections;
	if ((r = http_server_new(d->base, d->ssl, &app, &lim, &d->http, err)) < 0)
		return r;
	taxii_attach(d->taxii, d->http);
	if ((r = http_server_listen(d->http, d->cfg.listen, err)) < 0)
		return r;
	d->sig_term = evsignal_new(d->base, SIGTERM, on_signal, d);
	d->sig_int = evsignal_new(d->base, SIGINT, on_signal, d);
	event_add(d->sig_term, NULL);
	event_add(d->sig_int, NULL);
	{
		struct timeval tv = { 0, LOG_FLUSH_MS * 1000 };
		d->log_timer = event_new(d->base, -1, EV_PERSIST, on_log_flush, d);
		event_add(d->log_timer, &tv);
	}
	return write_pid(d, err);
}

static void
stop(struct daemon *d)
{
	if (d->drain_timer)
		event_free(d->drain_timer);
	if (d->log_timer)
		event_free(d->log_timer);
	if (d->reload_timer)
		event_free(d->reload_timer);
	if (d->sig_hup)
		event_free(d->sig_hup);
	fflush(stdout);
	if (d->sig_term)
		event_free(d->sig_term);
	if (d->sig_int)
		event_free(d->sig_int);
	/* before the server their answers go to (drained with taxii_inflight) */
	readers_free(d->readers);
	http_server_free(d->http);
	http_server_free(d->peer_http);
	/* links first: their last writes go through the writer */
	exchange_free(d->ex);
	writer_free(d->w); /* commits whatever is queued, closes its store */
	ha_free(d->ha);    /* after the writer: its fence job is done */
	hotline_node_free(d->hotline);
	peer_api_free(d->peer);
	http_tls_ctx_free(d->peer_ssl);
	cx_key_free(d->key);
	taxii_free(d->taxii);
	ui_free(d->ui);
	store_close(d->rd);
	http_tls_ctx_free(d->ssl);
	if (d->base)
		event_base_free(d->base);
	if (d->pid_path[0])
		unlink(d->pid_path);
}

/* --listen and --peer-listen: the same home on a second machine, other addresses. */
static int
override_listen(struct daemon *d, const char *listen, const char *peer)
{
	if ((listen && strlen(listen) >= sizeof(d->cfg.listen)) ||
	    (peer && strlen(peer) >= sizeof(d->cfg.peer_listen)) ||
	    (listen && strchr(listen, ':') == NULL) || (peer && strchr(peer, ':') == NULL)) {
		fprintf(stderr, "liaisond: --listen and --peer-listen take HOST:PORT\n");
		usage(stderr);
		return -1;
	}
	if (listen != NULL) {
		snprintf(d->cfg.listen, sizeof(d->cfg.listen), "%s", listen);
		if (peer == NULL)
			lsn_config_peer_default(listen, d->cfg.peer_listen, sizeof(d->cfg.peer_listen));
	}
	if (peer != NULL)
		snprintf(d->cfg.peer_listen, sizeof(d->cfg.peer_listen), "%s", peer);
	return 0;
}

/*
 * host:pid names this daemon among the node's daemons, and its database
 * sessions (libpq's PGAPPNAME), so a standby can end a stuck one's.
 */
static void
name_daemon(struct daemon *d)
{
	char host[64] = "localhost", app[160];

	gethostname(host, sizeof(host) - 1);
	snprintf(d->name, sizeof(d->name), "%s:%ld", host, (long)getpid());
	snprintf(app, sizeof(app), "liaison/%s", d->name);
	setenv("PGAPPNAME", app, 1);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "listen", required_argument, NULL, 'L' },
		{ "peer-listen", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon d;
	struct err err = ERR_INIT;
	char home[LSN_PATH_MAX];
	const char *opt_home = NULL, *opt_listen = NULL, *opt_peer = NULL;
	int c, rc = 0;

	memset(&d, 0, sizeof(d));
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'H': opt_home = optarg; break;
		case 'L': opt_listen = optarg; break;
		case 'P': opt_peer = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("liaisond %s\n", VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "liaisond: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	evthread_use_pthreads();
	if (lsn_home_resolve(opt_home, home, &err) < 0 ||
	    lsn_config_load(home, &d.cfg, &err) < 0) {
		fprintf(stderr, "liaisond: %s\n", err.msg);
		return 1;
	}
	if (override_listen(&d, opt_listen, opt_peer) < 0)
		return 2;
	name_daemon(&d);
	if (start(&d, &err) < 0) {
		log_error("start", &err);
		rc = 1;
		goto out;
	}
	log_event("started", "\"version\":\"%s\",\"node\":\"%s\",\"listen\":\"%s\",\"port\":%d,"
	    "\"peer_listen\":\"%s\",\"peer_port\":%d,\"api_root\":\"/%s/\",\"pid\":%ld", VERSION,
	    d.cfg.name, d.cfg.listen, http_server_port(d.http), d.cfg.peer_listen,
	    http_server_port(d.peer_http), d.cfg.root, (long)getpid());
	if (run_loop(&d) < 0) {
		err_set(&err, LSN_EIO, "the event loop failed");
		log_error("loop", &err);
		rc = 1;
	}
out:
	stop(&d);
	if (rc == 0)
		log_event("stopped", "\"clean\":true");
	if (rc == 0 && d.lost) {
		/* the same daemon again, from the start: a standby until it holds the lease */
		log_event("restarting", "\"why\":\"lost the active role\"");
		execv("/proc/self/exe", argv);
		fprintf(stderr, "liaisond: cannot restart itself: %s\n", strerror(errno));
		return 75;   /* EX_TEMPFAIL: for the service manager to start it again */
	}
	return rc;
}
