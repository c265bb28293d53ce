/*
 * The closed-loop TLS load generator of taxii_bench's latency test: one
 * thread, one epoll set, N non-blocking keep-alive connections. Requests are
 * plain HTTP/1.1 GETs written in one SSL_write; answers are read until
 * SSL_read would block, so nothing stays behind in OpenSSL's buffers.
 */
#include "tls_load.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define REQ_MAX 4096
#define PATH_CAP 2048
#define READ_CHUNK 16384

struct conn {
	long i;
	int fd;
	SSL *ssl;
	char req[REQ_MAX];
	size_t req_len, req_off;      /* req_off < req_len: a write waits for EPOLLOUT */
	struct sbuf in;               /* the answer's bytes so far */
	const char *want;
	double t0;
	int busy;                     /* a request is out */
	int timed;                    /* its answer counts */
};

struct run {
	const struct tls_load *cfg;
	struct tls_load_result *out;
	int ep;
	char host[256], port[16];
	char tail[1024];              /* " HTTP/1.1\r\nHost: ...\r\n\r\n" after the path */
	size_t tail_len;
	double until;
	long busy;
};

static void
ssl_die(const char *what, long conn)
{
	char msg[256];

	ERR_error_string_n(ERR_get_error(), msg, sizeof(msg));
	die("latency: connection %ld: %s: %s", conn, what, msg);
}

/* HOST and PORT of https://HOST:PORT/...; a bracketed IPv6 host is not taken. */
static void
parse_target(struct run *r, const char *url)
{
	const char *p = strstr(url, "://"), *end, *colon;

	p = p != NULL ? p + 3 : url;
	end = p + strcspn(p, "/");
	colon = memchr(p, ':', (size_t)(end - p));
	if (colon == NULL || colon == p || end - colon < 2 ||
	    (size_t)(colon - p) >= sizeof(r->host) ||
	    (size_t)(end - colon - 1) >= sizeof(r->port))
		die("latency: the URL %s names no HOST:PORT", url);
	memcpy(r->host, p, (size_t)(colon - p));
	r->host[colon - p] = '\0';
	memcpy(r->port, colon + 1, (size_t)(end - colon - 1));
	r->port[end - colon - 1] = '\0';
}

static void
conn_open(struct run *r, SSL_CTX *ctx, struct conn *c)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	unsigned char probe[16];
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
	int one = 1, rc;

	rc = getaddrinfo(r->host, r->port, &hints, &ai);
	if (rc != 0)
		die("latency: %s:%s: %s", r->host, r->port, gai_strerror(rc));
	c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, ai->ai_addr, ai->ai_addrlen) != 0)
		die("latency: connect to %s:%s: %m", r->host, r->port);
	freeaddrinfo(ai);
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->ssl = SSL_new(ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1)
		ssl_die("SSL_new", c->i);
	if (inet_pton(AF_INET, r->host, probe) == 1 || inet_pton(AF_INET6, r->host, probe) == 1) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), r->host) != 1)
			ssl_die("certificate IP check", c->i);
	} else if (SSL_set1_host(c->ssl, r->host) != 1 ||
	    SSL_set_tlsext_host_name(c->ssl, r->host) != 1) {
		ssl_die("certificate name check", c->i);
	}
	if (SSL_connect(c->ssl) != 1)
		ssl_die("TLS handshake", c->i);
	if (fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK) != 0 ||
	    epoll_ctl(r->ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
		die("latency: epoll: %m");
}

static void
set_out(struct run *r, struct conn *c, int on)
{
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c };

	if (epoll_ctl(r->ep, EPOLL_CTL_MOD, c->fd, &ev) != 0)
		die("latency: epoll: %m");
}

/* Writes what is left of the request; returns 0 if it must wait for EPOLLOUT. */
static int
flush_req(struct run *r, struct conn *c)
{
	int n, err;

	while (c->req_off < c->req_len) {
		n = SSL_write(c->ssl, c->req + c->req_off, (int)(c->req_len - c->req_off));
		if (n > 0) {
			c->req_off += (size_t)n;
			continue;
		}
		err = SSL_get_error(c->ssl, n);
		if (err == SSL_ERROR_WANT_WRITE) {
			set_out(r, c, 1);
			return 0;
		}
		if (err == SSL_ERROR_WANT_READ)
			return 0;     /* resumed by the next EPOLLIN */
		ssl_die("write", c->i);
	}
	return 1;
}

static void
send_req(struct run *r, struct conn *c, int timed)
{
	char path[PATH_CAP];
	size_t n;

	c->want = r->cfg->next(r->cfg->arg, c->i, path, sizeof(path));
	n = strlen(path);
	if (4 + n + r->tail_len > sizeof(c->req))
		die("latency: request path too long (%zu bytes)", n);
	memcpy(c->req, "GET ", 4);
	memcpy(c->req + 4, path, n);
	memcpy(c->req + 4 + n, r->tail, r->tail_len);
	c->req_len = 4 + n + r->tail_len;
	c->req_off = 0;
	c->busy = 1;
	c->timed = timed;
	r->busy++;
	c->t0 = now_s();
	flush_req(r, c);
}

/* The value of header `name` in the header block [h, e), or NULL; *len its length. */
static const char *
header(const char *h, const char *e, const char *name, size_t *len)
{
	size_t nl = strlen(name);
	const char *line = memchr(h, '\n', (size_t)(e - h)), *eol, *v;

	while (line != NULL && ++line < e) {
		eol = memchr(line, '\n', (size_t)(e - line));
		if (eol == NULL)
			eol = e;
		if ((size_t)(eol - line) > nl && line[nl] == ':' && strncasecmp(line, name, nl) == 0) {
			v = line + nl + 1;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			*len = (size_t)(eol - v);
			while (*len > 0 && (v[*len - 1] == '\r' || v[*len - 1] == ' '))
				(*len)--;
			return v;
		}
		line = eol;
	}
	return NULL;
}

/* Consumes one whole answer if it is there; returns 1 if it did. */
static int
take_answer(struct run *r, struct conn *c, struct tls_load_result *out)
{
	const char *d = c->in.data, *end, *v;
	size_t hlen, vlen, total;
	double t1;
	long status;
	char num[32];

	if (c->in.len < 12)
		return 0;
	end = memmem(d, c->in.len, "\r\n\r\n", 4);
	if (end == NULL)
		return 0;
	hlen = (size_t)(end - d) + 4;
	if (strncmp(d, "HTTP/1.1 ", 9) != 0)
		die("latency: connection %ld: not an HTTP/1.1 answer", c->i);
	status = strtol(d + 9, NULL, 10);
	if (header(d, end, "transfer-encoding", &vlen) != NULL)
		die("latency: connection %ld: chunked answers are not read here", c->i);
	v = header(d, end, "connection", &vlen);
	if (v != NULL && vlen == 5 && strncasecmp(v, "close", 5) == 0)
		die("latency: connection %ld: the daemon closes the connection", c->i);
	v = header(d, end, "content-length", &vlen);
	if (v == NULL || vlen == 0 || vlen >= sizeof(num))
		die("latency: connection %ld: answer without Content-Length", c->i);
	memcpy(num, v, vlen);
	num[vlen] = '\0';
	total = hlen + (size_t)strtoul(num, NULL, 10);
	if (c->in.len < total)
		return 0;
	if (c->in.len > total)
		die("latency: connection %ld: %zu bytes after the answer", c->i, c->in.len - total);
	t1 = now_s();
	if (c->timed) {
		samples_add(&out->lat, (t1 - c->t0) * 1e3);
		out->requests++;
		if (status != 200 || memmem(d + hlen, total - hlen, c->want, strlen(c->want)) == NULL)
			out->errors++;
	} else if (status != 200) {
		die("latency: warm-up answered %ld", status);
	}
	c->in.len = 0;
	c->busy = 0;
	r->busy--;
	if (c->timed && t1 < r->until)
		send_req(r, c, 1);
	return 1;
}

static void
on_readable(struct run *r, struct conn *c, struct tls_load_result *out)
{
	int n, err;

	if (c->req_off < c->req_len && !flush_req(r, c))
		return;
	for (;;) {
		if (c->in.cap - c->in.len < READ_CHUNK + 1) {
			c->in.cap = c->in.len + READ_CHUNK + 1;
			c->in.data = xrealloc(c->in.data, c->in.cap);
		}
		n = SSL_read(c->ssl, c->in.data + c->in.len, READ_CHUNK);
		if (n > 0) {
			if (!c->busy)
				die("latency: connection %ld: bytes nobody asked for", c->i);
			c->in.len += (size_t)n;
			take_answer(r, c, out);
			continue;
		}
		err = SSL_get_error(c->ssl, n);
		if (err == SSL_ERROR_WANT_READ)
			return;
		if (err == SSL_ERROR_WANT_WRITE) {
			set_out(r, c, 1);
			return;
		}
		if (err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && n == 0))
			die("latency: connection %ld: the daemon closed it", c->i);
		ssl_die("read", c->i);
	}
}

static void
pump(struct run *r, struct tls_load_result *out)
{
	struct epoll_event ev[64];
	struct conn *c;
	int n, i;

	while (r->busy > 0) {
		n = epoll_wait(r->ep, ev, 64, 10000);
		if (n == 0)
			die("latency: no answer for 10 s");
		if (n < 0)
			die("latency: epoll_wait: %m");
		for (i = 0; i < n; i++) {
			c = ev[i].data.ptr;
			if ((ev[i].events & EPOLLOUT) && c->req_off < c->req_len) {
				if (!flush_req(r, c))
					continue;
				set_out(r, c, 0);
			}
			if (ev[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
				on_readable(r, c, out);
		}
	}
}

void
tls_load_run(const struct tls_load *cfg, struct tls_load_result *out)
{
	struct run r = { .cfg = cfg, .out = out };
	struct conn *conns = xmalloc((size_t)cfg->conns * sizeof(*conns));
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	int len;
	long i;
	double t0;

	memset(out, 0, sizeof(*out));
	parse_target(&r, cfg->url);
	len = snprintf(r.tail, sizeof(r.tail),
	    " HTTP/1.1\r\nHost: %s:%s\r\nAuthorization: Bearer %s\r\nAccept: " TAXII_MEDIA
	    "\r\nContent-Type: " TAXII_MEDIA "\r\n\r\n", r.host, r.port, cfg->token);
	if (len < 0 || (size_t)len >= sizeof(r.tail))
		die("latency: the token is too long");
	r.tail_len = (size_t)len;
	if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_load_verify_locations(ctx, cfg->cacert, NULL) != 1)
		ssl_die(cfg->cacert, -1);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	r.ep = epoll_create1(EPOLL_CLOEXEC);
	if (r.ep < 0)
		die("latency: epoll_create1: %m");
	memset(conns, 0, (size_t)cfg->conns * sizeof(*conns));
	for (i = 0; i < cfg->conns; i++) {
		conns[i].i = i;
		conn_open(&r, ctx, &conns[i]);
		send_req(&r, &conns[i], 0);
	}
	pump(&r, out);          /* warm-up: one untimed answer each */
	t0 = now_s();
	r.until = t0 + cfg->seconds;
	for (i = 0; i < cfg->conns; i++)
		send_req(&r, &conns[i], 1);
	pump(&r, out);
	out->secs = now_s() - t0;
	for (i = 0; i < cfg->conns; i++) {
		SSL_shutdown(conns[i].ssl);
		SSL_free(conns[i].ssl);
		close(conns[i].fd);
		free(conns[i].in.data);
	}
	close(r.ep);
	SSL_CTX_free(ctx);
	free(conns);
}
