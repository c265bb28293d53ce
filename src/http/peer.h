/*
 * The peer API (DESIGN §5) on its own listener, which only partners reach
 * (mutual TLS 1.3, pinned keys: http_tls_peer_ctx): POST a batch of
 * envelopes and get receipts, GET hello. Answers are JSON; errors are
 * {"error": CODE, "message": SENTENCE}. Routing and answering only: the
 * exchange layer verifies and stores. Every function runs on the loop
 * thread.
 */
#ifndef LSN_HTTP_PEER_H
#define LSN_HTTP_PEER_H

#include <stddef.h>

#include "http/server.h"

struct exchange;
struct store;

struct peer_api;

/* ex and rd (the loop's read connection) are borrowed. */
int peer_api_new(struct exchange *ex, struct store *rd, const char *node_name,
    struct peer_api **ret, struct err *err);
void peer_api_attach(struct peer_api *p, struct http_server *srv);
void peer_api_app(struct peer_api *p, struct http_app *ret);
/*
 * While standby is set (this daemon is the standby of a node that runs
 * several), every request under /peer/v1/ is answered 503 "standby" with
 * Retry-After: 1, which sends the partner to the node's next endpoint; the
 * TLS handshake still admits pinned partners only. ex is not touched.
 */
void peer_api_set_standby(struct peer_api *p, int standby);
size_t peer_api_inflight(const struct peer_api *p);
void peer_api_free(struct peer_api *p);

#endif
