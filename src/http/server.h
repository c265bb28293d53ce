/*
 * A small HTTP/1.1 server on libevent bufferevents (TLS through
 * bufferevent_openssl). It parses and frames requests with hard caps and
 * hands each whole request to one handler; every error it produces itself
 * (bad framing, too large, timeouts) goes through the error hook so the
 * application answers with its own error resource. Requests on one
 * connection are answered in order; a handler may answer later (after a
 * group commit) with http_reply from the loop thread.
 * No business logic here. Every function runs on the loop thread unless it
 * says otherwise.
 */
#ifndef LSN_HTTP_SERVER_H
#define LSN_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

struct event_base;
struct err;
struct evbuffer;
struct http_server;
struct http_conn;

#define HTTP_MAX_HEADERS 64
#define HTTP_HEADER_BYTES (16 * 1024)

struct http_header {
	const char *name;
	const char *value;
};

struct http_request {
	struct http_conn *conn;
	char method[16];
	const char *target;           /* as sent: path and query */
	const char *path;             /* before '?', not decoded */
	const char *query;            /* after '?', or "" */
	struct http_header headers[HTTP_MAX_HEADERS];
	size_t n_headers;
	struct buf body;
	char peer[64];                /* remote address */
	int64_t start_us;
	/* response */
	int status;
	struct buf out_headers;
	void *user;                   /* the handler's per-request state */
	void (*user_free)(void *user);
};

/* The application: handle a whole request; err: answer a framing error. */
struct http_app {
	void (*handle)(struct http_request *req, void *arg);
	/* Must call http_reply. status is 400, 408, 411, 413, 414, 431, 501 or 505. */
	void (*error)(struct http_request *req, int status, const char *why, void *arg);
	/* Called after each response is queued, for access logs and metrics. */
	void (*logged)(const struct http_request *req, size_t body_len, void *arg);
	/* May be NULL: a TLS handshake failed; why is OpenSSL's first reason. */
	void (*tls_failed)(const char *peer, const char *why, void *arg);
	void *arg;
};

struct http_limits {
	size_t max_body;              /* bytes; larger bodies get 413 before being read */
	int idle_timeout_s;           /* between bytes of a request, and keep-alive idle */
	int request_timeout_s;        /* from a request's first byte to its last (slow clients) */
	int max_conns;
};

/* ssl_ctx is an SSL_CTX * (NULL: plain HTTP, for tests of the framing only). */
int http_server_new(struct event_base *base, void *ssl_ctx, const struct http_app *app,
    const struct http_limits *lim, struct http_server **ret, struct err *err);
/* host:port; port 0 picks one, see http_server_port. */
int http_server_listen(struct http_server *s, const char *addr, struct err *err);
int http_server_port(const struct http_server *s);
/* Closes the listening socket; open connections are served on. */
void http_server_stop_listening(struct http_server *s);
/*
 * Shutdown: stops listening, closes idle connections, and makes every other
 * connection close after answering the request it is reading or handling.
 */
void http_server_drain(struct http_server *s);
/* Connections still open (including ones whose request a handler holds). */
size_t http_server_conns(const struct http_server *s);
void http_server_free(struct http_server *s);

/*
 * SHA-256 of the SubjectPublicKeyInfo of the client certificate the
 * connection's TLS handshake verified; -LSN_ENOTFOUND if it has none.
 */
int http_conn_peer_spki(const struct http_conn *c, uint8_t out[static 32]);

const char *http_header_get(const struct http_request *req, const char *name);
int http_add_header(struct http_request *req, const char *name, const char *value);
/*
 * Sends the response and frees the request. body may be NULL; its contents
 * are moved. Safe to call after the client went away (nothing is sent).
 */
void http_reply(struct http_request *req, int status, const char *content_type,
    struct evbuffer *body);
void http_reply_bytes(struct http_request *req, int status, const char *content_type,
    const char *data, size_t len);

/*
 * A streamed answer (Server-Sent Events): the status line and headers go
 * now, without a length and with Connection: close; the body follows by
 * http_stream_write until http_stream_end, which frees the request. If the
 * client leaves first, or the server drains, gone(arg) is called once and
 * the request is freed after it (http_stream_end is then not to be called;
 * on drain it is called for the owner). -1: the client is gone or the
 * server drains (answer as usual).
 */
#define HTTP_STREAM_BACKLOG (256 * 1024)
int http_stream_start(struct http_request *req, int status, const char *content_type,
    void (*gone)(void *), void *arg);
/* -1 when more than HTTP_STREAM_BACKLOG bytes wait for a client that does not read. */
int http_stream_write(struct http_request *req, const char *data, size_t len);
void http_stream_end(struct http_request *req);

/* Thread-safe: runs fn(arg) on the loop thread soon. */
void http_server_defer(struct http_server *s, void (*fn)(void *), void *arg);

struct http_server_stats {
	unsigned long long conns_open, conns_total, requests;
};
void http_server_get_stats(const struct http_server *s, struct http_server_stats *ret);

const char *http_reason(int status);

#endif
