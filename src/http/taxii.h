/*
 * The TAXII 2.1 API (OASIS Standard, 10 June 2021): discovery, API root,
 * status, collections, objects, manifest, versions; HTTP Basic and bearer
 * authentication with per-collection rights; TAXII error resources on every
 * failure. Routes and answers; the store decides nothing, the writer thread
 * does every write. Also serves /metrics.
 */
#ifndef LSN_HTTP_TAXII_H
#define LSN_HTTP_TAXII_H

#include <stddef.h>
#include <stdint.h>

#include "http/server.h"
#include "util/log.h"

struct store;
struct writer;
struct exchange;
struct hotline_node;

struct taxii_config {
	const char *title;            /* discovery and API root title */
	const char *description;
	const char *contact;
	const char *root;             /* API root path segment, e.g. "liaison" */
	const char *public_url;       /* "https://host:port" for discovery; NULL: from Host */
	size_t max_content_length;
	size_t page_default;
	size_t page_max;
	size_t page_bytes_max;        /* a page stops growing past this many body bytes */
	uint8_t cursor_key[32];       /* MAC key of `next` tokens */
	/* One JSON object per line (access log); may be NULL. */
	log_fn log;
	void *log_arg;
	/* May be NULL: told of every commit of new objects; its counters go to /metrics. */
	struct exchange *ex;
	/* May be NULL: the hotline, for /api/v1/cases and its counters. */
	struct hotline_node *hotline;
	const char *agreements_dir;   /* <home>/agreements: the hotline terms of each partner */
	/* May be NULL: no dashboard (/ui/ answers 404). Borrowed. */
	struct ui *ui;
	const char *node_name;
	int64_t cert_not_after_us;    /* this node's TLS certificate expires (0: unknown) */
	/*
	 * May be NULL: pages of objects are read on rd, on the loop. Else they
	 * are read on these connections off the loop (postgres). Borrowed.
	 */
	struct readers *readers;
	/* May be NULL: no live stream (/api/v1/events answers 503). Its timer runs on it. */
	struct event_base *base;
};

struct readers;
struct taxii;

/* rd: the loop's read connection; w: the writer. Both are borrowed. */
int taxii_new(const struct taxii_config *cfg, struct store *rd, struct writer *w,
    struct taxii **ret, struct err *err);
/* The server this API answers on (needed to defer completions to the loop). */
void taxii_attach(struct taxii *t, struct http_server *srv);
/* The app to hand http_server_new. */
void taxii_app(struct taxii *t, struct http_app *ret);
void taxii_free(struct taxii *t);

/* Jobs still in flight, writes and reads off the loop (for a clean shutdown). */
size_t taxii_inflight(const struct taxii *t);

#endif
