/*
 * GET /api/v1/events: the dashboard's live stream (Server-Sent Events).
 * It carries no data, only the news that the store changed: every
 * LIVE_TICK_MS, if a stream is open, the loop reads the store's
 * data_version once for all of them, and when it moved each stream gets
 * `event: change`; the page then reads what it shows through the REST API,
 * under the user's grants. A comment every LIVE_BEAT_S keeps proxies and
 * the browser from timing the stream out. One store read per tick, however
 * many browsers listen.
 */
#include "http/taxii_int.h"
#include "util/ts.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIVE_TICK_MS 500
#define LIVE_BEAT_S 15
#define LIVE_MAX 1024

struct live_stream {
	struct live *l;
	struct http_request *req;
	struct live_stream *prev, *next;
};

struct live {
	struct store *rd;
	struct event *tick;
	int64_t version;
	int64_t beat_us;
	struct live_stream *head;
	size_t n;
	unsigned long long opened, changes;
};

static void
unlink_stream(struct live_stream *st)
{
	struct live *l = st->l;

	if (st->prev != NULL)
		st->prev->next = st->next;
	else
		l->head = st->next;
	if (st->next != NULL)
		st->next->prev = st->prev;
	l->n--;
	free(st);
}

/* The client left or the server drains: the request is freed after this. */
static void
on_gone(void *arg)
{
	unlink_stream(arg);
}

static void
broadcast(struct live *l, const char *msg)
{
	struct live_stream *st, *next;
	size_t len = strlen(msg);

	for (st = l->head; st != NULL; st = next) {
		next = st->next;
		if (http_stream_write(st->req, msg, len) < 0) {
			/* a browser that reads nothing: it reconnects when it wakes */
			struct http_request *req = st->req;
			unlink_stream(st);
			http_stream_end(req);
		}
	}
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct live *l = arg;
	char msg[96];
	int64_t v, now;

	if (l->head == NULL)
		return;
	now = clock_now_us();
	if (store_read_begin(l->rd, NULL) == 0 && store_data_version(l->rd, &v, NULL) == 0 &&
	    v != l->version) {
		l->version = v;
		l->changes++;
		snprintf(msg, sizeof(msg), "event: change\ndata: {\"version\":%lld}\n\n", (long long)v);
		broadcast(l, msg);
		l->beat_us = now;
	}
	store_read_end(l->rd);
	if (now - l->beat_us >= (int64_t)LIVE_BEAT_S * 1000000) {
		broadcast(l, ": keep-alive\n\n");
		l->beat_us = now;
	}
}

int
live_new(struct event_base *base, struct store *rd, struct live **ret)
{
	struct live *l = calloc(1, sizeof(*l));
	struct timeval tv = { 0, LIVE_TICK_MS * 1000 };

	if (l == NULL)
		return -LSN_ENOMEM;
	l->rd = rd;
	l->tick = event_new(base, -1, EV_PERSIST, on_tick, l);
	if (l->tick == NULL || event_add(l->tick, &tv) < 0) {
		if (l->tick != NULL)
			event_free(l->tick);
		free(l);
		return -LSN_ENOMEM;
	}
	*ret = l;
	return 0;
}

/* After the server was freed: its streams were ended with their connections. */
void
live_free(struct live *l)
{
	if (l == NULL)
		return;
	while (l->head != NULL)
		unlink_stream(l->head);
	event_free(l->tick);
	free(l);
}

void
live_api(struct ctx *c)
{
	struct live *l = c->t->live;
	struct live_stream *st;
	char first[128];

	if (strcmp(c->req->method, "GET") != 0) {
		http_add_header(c->req, "Allow", "GET");
		taxii_api_error(c, 405, "Method not allowed", "/api/v1/events answers GET only.");
		return;
	}
	if (l == NULL || l->n >= LIVE_MAX || (st = calloc(1, sizeof(*st))) == NULL) {
		http_add_header(c->req, "Retry-After", "5");
		taxii_api_error(c, 503, "No live stream", "%s", l == NULL ?
		    "This node has no live stream; poll /api/v1/cases instead." :
		    "Too many live streams are open; poll /api/v1/cases instead.");
		return;
	}
	st->l = l;
	st->req = c->req;
	if (l->head == NULL)          /* untracked while no stream was open: from now on */
		l->version = c->t->data_version;
	if (http_stream_start(c->req, 200, "text/event-stream", on_gone, st) < 0) {
		free(st);
		taxii_api_error(c, 503, "Stopping", "The node is shutting down.");
		return;
	}
	st->next = l->head;
	if (l->head != NULL)
		l->head->prev = st;
	l->head = st;
	l->n++;
	l->opened++;
	/* the version now, so the page knows where it starts; retry: reconnect after 2 s */
	snprintf(first, sizeof(first), "retry: 2000\nevent: hello\ndata: {\"version\":%lld}\n\n",
	    (long long)c->t->data_version);
	http_stream_write(c->req, first, strlen(first));
}

void
live_metrics(const struct live *l, struct evbuffer *b)
{
	if (l == NULL)
		return;
	evbuffer_add_printf(b,
	    "# TYPE liaison_ui_live_streams gauge\nliaison_ui_live_streams %zu\n"
	    "# TYPE liaison_ui_live_streams_opened_total counter\nliaison_ui_live_streams_opened_total %llu\n"
	    "# TYPE liaison_ui_live_changes_total counter\nliaison_ui_live_changes_total %llu\n",
	    l->n, l->opened, l->changes);
}
