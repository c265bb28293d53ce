/*
 * Adding objects (§5.5) and the status resource (§4.3). The envelope is
 * scanned without building a tree so each object is kept as the exact bytes
 * received; each object is then parsed and validated alone, so one bad object
 * is reported in the status failures while the valid ones are stored.
 * The objects and their status commit in one transaction before the 202.
 */
#include "http/taxii_int.h"
#include "util/err.h"
#include "util/jscan.h"
#include "util/ts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct add_item {
	struct stix_meta meta;
	const char *body;
	size_t len;
	int index;                    /* position in the envelope */
	char *failure;                /* message if rejected before storing (malloc) */
};

struct add_job {
	struct writer_job job;
	struct ctx *c;
	struct taxii *t;
	char status_id[CX_UUID_LEN];
	int64_t request_us;
	struct add_item *items;
	size_t n_items, cap_items;
	struct store_obj_in *in;      /* the valid ones, in order */
	struct store_obj_result *res;
	size_t n_in;
	struct buf status;            /* the status resource, built in the transaction */
	size_t n_ok, n_fail;
};

static void
add_job_free(struct add_job *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->n_items; i++)
		free(a->items[i].failure);
	free(a->items);
	free(a->in);
	free(a->res);
	buf_release(&a->status);
	free(a);
}

/*
 * Best effort: the id and version of a rejected object, for the status. Read
 * from the raw bytes with the scanner, so objects jansson refuses (duplicate
 * keys, bad escapes) are still named. Escaped strings are left out.
 */
static void
salvage_id(const char *body, size_t len, struct stix_meta *m)
{
	struct jscan js;
	const char *k, *s, *e;
	size_t kl, n;

	jscan_init(&js, body, len, STIX_OBJECT_MAX_DEPTH);
	if (jscan_object_begin(&js, NULL) < 0)
		return;
	while (jscan_object_next(&js, &k, &kl, NULL) == 1) {
		char *dst = NULL;
		size_t cap = 0;

		if (jscan_value(&js, &s, &e, NULL) < 0)
			return;
		if (kl == 2 && memcmp(k, "id", 2) == 0)
			dst = m->id, cap = sizeof(m->id);
		else if ((kl == 8 && memcmp(k, "modified", 8) == 0) ||
		    (kl == 7 && memcmp(k, "created", 7) == 0 && m->version[0] == '\0'))
			dst = m->version, cap = sizeof(m->version);
		n = (size_t)(e - s);
		if (dst == NULL || n < 2 || *s != '"' || n - 2 >= cap || memchr(s, '\\', n) != NULL)
			continue;
		memcpy(dst, s + 1, n - 2);
		dst[n - 2] = '\0';
	}
}

/* One element of the envelope: kept as bytes, named in the status if it is not valid. */
static int
add_item(void *arg, const char *s, const char *e)
{
	struct add_job *a = arg;
	struct add_item *it;
	struct err err = ERR_INIT;
	json_t *obj = NULL;

	if (a->n_items == a->cap_items) {
		size_t cap = a->cap_items ? a->cap_items * 2 : 64;
		struct add_item *n = realloc(a->items, cap * sizeof(*n));
		if (n == NULL)
			return -LSN_ENOMEM;
		a->items = n;
		a->cap_items = cap;
	}
	it = &a->items[a->n_items];
	memset(it, 0, sizeof(*it));
	it->body = s;
	it->len = (size_t)(e - s);
	it->index = (int)a->n_items;
	a->n_items++;
	if (stix_parse_object(s, it->len, &obj, &it->meta, &err) < 0) {
		salvage_id(s, it->len, &it->meta);
		it->failure = strdup(err.msg);
		return it->failure ? 0 : -LSN_ENOMEM;
	}
	json_decref(obj);
	return 0;
}

/* Finds "objects" in the envelope (§3.7) and validates each element. */
static int
parse_envelope(struct add_job *a, const char *body, size_t len, struct err *err)
{
	int r;

	/* One pass: the walk checks the grammar of every byte it crosses. */
	r = jscan_each(body, len, STIX_OBJECT_MAX_DEPTH + 2, "objects", "the envelope", add_item, a,
	    err);
	if (r == -LSN_ENOMEM)
		return err_set(err, LSN_ENOMEM, "out of memory");
	return r;
}

static void
status_detail(struct buf *b, int *first, const struct stix_meta *m, int index, const char *msg)
{
	buf_adds(b, *first ? "{\"id\":" : ",{\"id\":");
	*first = 0;
	buf_add_json_str(b, m->id, strlen(m->id));
	if (m->version[0]) {
		buf_adds(b, ",\"version\":");
		buf_add_json_str(b, m->version, strlen(m->version));
	}
	if (msg != NULL) {
		char pre[48];
		struct buf t = BUF_INIT(ERR_MSG_MAX + 64);
		snprintf(pre, sizeof(pre), "object %d: ", index);
		buf_adds(&t, pre);
		buf_adds(&t, msg);
		buf_adds(b, ",\"message\":");
		buf_add_json_str(b, t.data, t.len);
		buf_release(&t);
	}
	buf_addc(b, '}');
}

/* The status resource (§4.3.1); every request completes before the 202. */
static int
build_status(struct add_job *a)
{
	struct buf *b = &a->status;
	char ts[TS_US_LEN];
	size_t i, k = 0;
	int first = 1;

	a->n_ok = a->n_fail = 0;
	for (i = 0; i < a->n_items; i++) {
		if (a->items[i].failure)
			a->n_fail++;
		else
			a->res[k++].outcome == STORE_CONFLICT ? a->n_fail++ : a->n_ok++;
	}
	ts_format_us(a->request_us, ts);
	buf_reset(b);
	buf_printf(b, "{\"id\":\"%s\",\"status\":\"complete\",\"request_timestamp\":\"%s\","
	    "\"total_count\":%zu,\"success_count\":%zu,\"failure_count\":%zu,\"pending_count\":0",
	    a->status_id, ts, a->n_items, a->n_ok, a->n_fail);
	for (int pass = 0; pass < 2; pass++) {
		if ((pass == 0 ? a->n_ok : a->n_fail) == 0)
			continue;
		buf_adds(b, pass == 0 ? ",\"successes\":[" : ",\"failures\":[");
		first = 1;
		for (i = 0, k = 0; i < a->n_items; i++) {
			const struct add_item *it = &a->items[i];
			const struct store_obj_result *res = it->failure ? NULL : &a->res[k++];
			int ok = res != NULL && res->outcome != STORE_CONFLICT;
			if (ok != (pass == 0))
				continue;
			status_detail(b, &first, &it->meta, it->index,
			    it->failure ? it->failure :
			    res->outcome == STORE_CONFLICT ?
				"a different object with this id and version is already stored; "
				"a changed object needs a newer 'modified'" :
			    res->outcome == STORE_DUPLICATE ? "already stored (duplicate)" : NULL);
		}
		buf_addc(b, ']');
	}
	return buf_addc(b, '}');
}

static int
add_run(struct store *s, struct writer_job *job)
{
	struct add_job *a = (struct add_job *)job;
	int r;

	if (a->n_in > 0 &&
	    (r = store_objects_add(s, a->c->coll.rowid, a->in, a->n_in, a->res, &job->err)) < 0)
		return r;
	if (build_status(a) < 0)
		return err_set(&job->err, LSN_ETOOBIG, "the status resource is too large");
	return store_status_put(s, a->status_id, a->c->coll.rowid, a->status.data,
	    a->status.len, &job->err);
}

static void
add_finish(void *arg)
{
	struct add_job *a = arg;
	struct ctx *c = a->c;
	size_t i;

	c->t->inflight--;
	if (a->job.rc < 0) {
		taxii_error(c, taxii_store_status(a->job.err.code), "Store error",
		    "Nothing was stored: %s", a->job.err.msg);
	} else {
		for (i = 0; i < a->n_in; i++) {
			if (a->res[i].outcome == STORE_ADDED)
				c->t->m.objects_added++;
			else if (a->res[i].outcome == STORE_DUPLICATE)
				c->t->m.objects_duplicate++;
			else
				c->t->m.objects_rejected++;
		}
		c->t->m.objects_rejected += a->n_items - a->n_in;
		http_reply_bytes(c->req, 202, TAXII_MEDIA, a->status.data, a->status.len);
	}
	add_job_free(a);
}

static void
add_done(struct writer_job *job, int rc)
{
	struct add_job *a = (struct add_job *)job;

	if (rc == 0 && a->job.rc == 0 && a->t->cfg.ex != NULL)
		exchange_notify(a->t->cfg.ex);
	http_server_defer(a->t->srv, add_finish, a);
}

void
taxii_add_objects(struct ctx *c)
{
	struct add_job *a;
	struct err err = ERR_INIT;
	size_t i;
	int r;

	if (!taxii_content_type_ok(c->req)) {
		taxii_error(c, 415, "Unsupported media type", "POST needs Content-Type: %s.", TAXII_MEDIA);
		return;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL || cx_uuid4(a->status_id) < 0) {
		free(a);
		taxii_error(c, 503, "Out of resources", "The server could not start this request; try again.");
		return;
	}
	a->request_us = c->req->start_us;
	buf_init(&a->status, 64u << 20);
	r = parse_envelope(a, c->req->body.data ? c->req->body.data : "", c->req->body.len, &err);
	if (r < 0) {
		taxii_error(c, r == -LSN_ECONFLICT ? 422 : r == -LSN_ENOMEM ? 503 : 400,
		    r == -LSN_ECONFLICT ? "Unprocessable envelope" : "Malformed request body",
		    "%s", err.msg);
		add_job_free(a);
		return;
	}
	a->in = calloc(a->n_items ? a->n_items : 1, sizeof(*a->in));
	a->res = calloc(a->n_items ? a->n_items : 1, sizeof(*a->res));
	if (a->in == NULL || a->res == NULL) {
		add_job_free(a);
		taxii_error(c, 503, "Out of memory", "The server is out of memory; try again.");
		return;
	}
	for (i = 0; i < a->n_items; i++) {
		if (a->items[i].failure)
			continue;
		a->in[a->n_in].meta = &a->items[i].meta;
		a->in[a->n_in].body = a->items[i].body;
		a->in[a->n_in].len = a->items[i].len;
		a->n_in++;
	}
	a->c = c;
	a->t = c->t;
	a->job.run = add_run;
	a->job.done = add_done;
	a->job.weight = a->n_in ? a->n_in : 1;
	c->t->inflight++;
	writer_submit(c->t->w, &a->job);
}

void
taxii_get_status(struct ctx *c, const char *status_id)
{
	struct err err = ERR_INIT;
	char *json = NULL;
	size_t len;
	int64_t coll;
	int rd, wr;

	if (store_status_get(c->t->rd, status_id, &json, &len, &coll, &err) < 0) {
		taxii_error(c, err.code == LSN_ENOTFOUND ? 404 : 500,
		    err.code == LSN_ENOTFOUND ? "Status not found" : "Store error", "%s", err.msg);
		return;
	}
	taxii_rights(c, coll, &rd, &wr);
	if (!rd && !wr) {
		free(json);
		taxii_error(c, 404, "Status not found", "no status resource has the id '%.80s'", status_id);
		return;
	}
	http_reply_bytes(c->req, 200, TAXII_MEDIA, json, len);
	free(json);
}
