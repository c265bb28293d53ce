/*
 * HTTP/1.1 framing over bufferevents. Hard caps everywhere: header bytes,
 * header count, body size (checked against Content-Length before the body
 * is read), idle time. Any framing error is answered through the app's
 * error hook and closes the connection. No business logic.
 */
#include "http/server.h"
#include "crypto/cx.h"
#include "util/err.h"
#include "util/ts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/bufferevent_struct.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

/* Input buffered while a request is in a handler (pipelining) before reading pauses. */
#define READ_HIGH_WATER (256 * 1024)
/* Answers up to this size are made contiguous before they are written. */
#define SMALL_REPLY (16 * 1024)

enum conn_state { C_HEAD, C_BODY, C_CHUNK_SIZE, C_CHUNK_DATA, C_CHUNK_END, C_TRAILER, C_BUSY };

struct http_conn {
	struct http_server *srv;
	struct bufferevent *bev;
	enum conn_state state;
	struct http_request *req;
	struct buf head;              /* request line and headers, reserved whole */
	size_t body_left;
	int keep_alive;
	int close_after;              /* close once the output is flushed */
	int dead;                     /* socket gone while a request is in a handler */
	int in_process;
	int handshaken;               /* TLS handshake finished (or plain HTTP) */
	struct event *deadline;       /* the whole request must arrive before it fires */
	struct http_conn *prev, *next;/* the server's list of connections */
	void (*stream_gone)(void *);  /* a streamed answer is open (http_stream_start) */
	void *stream_arg;
	char peer[64];
};

struct deferred {
	struct deferred *next;
	void (*fn)(void *);
	void *arg;
};

struct http_server {
	struct event_base *base;
	SSL_CTX *ssl;
	struct http_app app;
	struct http_limits lim;
	struct evconnlistener *listener;
	int port;
	struct event *wake;
	struct http_conn *conns;      /* every connection, for shutdown */
	int draining;                 /* answer what was received, then close */
	pthread_mutex_t mu;
	struct deferred *dq_head, **dq_tail;
	struct http_server_stats stats;
};

static void process(struct http_conn *c);
static void conn_free(struct http_conn *c);

const char *
http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

static struct http_request *
req_new(struct http_conn *c)
{
	struct http_request *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->conn = c;
	r->target = r->path = r->query = "";
	buf_init(&r->body, c->srv->lim.max_body);
	buf_init(&r->out_headers, HTTP_HEADER_BYTES);
	snprintf(r->peer, sizeof(r->peer), "%s", c->peer);
	r->start_us = clock_now_us();
	return r;
}

static void
req_free(struct http_request *r)
{
	if (r == NULL)
		return;
	if (r->user_free != NULL)
		r->user_free(r->user);
	buf_release(&r->body);
	buf_release(&r->out_headers);
	free(r);
}

const char *
http_header_get(const struct http_request *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->n_headers; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	return NULL;
}

int
http_add_header(struct http_request *req, const char *name, const char *value)
{
	return buf_printf(&req->out_headers, "%s: %s\r\n", name, value);
}

/* Answers a framing error through the app, then closes the connection. */
static void
fail(struct http_conn *c, int status, const char *why)
{
	if (c->req == NULL)
		c->req = req_new(c);
	if (c->req == NULL) {
		conn_free(c);
		return;
	}
	c->close_after = 1;
	c->state = C_BUSY;
	evtimer_del(c->deadline);
	bufferevent_disable(c->bev, EV_READ);
	c->srv->app.error(c->req, status, why, c->srv->app.arg);
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

/* Copies one line (without its EOL) into c->head; 1 if a line was read. */
static int
read_line(struct http_conn *c, char **ret_line, int *ret_status)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer_ptr eol;
	size_t eol_len = 0, n;
	char *dst;

	eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_CRLF);
	if (eol.pos < 0) {
		if (evbuffer_get_length(in) > c->head.max - c->head.len) {
			*ret_status = 431;
			return -1;
		}
		return 0;
	}
	n = (size_t)eol.pos;
	if (n + 1 > c->head.max - c->head.len) {
		*ret_status = 431;
		return -1;
	}
	dst = c->head.data + c->head.len;
	evbuffer_remove(in, dst, n);
	evbuffer_drain(in, eol_len);
	dst[n] = '\0';
	c->head.len += n + 1;
	*ret_line = dst;
	return 1;
}

static int
parse_request_line(struct http_conn *c, char *line)
{
	struct http_request *r = c->req;
	char *sp1 = strchr(line, ' '), *sp2, *q;

	if (sp1 == NULL || (size_t)(sp1 - line) >= sizeof(r->method))
		return 400;
	sp2 = strchr(sp1 + 1, ' ');
	if (sp2 == NULL)
		return 400;
	*sp1 = *sp2 = '\0';
	snprintf(r->method, sizeof(r->method), "%s", line);
	if (strcmp(sp2 + 1, "HTTP/1.1") == 0)
		c->keep_alive = 1;
	else if (strcmp(sp2 + 1, "HTTP/1.0") == 0)
		c->keep_alive = 0;
	else
		return strncmp(sp2 + 1, "HTTP/", 5) == 0 ? 505 : 400;
	if (sp1[1] != '/')
		return 400;
	r->target = sp1 + 1;
	/* keep target intact; split a copy into path and query */
	q = strchr(sp1 + 1, '?');
	if (q != NULL) {
		size_t plen = (size_t)(q - (sp1 + 1));
		char *p = c->head.data + c->head.len;
		if (plen + 1 > c->head.max - c->head.len)
			return 414;
		memcpy(p, sp1 + 1, plen);
		p[plen] = '\0';
		c->head.len += plen + 1;
		r->path = p;
		r->query = q + 1;
	} else {
		r->path = sp1 + 1;
	}
	return 0;
}

static int
parse_header(struct http_conn *c, char *line)
{
	struct http_request *r = c->req;
	char *colon = strchr(line, ':');

	if (line[0] == ' ' || line[0] == '\t') /* obsolete line folding (RFC 9112 §5.2) */
		return 400;
	if (colon == NULL || colon == line)
		return 400;
	if (r->n_headers == HTTP_MAX_HEADERS)
		return 431;
	*colon = '\0';
	if (strpbrk(line, " \t") != NULL)
		return 400;
	r->headers[r->n_headers].name = line;
	r->headers[r->n_headers].value = trim(colon + 1);
	r->n_headers++;
	return 0;
}

static void
dispatch(struct http_conn *c)
{
	evtimer_del(c->deadline);
	/*
	 * Reading stays on (no epoll_ctl per request): a pipelined request
	 * waits in the input buffer, capped by the read high-water mark.
	 */
	c->state = C_BUSY;
	c->srv->stats.requests++;
	c->srv->app.handle(c->req, c->srv->app.arg);
}

/* After the headers: decide how the body is framed (RFC 9112 §6). */
static int
start_body(struct http_conn *c)
{
	struct http_request *r = c->req;
	const char *te = http_header_get(r, "Transfer-Encoding");
	const char *cl = http_header_get(r, "Content-Length");
	const char *conn = http_header_get(r, "Connection");
	const char *expect = http_header_get(r, "Expect");
	char *end;
	unsigned long long n;

	if (conn != NULL && strcasestr(conn, "close") != NULL)
		c->keep_alive = 0;
	else if (conn != NULL && strcasestr(conn, "keep-alive") != NULL)
		c->keep_alive = 1;
	if (te != NULL) {
		if (cl != NULL || strcasecmp(te, "chunked") != 0)
			return cl != NULL ? 400 : 501;
		c->state = C_CHUNK_SIZE;
	} else if (cl != NULL) {
		if (*cl < '0' || *cl > '9')
			return 400;
		errno = 0;
		n = strtoull(cl, &end, 10);
		if (*end != '\0' || errno != 0)
			return 400;
		if (n > c->srv->lim.max_body)
			return 413;
		c->body_left = (size_t)n;
		c->state = C_BODY;
	} else {
		c->body_left = 0;
		c->state = C_BODY;
	}
	if (expect != NULL && strcasecmp(expect, "100-continue") == 0 &&
	    (c->state != C_BODY || c->body_left > 0))
		bufferevent_write(c->bev, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	return 0;
}

static int
read_head(struct http_conn *c)
{
	char *line;
	int status = 0, r;

	if (c->req == NULL) {
		struct timeval tv = { c->srv->lim.request_timeout_s, 0 };

		/* A read event without bytes (TLS records of its own) starts nothing. */
		if (evbuffer_get_length(bufferevent_get_input(c->bev)) == 0)
			return 0;

		c->req = req_new(c);
		c->head.len = 0;
		if (c->req == NULL)
			return -1;
		evtimer_add(c->deadline, &tv);
	}
	while ((r = read_line(c, &line, &status)) == 1) {
		if (c->req->method[0] == '\0') {
			if (line[0] == '\0' && c->head.len == 1) { /* tolerate a leading CRLF */
				c->head.len = 0;
				continue;
			}
			status = parse_request_line(c, line);
		} else if (line[0] == '\0') {
			status = start_body(c);
			if (status == 0)
				return 1;
		} else {
			status = parse_header(c, line);
		}
		if (status != 0)
			break;
	}
	if (status != 0) {
		fail(c, status, status == 431 ? "the request headers are too large" :
		    status == 413 ? "the request body is larger than max_content_length" :
		    status == 505 ? "only HTTP/1.0 and HTTP/1.1 are supported" :
		    status == 501 ? "only the chunked transfer coding is supported" :
		    status == 414 ? "the request target is too long" :
		    "the request is not valid HTTP/1.1");
		return -1;
	}
	return 0;
}

static int
read_body(struct http_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t avail = evbuffer_get_length(in), n;
	int r;

	n = avail < c->body_left ? avail : c->body_left;
	if (n > 0) {
		if ((r = buf_reserve(&c->req->body, n)) < 0) {
			fail(c, 413, "the request body is larger than max_content_length");
			return -1;
		}
		evbuffer_remove(in, c->req->body.data + c->req->body.len, n);
		c->req->body.len += n;
		c->req->body.data[c->req->body.len] = '\0';
		c->body_left -= n;
	}
	return c->body_left == 0;
}

/* Chunked bodies (RFC 9112 §7.1); chunk extensions are ignored. */
static int
read_chunked(struct http_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	char line[128], *end;
	struct evbuffer_ptr eol;
	size_t eol_len, n;
	unsigned long long sz;

	for (;;) {
		if (c->state == C_CHUNK_DATA) {
			int r = read_body(c);
			if (r <= 0)
				return r;
			c->state = C_CHUNK_END;
		}
		eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_CRLF);
		if (eol.pos < 0) {
			if (evbuffer_get_length(in) > sizeof(line) && c->state != C_TRAILER) {
				fail(c, 400, "a chunk size line is too long");
				return -1;
			}
			if (evbuffer_get_length(in) > HTTP_HEADER_BYTES) {
				fail(c, 431, "the chunked trailer is too large");
				return -1;
			}
			return 0;
		}
		n = (size_t)eol.pos;
		if (n >= sizeof(line) && c->state != C_TRAILER) {
			fail(c, 400, "a chunk size line is too long");
			return -1;
		}
		if (c->state == C_TRAILER) {
			evbuffer_drain(in, n + eol_len);
			if (n == 0)
				return 1;
			continue;
		}
		evbuffer_remove(in, line, n);
		evbuffer_drain(in, eol_len);
		line[n] = '\0';
		if (c->state == C_CHUNK_END) {
			if (n != 0) {
				fail(c, 400, "a chunk is longer than its size says");
				return -1;
			}
			c->state = C_CHUNK_SIZE;
			continue;
		}
		sz = strtoull(line, &end, 16);
		if (end == line || (*end != '\0' && *end != ';' && *end != ' ')) {
			fail(c, 400, "a chunk size is not hexadecimal");
			return -1;
		}
		if (sz > c->srv->lim.max_body - c->req->body.len) {
			fail(c, 413, "the request body is larger than max_content_length");
			return -1;
		}
		if (sz == 0) {
			c->state = C_TRAILER;
			continue;
		}
		c->body_left = (size_t)sz;
		c->state = C_CHUNK_DATA;
	}
}

static void
process(struct http_conn *c)
{
	int r;

	if (c->in_process)
		return;
	c->in_process = 1;
	while (!c->dead && c->state != C_BUSY) {
		if (c->state == C_HEAD) {
			r = read_head(c);
			if (r <= 0)
				break;
			if (c->state == C_BODY && c->body_left == 0) {
				dispatch(c);
				continue;
			}
		}
		if (c->state == C_BODY)
			r = read_body(c);
		else
			r = read_chunked(c);
		if (r <= 0)
			break;
		dispatch(c);
	}
	c->in_process = 0;
}

static void
conn_free(struct http_conn *c)
{
	if (c == NULL)
		return;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		c->srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (c->deadline != NULL)
		event_free(c->deadline);
	if (c->bev != NULL) {
		bufferevent_free(c->bev);
		c->srv->stats.conns_open--;
	}
	req_free(c->req);
	buf_release(&c->head);
	free(c);
}

/* Slow-loris guard: a request that trickles in under the idle timeout still ends. */
static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *c = arg;

	if (c->state == C_BUSY || c->dead)
		return;
	fail(c, 408, "the client took too long to send its request");
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	process(arg);
}

static void
on_write(struct bufferevent *bev, void *arg)
{
	struct http_conn *c = arg;

	if (c->close_after && c->state != C_BUSY &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		conn_free(c);
}

/* Tells the application why a handshake failed (pinning, TLS 1.2, no certificate). */
static void
tls_failed(struct http_conn *c, short what)
{
	char why[256] = "", one[200];
	unsigned long e;

	while ((e = bufferevent_get_openssl_error(c->bev)) != 0) {
		ERR_error_string_n(e, one, sizeof(one));
		if (why[0] == '\0')
			snprintf(why, sizeof(why), "%s", one);
	}
	if (why[0] == '\0')
		snprintf(why, sizeof(why), "%s", what & BEV_EVENT_EOF ?
		    "the client closed the connection during the TLS handshake" :
		    what & BEV_EVENT_TIMEOUT ? "the TLS handshake timed out" :
		    "the TLS handshake failed");
	c->srv->app.tls_failed(c->peer, why, c->srv->app.arg);
}

int
http_conn_peer_spki(const struct http_conn *c, uint8_t out[static 32])
{
	SSL *ssl;
	X509 *x;

	if (c == NULL || c->bev == NULL || (ssl = bufferevent_openssl_get_ssl(c->bev)) == NULL)
		return -LSN_ENOTFOUND;
	if ((x = SSL_get0_peer_certificate(ssl)) == NULL)
		return -LSN_ENOTFOUND;
	return cx_x509_spki_sha256(x, out);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct http_conn *c = arg;

	if (what == BEV_EVENT_CONNECTED) { /* the TLS handshake finished */
		c->handshaken = 1;
		return;
	}
	if (!c->handshaken && c->srv->ssl != NULL && c->srv->app.tls_failed != NULL)
		tls_failed(c, what);
	if ((what & BEV_EVENT_TIMEOUT) && c->state == C_BUSY) {
		/* the handler is still working (a slow commit): not the client's fault */
		bufferevent_enable(bev, what & BEV_EVENT_READING ? EV_READ : EV_WRITE);
		return;
	}
	if ((what & BEV_EVENT_TIMEOUT) && c->state != C_BUSY && c->req != NULL &&
	    c->req->method[0] != '\0' && !c->close_after) {
		bufferevent_enable(bev, EV_WRITE);
		fail(c, 408, "the client sent the request too slowly");
		return;
	}
	if (c->stream_gone != NULL) {
		/* a streamed answer's client left: its owner lets go, then it is freed */
		void (*gone)(void *) = c->stream_gone;
		c->stream_gone = NULL;
		gone(c->stream_arg);
		conn_free(c);
		return;
	}
	if (c->state == C_BUSY && c->req != NULL) {
		/* A handler still owns the request: drop the socket, keep the conn. */
		c->dead = 1;
		bufferevent_free(c->bev);
		c->bev = NULL;
		c->srv->stats.conns_open--;
		return;
	}
	conn_free(c);
}

void
http_reply(struct http_request *req, int status, const char *content_type,
    struct evbuffer *body)
{
	struct http_conn *c = req->conn;
	struct http_server *s = c->srv;
	struct evbuffer *out;
	size_t len = body ? evbuffer_get_length(body) : 0;

	req->status = status;
	if (c->dead) {
		if (s->app.logged)
			s->app.logged(req, len, s->app.arg);
		conn_free(c); /* frees req too */
		return;
	}
	if (!c->keep_alive || s->draining)
		c->close_after = 1;
	out = bufferevent_get_output(c->bev);
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n", status, http_reason(status));
	if (content_type != NULL)
		evbuffer_add_printf(out, "Content-Type: %s\r\n", content_type);
	evbuffer_add_printf(out, "Content-Length: %zu\r\n%s", len,
	    c->close_after ? "Connection: close\r\n" : "");
	if (req->out_headers.len > 0)
		evbuffer_add(out, req->out_headers.data, req->out_headers.len);
	evbuffer_add(out, "\r\n", 2);
	if (body != NULL)
		evbuffer_add_buffer(out, body);
	/*
	 * bufferevent_openssl makes one TLS record, and one write(2), per
	 * buffer chunk: a small answer goes out as one chunk, one syscall.
	 */
	if (evbuffer_get_length(out) <= SMALL_REPLY)
		evbuffer_pullup(out, -1);
	/*
	 * Write in this turn of the loop rather than after epoll reports the
	 * socket writable: one loop turn less per answer, and with the
	 * daemon's change list (EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST) the
	 * write interest the output just added and the one the write removes
	 * cancel out, so an answer that fits the socket costs no epoll_ctl.
	 * If the socket is full the event simply stays armed (decision 0010).
	 */
	event_active(&c->bev->ev_write, EV_WRITE, 1);
	if (s->app.logged)
		s->app.logged(req, len, s->app.arg);
	c->req = NULL;
	req_free(req);
	c->state = C_HEAD;
	if (c->close_after) {
		bufferevent_disable(c->bev, EV_READ);
		return; /* on_write frees once flushed */
	}
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
		process(c); /* a pipelined request is waiting */
}

int
http_stream_start(struct http_request *req, int status, const char *content_type,
    void (*gone)(void *), void *arg)
{
	struct http_conn *c = req->conn;
	struct evbuffer *out;

	if (c->dead || c->srv->draining)
		return -1;
	req->status = status;
	c->keep_alive = 0;
	c->stream_gone = gone;
	c->stream_arg = arg;
	/* nothing more is read: a request after a stream has no answer to wait for */
	bufferevent_disable(c->bev, EV_READ);
	out = bufferevent_get_output(c->bev);
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nCache-Control: no-store\r\n"
	    "Connection: close\r\n", status, http_reason(status), content_type);
	if (req->out_headers.len > 0)
		evbuffer_add(out, req->out_headers.data, req->out_headers.len);
	evbuffer_add(out, "\r\n", 2);
	evbuffer_pullup(out, -1);
	event_active(&c->bev->ev_write, EV_WRITE, 1);
	return 0;
}

int
http_stream_write(struct http_request *req, const char *data, size_t len)
{
	struct http_conn *c = req->conn;
	struct evbuffer *out = bufferevent_get_output(c->bev);

	if (evbuffer_get_length(out) + len > HTTP_STREAM_BACKLOG)
		return -1;
	evbuffer_add(out, data, len);
	event_active(&c->bev->ev_write, EV_WRITE, 1);
	return 0;
}

void
http_stream_end(struct http_request *req)
{
	struct http_conn *c = req->conn;
	struct http_server *s = c->srv;

	c->stream_gone = NULL;
	if (s->app.logged)
		s->app.logged(req, 0, s->app.arg);
	c->req = NULL;
	req_free(req);
	c->state = C_HEAD;
	c->close_after = 1;
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		conn_free(c);
	/* else on_write frees it once flushed */
}

void
http_reply_bytes(struct http_request *req, int status, const char *content_type,
    const char *data, size_t len)
{
	struct evbuffer *b = evbuffer_new();

	if (b != NULL && len > 0)
		evbuffer_add(b, data, len);
	http_reply(req, status, content_type, b);
	evbuffer_free(b);
}

static void
on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg)
{
	struct http_server *s = arg;
	struct http_conn *c;
	int one = 1;

	if ((int)s->stats.conns_open >= s->lim.max_conns) {
		evutil_closesocket(fd);
		return;
	}
	/* Without TCP_NODELAY, TLS request/response pairs stall on Nagle (DESIGN §7). */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		evutil_closesocket(fd);
		return;
	}
	c->srv = s;
	buf_init(&c->head, HTTP_HEADER_BYTES);
	c->deadline = evtimer_new(s->base, on_deadline, c);
	if (c->deadline == NULL || buf_reserve(&c->head, HTTP_HEADER_BYTES) < 0) {
		if (c->deadline != NULL)
			event_free(c->deadline);
		buf_release(&c->head);
		free(c);
		evutil_closesocket(fd);
		return;
	}
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, c->peer, sizeof(c->peer));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr, c->peer, sizeof(c->peer));
	if (s->ssl != NULL) {
		SSL *ssl = SSL_new(s->ssl);
		c->bev = ssl ? bufferevent_openssl_socket_new(s->base, fd, ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE) : NULL;
		if (c->bev != NULL)
			bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
		else if (ssl != NULL)
			SSL_free(ssl);
	} else {
		c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	}
	if (c->bev == NULL) {
		evutil_closesocket(fd);
		buf_release(&c->head);
		event_free(c->deadline);
		free(c);
		return;
	}
	s->stats.conns_open++;
	s->stats.conns_total++;
	c->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = c;
	s->conns = c;
	{
		struct timeval tv = { s->lim.idle_timeout_s, 0 };
		bufferevent_set_timeouts(c->bev, &tv, &tv);
	}
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, READ_HIGH_WATER);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct http_server *s = arg;
	struct deferred *d, *next;

	pthread_mutex_lock(&s->mu);
	d = s->dq_head;
	s->dq_head = NULL;
	s->dq_tail = &s->dq_head;
	pthread_mutex_unlock(&s->mu);
	for (; d != NULL; d = next) {
		next = d->next;
		d->fn(d->arg);
		free(d);
	}
}

void
http_server_defer(struct http_server *s, void (*fn)(void *), void *arg)
{
	struct deferred *d = malloc(sizeof(*d));

	if (d == NULL)
		abort(); /* a lost completion would hang a client forever */
	d->fn = fn;
	d->arg = arg;
	d->next = NULL;
	pthread_mutex_lock(&s->mu);
	*s->dq_tail = d;
	s->dq_tail = &d->next;
	pthread_mutex_unlock(&s->mu);
	event_active(s->wake, EV_READ, 0);
}

int
http_server_new(struct event_base *base, void *ssl_ctx, const struct http_app *app,
    const struct http_limits *lim, struct http_server **ret, struct err *err)
{
	struct http_server *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return err_set(err, LSN_ENOMEM, "http: out of memory");
	s->base = base;
	s->ssl = ssl_ctx;
	s->app = *app;
	s->lim = *lim;
	if (s->lim.idle_timeout_s <= 0)
		s->lim.idle_timeout_s = 30;
	if (s->lim.request_timeout_s <= 0)
		s->lim.request_timeout_s = 120;
	if (s->lim.max_conns <= 0)
		s->lim.max_conns = 1024;
	pthread_mutex_init(&s->mu, NULL);
	s->dq_tail = &s->dq_head;
	s->wake = event_new(base, -1, EV_READ | EV_PERSIST, on_wake, s);
	if (s->wake == NULL) {
		free(s);
		return err_set(err, LSN_ENOMEM, "http: cannot create the wake-up event");
	}
	*ret = s;
	return 0;
}

int
http_server_listen(struct http_server *s, const char *addr, struct err *err)
{
	struct sockaddr_storage ss;
	int sslen = sizeof(ss);
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	memset(&ss, 0, sizeof(ss));
	char tmp[300];
	size_t n = strlen(addr);
	int any_port = n > 2 && strcmp(addr + n - 2, ":0") == 0;

	/* libevent refuses port 0; parse with port 1, then let the kernel pick. */
	snprintf(tmp, sizeof(tmp), "%.*s%s", (int)(any_port ? n - 1 : n), addr, any_port ? "1" : "");
	if (n >= sizeof(tmp) - 1 || evutil_parse_sockaddr_port(tmp, (struct sockaddr *)&ss, &sslen) < 0)
		return err_set(err, LSN_EINVAL, "cannot parse listen address '%s' (want HOST:PORT)", addr);
	if (any_port && ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = 0;
	else if (any_port)
		((struct sockaddr_in6 *)&ss)->sin6_port = 0;
	s->listener = evconnlistener_new_bind(s->base, on_accept, s,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 512, (struct sockaddr *)&ss, sslen);
	if (s->listener == NULL)
		return err_set(err, LSN_EIO, "cannot listen on %s: %s", addr, strerror(errno));
	if (getsockname(evconnlistener_get_fd(s->listener), (struct sockaddr *)&sin, &len) == 0)
		s->port = ntohs(sin.sin_port);
	return 0;
}

int
http_server_port(const struct http_server *s)
{
	return s->port;
}

void
http_server_stop_listening(struct http_server *s)
{
	if (s->listener != NULL)
		evconnlistener_free(s->listener);
	s->listener = NULL;
}

void
http_server_drain(struct http_server *s)
{
	struct http_conn *c, *next;

	http_server_stop_listening(s);
	s->draining = 1;
	for (c = s->conns; c != NULL; c = next) {
		next = c->next;
		if (c->stream_gone != NULL) {
			void (*gone)(void *) = c->stream_gone;
			gone(c->stream_arg);
			http_stream_end(c->req);
			continue;
		}
		if (c->state != C_BUSY && c->req == NULL &&
		    evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
			conn_free(c); /* idle keep-alive: nothing to answer */
			continue;
		}
		c->keep_alive = 0;
		if (c->state != C_BUSY && c->req == NULL)
			c->close_after = 1; /* on_write frees it once flushed */
	}
}

size_t
http_server_conns(const struct http_server *s)
{
	const struct http_conn *c;
	size_t n = 0;

	for (c = s->conns; c != NULL; c = c->next)
		n++;
	return n;
}

void
http_server_free(struct http_server *s)
{
	if (s == NULL)
		return;
	http_server_stop_listening(s);
	while (s->conns != NULL)
		conn_free(s->conns);
	on_wake(-1, 0, s);
	event_free(s->wake);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

void
http_server_get_stats(const struct http_server *s, struct http_server_stats *ret)
{
	*ret = s->stats;
}
