/*
 * Reading objects (§5.3 manifest, §5.4 objects, §5.6 one object, §5.8
 * versions) and deleting one (§5.7). Pages are keyset ranges over date_added
 * (strictly increasing per stored version); `next` is a MACed position, so it
 * survives restarts and load balancers and cannot be forged.
 */
#include "http/taxii_int.h"
#include "util/enc.h"
#include "util/err.h"
#include "util/ts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NEXT_MAC_LEN 16

static void
put_be64(uint8_t *p, int64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v = (int64_t)((uint64_t)v >> 8))
		p[i] = (uint8_t)v;
}

static int64_t
get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (int64_t)v;
}

static void
next_mac(const struct taxii *t, int64_t coll, const uint8_t pos[8], uint8_t out[32])
{
	uint8_t msg[16];

	put_be64(msg, coll);
	memcpy(msg + 8, pos, 8);
	cx_hmac_sha256(t->cfg.cursor_key, sizeof(t->cfg.cursor_key), msg, sizeof(msg), out);
}

void
taxii_next_encode(const struct taxii *t, int64_t coll, int64_t after_us, char out[64])
{
	uint8_t raw[8 + NEXT_MAC_LEN], mac[32];

	put_be64(raw, after_us);
	next_mac(t, coll, raw, mac);
	memcpy(raw + 8, mac, NEXT_MAC_LEN);
	b64_encode(raw, sizeof(raw), out, 1);
}

int
taxii_next_decode(const struct taxii *t, int64_t coll, const char *tok, int64_t *ret_after_us)
{
	uint8_t raw[8 + NEXT_MAC_LEN + 4], mac[32];
	size_t n;

	if (b64_decode(tok, strlen(tok), raw, sizeof(raw), &n, 1) < 0 || n != 8 + NEXT_MAC_LEN)
		return -LSN_EINVAL;
	next_mac(t, coll, raw, mac);
	if (!cx_ct_equal(mac, raw + 8, NEXT_MAC_LEN))
		return -LSN_EBADSIG;
	*ret_after_us = get_be64(raw);
	return 0;
}

struct page {
	struct ctx *c;
	struct evbuffer *items;
	enum { P_OBJECTS, P_MANIFEST, P_VERSIONS } kind;
	size_t rows;
	size_t bytes;
	int truncated;                /* stopped by the byte cap: more follows */
	int64_t first_us, last_us;
};

static void
version_or_added(const struct store_row *row, char out[TS_US_LEN + 8])
{
	if (row->version[0])
		snprintf(out, TS_US_LEN + 8, "%s", row->version);
	else /* an object with neither modified nor created: its date_added names it */
		ts_format_us(row->date_added_us, out);
}

static int
on_row(void *arg, const struct store_row *row)
{
	struct page *p = arg;
	char ts[TS_US_LEN], ver[TS_US_LEN + 8];

	/* Keep at least one row per page, whatever its size. */
	if (p->rows > 0 && p->bytes + row->len > p->c->t->cfg.page_bytes_max) {
		p->truncated = 1;
		return -LSN_ETOOBIG;
	}
	if (p->rows++ > 0)
		evbuffer_add(p->items, ",", 1);
	if (p->first_us == 0)
		p->first_us = row->date_added_us;
	p->last_us = row->date_added_us;
	switch (p->kind) {
	case P_OBJECTS:
		evbuffer_add(p->items, row->body, row->len);
		p->bytes += row->len;
		break;
	case P_MANIFEST:
		ts_format_us(row->date_added_us, ts);
		version_or_added(row, ver);
		evbuffer_add_printf(p->items,
		    "{\"id\":\"%s\",\"date_added\":\"%s\",\"version\":\"%s\",\"media_type\":\"%s\"}",
		    row->id, ts, ver, STIX_MEDIA);
		p->bytes += 160;
		break;
	case P_VERSIONS:
		version_or_added(row, ver);
		evbuffer_add_printf(p->items, "\"%s\"", ver);
		p->bytes += 32;
		break;
	}
	return 0;
}

/* Fills a store query from the TAXII query; answers 400 itself on error. */
static int
make_query(struct ctx *c, const char *object_id, unsigned allowed, struct store_query *sq)
{
	struct taxii_query *q = &c->q;
	struct err err = ERR_INIT;
	int64_t after = INT64_MIN;
	size_t i;

	if (taxii_query_parse(c->req->query, allowed, q, &err) < 0) {
		taxii_error(c, 400, "Bad query parameter", "%s", err.msg);
		return -1;
	}
	memset(sq, 0, sizeof(*sq));
	sq->coll = c->coll.rowid;
	if (q->present & QP_ADDED_AFTER)
		after = q->added_after_us;
	if (q->present & QP_NEXT) {
		int64_t pos;
		if (taxii_next_decode(c->t, c->coll.rowid, q->next, &pos) < 0) {
			taxii_error(c, 400, "Bad query parameter",
			    "parameter 'next' is not a token this server issued for this collection.");
			return -1;
		}
		if (pos > after)
			after = pos;
	}
	sq->after_us = after;
	sq->limit = (q->present & QP_LIMIT) ? q->limit : c->t->cfg.page_default;
	if (sq->limit > c->t->cfg.page_max)
		sq->limit = c->t->cfg.page_max;
	if (object_id != NULL) {
		sq->ids[0] = object_id;
		sq->n_ids = 1;
	} else {
		memcpy(sq->ids, q->ids, q->n_ids * sizeof(q->ids[0]));
		sq->n_ids = q->n_ids;
	}
	memcpy(sq->types, q->types, q->n_types * sizeof(q->types[0]));
	sq->n_types = q->n_types;
	sq->ver_flags = (q->ver_flags & QV_LAST ? STORE_VER_LAST : 0) |
			(q->ver_flags & QV_FIRST ? STORE_VER_FIRST : 0) |
			(q->ver_flags & QV_ALL ? STORE_VER_ALL : 0);
	for (i = 0; i < q->n_vkeys; i++)
		sq->vkeys[i] = q->vkeys[i];
	sq->n_vkeys = q->n_vkeys;
	memcpy(sq->spec_versions, q->spec_versions, q->n_spec_versions * sizeof(q->spec_versions[0]));
	sq->n_spec_versions = q->n_spec_versions;
	return 0;
}

static void
send_page(struct ctx *c, struct page *p, int more, const char *list_name)
{
	struct evbuffer *b = evbuffer_new();
	char ts[TS_US_LEN], next[64];

	if (p->rows > 0) {
		ts_format_us(p->first_us, ts);
		http_add_header(c->req, "X-TAXII-Date-Added-First", ts);
		ts_format_us(p->last_us, ts);
		http_add_header(c->req, "X-TAXII-Date-Added-Last", ts);
	}
	if (p->rows == 0) {
		evbuffer_add_printf(b, "{\"more\":false}");
	} else {
		evbuffer_add_printf(b, "{\"more\":%s", more ? "true" : "false");
		if (more) {
			taxii_next_encode(c->t, c->coll.rowid, p->last_us, next);
			evbuffer_add_printf(b, ",\"next\":\"%s\"", next);
		}
		evbuffer_add_printf(b, ",\"%s\":[", list_name);
		evbuffer_add_buffer(b, p->items);
		evbuffer_add(b, "]}", 2);
	}
	if (p->kind == P_OBJECTS)
		c->t->m.objects_served += p->rows;
	taxii_reply(c, 200, b);
	evbuffer_free(b);
}

/* The answer to a page read, on the loop: r and err are the query's. */
static void
finish_page(struct ctx *c, const char *object_id, struct page *p, const char *list_name, int r,
    int more, const struct err *err)
{
	if (r < 0 && !p->truncated) {
		taxii_error(c, taxii_store_status(err->code), "Store error", "%s", err->msg);
	} else if (object_id != NULL && p->rows == 0 && !(c->q.present & QP_NEXT)) {
		taxii_error(c, 404, "Object not found",
		    "No object with id '%.300s' matches in collection %s.", object_id, c->coll.id);
	} else {
		send_page(c, p, more || p->truncated, list_name);
	}
	evbuffer_free(p->items);
}

/* A page read on one of the read connections (postgres), answered on the loop. */
struct page_job {
	struct reader_job job;
	struct ctx *c;
	struct page p;
	struct store_query sq;
	const char *object_id;        /* in c->req's path copy, or NULL */
	char id[STIX_ID_MAX + 1];
	const char *list_name;
	int more, rc;
};

static int
page_run(struct store *s, struct reader_job *job)
{
	struct page_job *pj = (struct page_job *)job;

	return store_objects_query(s, &pj->sq, pj->p.kind == P_OBJECTS, on_row, &pj->p, &pj->more,
	    &job->err);
}

static void
page_finish(void *arg)
{
	struct page_job *pj = arg;
	struct taxii *t = pj->c->t;

	t->inflight--;
	finish_page(pj->c, pj->object_id, &pj->p, pj->list_name, pj->rc, pj->more, &pj->job.err);
	free(pj);
}

static void
page_done(struct reader_job *job, int rc)
{
	struct page_job *pj = (struct page_job *)job;

	pj->rc = rc;
	http_server_defer(pj->c->t->srv, page_finish, pj);
}

static void
run_page(struct ctx *c, const char *object_id, struct page *p, unsigned allowed,
    const char *list_name)
{
	struct store_query sq;
	struct page_job *pj;
	struct err err = ERR_INIT;
	int more = 0, r;

	if (make_query(c, object_id, allowed, &sq) < 0)
		return;
	if (p->kind == P_VERSIONS)
		sq.ver_flags = STORE_VER_ALL;
	p->c = c;
	p->items = evbuffer_new();
	/* an id too long to be one is looked for on the loop: it is not there */
	if (c->t->cfg.readers != NULL && (object_id == NULL || strlen(object_id) <= STIX_ID_MAX) &&
	    (pj = calloc(1, sizeof(*pj))) != NULL) {
		pj->c = c;
		pj->p = *p;
		pj->sq = sq;
		pj->list_name = list_name;
		if (object_id != NULL) {
			strcpy(pj->id, object_id);
			pj->object_id = pj->sq.ids[0] = pj->id;
		}
		pj->job.run = page_run;
		pj->job.done = page_done;
		c->t->inflight++;
		readers_submit(c->t->cfg.readers, &pj->job);
		return;
	}
	r = store_objects_query(c->t->rd, &sq, p->kind == P_OBJECTS, on_row, p, &more, &err);
	finish_page(c, object_id, p, list_name, r, more, &err);
}

void
taxii_get_objects(struct ctx *c, const char *object_id, int manifest)
{
	struct page p = { .kind = manifest ? P_MANIFEST : P_OBJECTS };
	unsigned allowed = QP_ADDED_AFTER | QP_LIMIT | QP_NEXT | QP_MATCH_VERSION |
			   QP_MATCH_SPEC_VERSION;

	if (object_id == NULL)
		allowed |= QP_MATCH_ID | QP_MATCH_TYPE;
	run_page(c, object_id, &p, allowed, "objects");
}

void
taxii_get_versions(struct ctx *c, const char *object_id)
{
	struct page p = { .kind = P_VERSIONS };

	run_page(c, object_id, &p, QP_ADDED_AFTER | QP_LIMIT | QP_NEXT | QP_MATCH_SPEC_VERSION,
	    "versions");
}

/* ---- delete, through the writer ---- */

struct del_job {
	struct writer_job job;
	struct ctx *c;
	struct taxii *t;
	char id[STIX_ID_MAX + 1];
	struct store_query sq;        /* version and spec_version filters */
	size_t deleted;
};

static int
del_run(struct store *s, struct writer_job *job)
{
	struct del_job *d = (struct del_job *)job;

	return store_objects_delete(s, d->sq.coll, d->id, d->sq.ver_flags,
	    d->sq.vkeys, d->sq.n_vkeys, d->sq.spec_versions, d->sq.n_spec_versions,
	    &d->deleted, &job->err);
}

static void
del_finish(void *arg)
{
	struct del_job *d = arg;
	struct ctx *c = d->c;

	c->t->inflight--;
	if (d->job.rc < 0)
		taxii_error(c, taxii_store_status(d->job.err.code), "Store error",
		    "%s", d->job.err.msg);
	else if (d->deleted == 0)
		taxii_error(c, 404, "Object not found",
		    "No version of object '%.300s' matches in collection %s.", d->id, c->coll.id);
	else
		http_reply(c->req, 200, NULL, NULL);
	free(d);
}

static void
del_done(struct writer_job *job, int rc)
{
	struct del_job *d = (struct del_job *)job;

	http_server_defer(d->t->srv, del_finish, d);
}

void
taxii_delete_object(struct ctx *c, const char *object_id)
{
	struct del_job *d;

	if (strlen(object_id) > STIX_ID_MAX || !stix_id_valid(object_id)) {
		taxii_error(c, 404, "Object not found", "'%.300s' is not a STIX identifier.", object_id);
		return;
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		taxii_error(c, 503, "Out of memory", "The server is out of memory; try again.");
		return;
	}
	if (make_query(c, object_id, QP_MATCH_VERSION | QP_MATCH_SPEC_VERSION, &d->sq) < 0) {
		free(d);
		return;
	}
	/* Without match[version], DELETE removes every version (§5.7). */
	if (!(c->q.present & QP_MATCH_VERSION))
		d->sq.ver_flags = STORE_VER_ALL;
	snprintf(d->id, sizeof(d->id), "%s", object_id);
	d->c = c;
	d->t = c->t;
	d->job.run = del_run;
	d->job.done = del_done;
	d->job.weight = 1;
	c->t->inflight++;
	writer_submit(c->t->w, &d->job);
}
