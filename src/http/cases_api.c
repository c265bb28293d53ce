/*
 * The hotline's JSON API (docs/hotline.md, "API"), on the TAXII listener
 * with its users:
 *   GET  /api/v1/cases[?open=true&overdue=true&partner=NAME&order=due&limit=N&next=T]
 *   POST /api/v1/cases              {"partner", "kind", "details", "tlp", "attach"}
 *   GET  /api/v1/cases/{id}
 *   POST /api/v1/cases/{id}/steps   {"step": "ack", "text": "..."}
 * A user sees, and takes steps on, the cases of a partner whose inbox
 * collection (from-NAME) it may read; admins see every case. Errors are
 * JSON objects with title, description and http_status, as TAXII's.
 */
#include "http/taxii_int.h"

#include "exchange/exchange.h"
#include "hotline/hotline.h"
#include "hotline/ops.h"
#include "hotline/node.h"
#include "util/err.h"
#include "util/ts.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API_MEDIA "application/json"

static void __attribute__((format(printf, 4, 5)))
api_error(struct ctx *c, int status, const char *title, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	taxii_error_v(c, API_MEDIA, status, title, fmt, ap);
	va_end(ap);
}

static void
api_reply(struct ctx *c, int status, json_t *doc)
{
	char *s = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);

	json_decref(doc);
	if (s == NULL) {
		api_error(c, 503, "Out of memory", "The server is out of memory; try again.");
		return;
	}
	http_reply_bytes(c->req, status, API_MEDIA, s, strlen(s));
	free(s);
}

/* May the user see the cases with this partner? */
static int
may_see(const struct ctx *c, const struct store_partner *p)
{
	int rd, wr;

	taxii_rights(c, p->inbox, &rd, &wr);
	return rd;
}

/* ---- GET /api/v1/cases ---- */

struct list {
	struct ctx *c;
	json_t *arr;
	int64_t now;
	size_t limit, n;
	int more;
	int by_due;                   /* order=due: the key is the case's nearest deadline */
	int64_t last_us;              /* the last case on the page: the next page's key */
	char last_id[STIX_ID_MAX + 1];
	struct store_partner p;       /* the last partner looked up */
	int p_ok;
};

static int
list_case(void *arg, const struct store_case *sc)
{
	struct list *l = arg;
	struct store *rd = l->c->t->rd;
	const struct hotline_escalation *e = hotline_node_escalation(l->c->t->cfg.hotline);
	struct err err = ERR_INIT;
	json_t *j;

	if ((!l->p_ok || l->p.rowid != sc->partner) &&
	    store_partner_get(rd, sc->partner, &l->p, &err) < 0)
		return -LSN_EIO;
	l->p_ok = 1;
	if (!may_see(l->c, &l->p))
		return 0;
	if (l->n == l->limit) {
		l->more = 1;
		return -LSN_ETOOBIG;   /* the page is full: stop reading */
	}
	if (hotline_case_json(rd, sc, l->p.name, 0, e, l->now, &j, &err) < 0 ||
	    json_array_append_new(l->arr, j) < 0)
		return -LSN_ENOMEM;
	l->n++;
	l->last_us = l->by_due ? store_case_deadline(sc) : sc->opened_us;
	snprintf(l->last_id, sizeof(l->last_id), "%s", sc->id);
	return 0;
}

#define LIST_DEFAULT 100
#define LIST_MAX 1000

struct list_query {
	int open, overdue, by_due;
	char partner[STORE_NAME_MAX + 1];
	size_t limit;
	int64_t before_us;            /* from `next`: "<opened_us>_<id>" */
	char before_id[STIX_ID_MAX + 1];
};

static int
flag_value(const char *k, const char *v, int *flag, char *why, size_t whycap)
{
	if (strcmp(v, "true") == 0)
		*flag = 1;
	else if (strcmp(v, "false") == 0)
		*flag = 0;
	else {
		snprintf(why, whycap, "%s must be true or false, not '%.40s'", k, v);
		return -1;
	}
	return 0;
}

/* open, overdue (true|false), partner=NAME, limit=N, next=TOKEN; nothing else. */
static int
parse_list_query(const char *q, struct list_query *lq, char *why, size_t whycap)
{
	char buf[512], *save = NULL, *kv, *end;

	memset(lq, 0, sizeof(*lq));
	lq->limit = LIST_DEFAULT;
	if (strlen(q) >= sizeof(buf)) {
		snprintf(why, whycap, "the query is longer than %zu bytes", sizeof(buf) - 1);
		return -1;
	}
	strcpy(buf, q);
	for (kv = strtok_r(buf, "&", &save); kv != NULL; kv = strtok_r(NULL, "&", &save)) {
		char *v = strchr(kv, '=');
		if (v == NULL) {
			snprintf(why, whycap, "'%.40s' has no value (NAME=VALUE)", kv);
			return -1;
		}
		*v++ = '\0';
		if (strcmp(kv, "open") == 0) {
			if (flag_value(kv, v, &lq->open, why, whycap) < 0)
				return -1;
		} else if (strcmp(kv, "overdue") == 0) {
			if (flag_value(kv, v, &lq->overdue, why, whycap) < 0)
				return -1;
		} else if (strcmp(kv, "order") == 0) {
			if (strcmp(v, "due") == 0)
				lq->by_due = 1;
			else if (strcmp(v, "opened") != 0) {
				snprintf(why, whycap, "order must be due (the nearest deadline first, open "
				    "cases only) or opened (the newest first), not '%.40s'", v);
				return -1;
			}
		} else if (strcmp(kv, "partner") == 0 && *v != '\0' && strlen(v) < sizeof(lq->partner)) {
			strcpy(lq->partner, v);
		} else if (strcmp(kv, "limit") == 0) {
			unsigned long long n = strtoull(v, &end, 10);
			if (*v < '0' || *v > '9' || *end != '\0' || n == 0 || n > LIST_MAX) {
				snprintf(why, whycap, "limit must be a whole number from 1 to %d, not "
				    "'%.40s'", LIST_MAX, v);
				return -1;
			}
			lq->limit = (size_t)n;
		} else if (strcmp(kv, "next") == 0) {
			long long us = strtoll(v, &end, 10);
			if (*v < '0' || *v > '9' || *end != '_' || us <= 0 ||
			    strlen(end + 1) >= sizeof(lq->before_id) || strncmp(end + 1, "incident--", 10)) {
				snprintf(why, whycap, "next must be the token of the previous page, not "
				    "'%.60s'", v);
				return -1;
			}
			lq->before_us = us;
			strcpy(lq->before_id, end + 1);
		} else {
			snprintf(why, whycap, "'%.40s' is not a parameter of this resource (open, "
			    "overdue, partner, order, limit, next)", kv);
			return -1;
		}
	}
	return 0;
}

static void
get_cases(struct ctx *c)
{
	struct store *rd = c->t->rd;
	struct err err = ERR_INIT;
	struct list l = { 0 };
	struct list_query lq;
	struct store_case_query q;
	char why[200], next[STIX_ID_MAX + 32];
	json_t *doc;
	int r;

	if (parse_list_query(c->req->query, &lq, why, sizeof(why)) < 0) {
		api_error(c, 400, "Bad query", "%s.", why);
		return;
	}
	memset(&q, 0, sizeof(q));
	if (lq.partner[0] != '\0') {
		struct store_partner p;
		if (store_partner_find(rd, lq.partner, &p, &err) < 0 || !may_see(c, &p)) {
			api_error(c, 404, "Not found", "There is no partner '%s' whose cases you may see.",
			    lq.partner);
			return;
		}
		q.partner = p.rowid;
	}
	l.c = c;
	l.now = clock_now_us();
	l.limit = lq.limit;
	l.arr = json_array();
	if (l.arr == NULL) {
		api_error(c, 503, "Out of memory", "The server is out of memory; try again.");
		return;
	}
	q.open_only = lq.open;
	q.overdue_at = lq.overdue;
	q.now_us = l.now;
	if (lq.by_due && lq.overdue) {
		json_decref(l.arr);
		api_error(c, 400, "Bad query", "order=due lists every open case; it does not combine "
		    "with overdue=true.");
		return;
	}
	l.by_due = q.by_due = lq.by_due;
	if (lq.by_due) {
		q.after_due_us = lq.before_us;
		snprintf(q.after_id, sizeof(q.after_id), "%s", lq.before_id);
	} else {
		q.before_us = lq.before_us;
		snprintf(q.before_id, sizeof(q.before_id), "%s", lq.before_id);
	}
	/* one more than a page says whether there is a next one (keyset, never offsets) */
	r = store_case_scan(rd, &q, list_case, &l, &err);
	if (r < 0 && r != -LSN_ETOOBIG) {
		json_decref(l.arr);
		api_error(c, taxii_store_status(err.code), "Store error", "The cases could not be read: %s",
		    err.msg[0] ? err.msg : "out of memory");
		return;
	}
	doc = json_pack("{s:o, s:b}", "cases", l.arr, "more", l.more);
	if (doc != NULL && l.more) {
		snprintf(next, sizeof(next), "%lld_%s", (long long)l.last_us, l.last_id);
		json_object_set_new(doc, "next", json_string(next));
	}
	api_reply(c, 200, doc);
}

/* The case a key names, if the user may see it: else an error was sent. */
static int
find_case(struct ctx *c, const char *key, struct store_case *sc, struct store_partner *p)
{
	struct store *rd = c->t->rd;
	struct err err = ERR_INIT;
	int r;

	r = store_case_get(rd, key, sc, &err);
	if (r == -LSN_EEXIST) {
		api_error(c, 400, "Ambiguous case", "%s.", err.msg);
		return -1;
	}
	if (r < 0 || store_partner_get(rd, sc->partner, p, &err) < 0 || !may_see(c, p)) {
		api_error(c, 404, "Not found", "There is no case '%.80s' that you may see.", key);
		return -1;
	}
	return 0;
}

static void
get_case(struct ctx *c, const char *key)
{
	struct store_case sc;
	struct store_partner p;
	struct err err = ERR_INIT;
	json_t *j;

	if (find_case(c, key, &sc, &p) < 0)
		return;
	if (hotline_case_json(c->t->rd, &sc, p.name, 1, hotline_node_escalation(c->t->cfg.hotline),
	    clock_now_us(), &j, &err) < 0) {
		api_error(c, taxii_store_status(err.code), "Store error",
		    "The case could not be read: %s", err.msg);
		return;
	}
	api_reply(c, 200, j);
}

/*
 * The hotline terms in force with partner: from the exchange's memory (the
 * terms its link holds), or the agreement file when this server runs no
 * exchange or the partner's link has not started yet (just added).
 */
static int
partner_terms(struct ctx *c, const char *partner, struct agr_hotline *ret, struct err *err)
{
	struct agreement g;
	int exists, r;

	if (c->t->cfg.ex != NULL && (r = exchange_terms(c->t->cfg.ex, partner, ret, err)) !=
	    -LSN_ENOTFOUND)
		return r;
	if ((r = exchange_agreement_load(c->t->cfg.agreements_dir, c->t->cfg.node_name, partner,
	    &g, &exists, err)) < 0)
		return r;
	*ret = g.hotline;
	return 0;
}

/* ---- POST /api/v1/cases/{id}/steps ---- */

/*
 * What the two writer jobs (a step, an opening) share: the answer, sent on
 * the loop once the batch committed, and the job's own free.
 */
struct case_answer {
	struct writer_job job;        /* first: the writer hands this back */
	struct ctx *c;
	struct store_case result;
	const char *partner;          /* the case's partner, held by the job */
	int refused;                  /* answered no, nothing stored */
	int refused_status;           /* 409 for a step, 422 for an opening */
	const char *refused_title;
	const char *what;             /* "step" or "case", for a failed read-back */
	void (*free)(struct case_answer *a);
};

static void
answer_finish(void *arg)
{
	struct case_answer *an = arg;
	struct ctx *c = an->c;
	struct err err = ERR_INIT;
	json_t *j;

	c->t->inflight--;
	if (an->job.rc < 0) {
		api_error(c, taxii_store_status(an->job.err.code), "Store error",
		    "Nothing was stored: %s", an->job.err.msg);
	} else if (an->refused) {
		api_error(c, an->refused_status, an->refused_title, "%s", an->job.err.msg);
	} else if (store_read_begin(c->t->rd, &err) < 0 ||
	    hotline_case_json(c->t->rd, &an->result, an->partner, 1,
	    hotline_node_escalation(c->t->cfg.hotline), clock_now_us(), &j, &err) < 0) {
		store_read_end(c->t->rd);
		api_error(c, 500, "Store error", "The %s was stored; reading it back failed: %s",
		    an->what, err.msg);
	} else {
		store_read_end(c->t->rd);
		api_reply(c, 201, j);
	}
	an->free(an);
}

static void
answer_done(struct writer_job *job, int rc)
{
	struct case_answer *an = (struct case_answer *)job;

	if (rc == 0 && !an->refused && an->c->t->cfg.ex != NULL)
		exchange_notify(an->c->t->cfg.ex);
	http_server_defer(an->c->t->srv, answer_finish, an);
}

/* Hands the job to the writer; its answer comes back through answer_done. */
static void
answer_submit(struct ctx *c, struct case_answer *an, int (*run)(struct store *,
    struct writer_job *))
{
	an->c = c;
	an->job.run = run;
	an->job.done = answer_done;
	an->job.weight = 1;
	c->t->inflight++;
	writer_submit(c->t->w, &an->job);
}

struct step_job {
	struct case_answer an;        /* first */
	char id[STIX_ID_MAX + 1];
	enum case_step step;
	char *text;
	struct agr_hotline terms;
	char partner[STORE_NAME_MAX + 1];
};

static int
step_run(struct store *s, struct writer_job *job)
{
	struct step_job *sj = (struct step_job *)job;
	struct hotline_step_req rq = { sj->id, sj->step, sj->text };
	int r;

	r = hotline_op_step(s, &rq, &sj->terms, clock_now_us(), &sj->an.result, &job->err);
	/* a refusal is an answer, not a failed commit: nothing was written */
	if (r == 1) {
		sj->an.refused = 1;
		return 0;
	}
	return r;
}

static void
step_free(struct case_answer *an)
{
	struct step_job *sj = (struct step_job *)an;

	free(sj->text);
	free(sj);
}

static void
post_step(struct ctx *c, const char *key)
{
	struct store_case sc;
	struct store_partner p;
	struct agr_hotline terms;
	struct err err = ERR_INIT;
	struct step_job *sj;
	json_error_t je;
	json_t *doc;
	const char *name, *text;
	enum case_step step;

	if (find_case(c, key, &sc, &p) < 0)
		return;
	doc = json_loadb(c->req->body.data ? c->req->body.data : "", c->req->body.len,
	    JSON_REJECT_DUPLICATES, &je);
	if (doc == NULL || !json_is_object(doc)) {
		json_decref(doc);
		api_error(c, 400, "Malformed request body", "The body must be one JSON object "
		    "{\"step\": ..., \"text\": ...}: %s.", doc ? "not an object" : je.text);
		return;
	}
	name = json_string_value(json_object_get(doc, "step"));
	text = json_string_value(json_object_get(doc, "text"));
	if (name == NULL || case_step_from_name(name, &step) < 0 ||
	    (json_object_get(doc, "text") != NULL && text == NULL) ||
	    json_object_size(doc) > 1u + (json_object_get(doc, "text") != NULL)) {
		json_decref(doc);
		api_error(c, 400, "Malformed request body", "The body holds \"step\" (ack, start, "
		    "request_info, provide_info, respond, mla_sent, refuse, withdraw, close) and "
		    "optionally \"text\" (a string), nothing else.");
		return;
	}
	if (partner_terms(c, p.name, &terms, &err) < 0) {
		json_decref(doc);
		api_error(c, 500, "Agreement unreadable", "%s", err.msg);
		return;
	}
	sj = calloc(1, sizeof(*sj));
	if (sj == NULL || (text != NULL && (sj->text = strdup(text)) == NULL)) {
		free(sj);
		json_decref(doc);
		api_error(c, 503, "Out of memory", "The server is out of memory; try again.");
		return;
	}
	json_decref(doc);
	snprintf(sj->id, sizeof(sj->id), "%s", sc.id);
	snprintf(sj->partner, sizeof(sj->partner), "%s", p.name);
	sj->step = step;
	sj->terms = terms;
	sj->an.partner = sj->partner;
	sj->an.refused_status = 409;
	sj->an.refused_title = "Step refused";
	sj->an.what = "step";
	sj->an.free = step_free;
	answer_submit(c, &sj->an, step_run);
}

/* ---- POST /api/v1/cases: opening ---- */

struct open_job {
	struct case_answer an;        /* first */
	struct store_partner p;
	struct hotline_open_req rq;
	struct agr_hotline terms;
	char *details, *attach;
};

static int
open_run(struct store *s, struct writer_job *job)
{
	struct open_job *oj = (struct open_job *)job;
	int r;

	r = hotline_op_open(s, &oj->p, &oj->rq, &oj->terms, clock_now_us(), &oj->an.result,
	    &job->err);
	if (r == 1) {
		oj->an.refused = 1;
		return 0;
	}
	return r;
}

static void
open_free(struct case_answer *an)
{
	struct open_job *oj = (struct open_job *)an;

	free(oj->details);
	free(oj->attach);
	free(oj);
}

/* 1 if every member of the opening is one it may have. */
static int
members_ok(struct ctx *c, json_t *doc)
{
	const char *key;
	json_t *v;

	json_object_foreach(doc, key, v) {
		if (strcmp(key, "partner") != 0 && strcmp(key, "kind") != 0 &&
		    strcmp(key, "details") != 0 && strcmp(key, "tlp") != 0 &&
		    strcmp(key, "attach") != 0) {
			api_error(c, 400, "Malformed request body", "'%.40s' is not a member of an "
			    "opening (partner, kind, details, tlp, attach).", key);
			return 0;
		}
	}
	return 1;
}

/*
 * {"partner": NAME, "kind": KIND, "details": {...}, "tlp": "amber",
 *  "attach": {a STIX bundle}}: tlp and attach are optional. Answers 400
 * itself; the strings point into doc.
 */
static int
parse_opening(struct ctx *c, json_t *doc, const char **ret_partner, enum case_kind *ret_kind,
    enum stix_tlp *ret_tlp)
{
	const char *partner, *kind, *tlp;

	if (!members_ok(c, doc))
		return -1;
	partner = json_string_value(json_object_get(doc, "partner"));
	kind = json_string_value(json_object_get(doc, "kind"));
	tlp = json_string_value(json_object_get(doc, "tlp"));
	*ret_tlp = STIX_TLP_AMBER;
	if (partner == NULL || kind == NULL || case_kind_from_name(kind, ret_kind) < 0 ||
	    !json_is_object(json_object_get(doc, "details")) ||
	    (json_object_get(doc, "tlp") != NULL && (tlp == NULL ||
	    stix_tlp_from_name(tlp, ret_tlp) < 0)) ||
	    (json_object_get(doc, "attach") != NULL &&
	    !json_is_object(json_object_get(doc, "attach")))) {
		api_error(c, 400, "Malformed request body", "An opening needs \"partner\" (a name), "
		    "\"kind\" (notification, inquiry, assistance, preservation, emergency, "
		    "interference) and \"details\" (an object); \"tlp\" is a TLP level and "
		    "\"attach\" a STIX bundle.");
		return -1;
	}
	*ret_partner = partner;
	return 0;
}

/* The opening's job, with its details and attachment as compact JSON; NULL: out of memory. */
static struct open_job *
open_job_new(json_t *doc)
{
	struct open_job *oj = calloc(1, sizeof(*oj));
	json_t *attach = json_object_get(doc, "attach");

	if (oj == NULL)
		return NULL;
	oj->details = json_dumps(json_object_get(doc, "details"), JSON_COMPACT |
	    JSON_PRESERVE_ORDER);
	if (attach != NULL)
		oj->attach = json_dumps(attach, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (oj->details == NULL || (oj->attach == NULL && attach != NULL)) {
		free(oj->details);
		free(oj);
		return NULL;
	}
	return oj;
}

static void
post_case(struct ctx *c)
{
	struct store *rd = c->t->rd;
	struct err err = ERR_INIT;
	struct open_job *oj;
	struct store_partner p;
	struct agr_hotline terms;
	json_error_t je;
	json_t *doc;
	const char *partner;
	enum case_kind k;
	enum stix_tlp t;

	doc = json_loadb(c->req->body.data ? c->req->body.data : "", c->req->body.len,
	    JSON_REJECT_DUPLICATES, &je);
	if (doc == NULL || !json_is_object(doc)) {
		json_decref(doc);
		api_error(c, 400, "Malformed request body", "The body must be one JSON object "
		    "{\"partner\", \"kind\", \"details\", \"tlp\", \"attach\"}: %s.",
		    doc ? "not an object" : je.text);
		return;
	}
	if (parse_opening(c, doc, &partner, &k, &t) < 0)
		goto out;
	if (store_partner_find(rd, partner, &p, &err) < 0 || !p.active || !may_see(c, &p)) {
		api_error(c, 404, "Not found", "There is no active partner '%.64s' whose cases you "
		    "may see.", partner);
		goto out;
	}
	if (partner_terms(c, p.name, &terms, &err) < 0) {
		api_error(c, 500, "Agreement unreadable", "%s", err.msg);
		goto out;
	}
	if ((oj = open_job_new(doc)) == NULL) {
		api_error(c, 503, "Out of memory", "The server is out of memory; try again.");
		goto out;
	}
	oj->p = p;
	oj->terms = terms;
	oj->rq.kind = k;
	oj->rq.details = oj->details;
	oj->rq.details_len = strlen(oj->details);
	oj->rq.tlp = t;
	oj->rq.attach = oj->attach;
	oj->rq.attach_len = oj->attach ? strlen(oj->attach) : 0;
	oj->an.partner = oj->p.name;
	oj->an.refused_status = 422;
	oj->an.refused_title = "Case refused";
	oj->an.what = "case";
	oj->an.free = open_free;
	answer_submit(c, &oj->an, open_run);
out:
	json_decref(doc);
}

static void r_cases(void *c, const struct route_args *a) { get_cases(c); }
static void r_open(void *c, const struct route_args *a) { post_case(c); }

static void
r_case(void *c, const struct route_args *a)
{
	get_case(c, route_arg(a, "case"));
}

static void
r_step(void *c, const struct route_args *a)
{
	post_step(c, route_arg(a, "case"));
}

/*
 * The hotline's rows; its paths are taken with or without a trailing '/'.
 * Every row needs ROUTE_USER: taxii.c authenticated the request before.
 */
static const struct route cases_routes[] = {
	{ "GET", "/api/v1/cases", r_cases, ROUTE_USER, "/api/v1/cases answers GET and POST." },
	{ "POST", "/api/v1/cases", r_open, ROUTE_USER, "/api/v1/cases answers GET and POST." },
	{ "GET", "/api/v1/cases/{case}", r_case, ROUTE_USER,
	    "A case answers GET; steps are POSTed to /api/v1/cases/{id}/steps." },
	{ "POST", "/api/v1/cases/{case}/steps", r_step, ROUTE_USER, "Steps are POSTed." },
};

/* A case key the store could name: not empty, not longer than a STIX id. */
static int
key_ok(const char *key, size_t n)
{
	return n > 0 && n < STIX_ID_MAX + 1;
}

/* 404 in the words of the part of the path that names nothing. */
static void
not_found(struct ctx *c)
{
	const char *p = c->req->path;

	if (strncmp(p, "/api/v1/cases", 13) != 0 || (p[13] != '\0' && p[13] != '/'))
		api_error(c, 404, "Not found", "There is no resource at this path (/api/v1/cases).");
	else if (p[13] == '/' && !key_ok(p + 14, strcspn(p + 14, "/")))
		api_error(c, 404, "Not found", "There is no case at this path.");
	else
		api_error(c, 404, "Not found", "There is no resource at this path.");
}

void
cases_api(struct ctx *c)
{
	struct route_match m;
	char path[2048];
	const char *key;
	int st;

	if (ui_csrf_check(c) < 0) {
		api_error(c, 403, "Forbidden", "A request of a dashboard session that changes state "
		    "needs the session's X-CSRF-Token header; nothing was changed.");
		return;
	}
	if (c->t->cfg.hotline == NULL) {
		api_error(c, 404, "Not found", "This server has no hotline.");
		return;
	}
	st = route_lookup(cases_routes, sizeof(cases_routes) / sizeof(cases_routes[0]),
	    c->req->method, c->req->path, 1, path, sizeof(path), &m);
	key = route_arg(&m.args, "case");
	if (st == 404 || (key != NULL && !key_ok(key, strlen(key)))) {
		not_found(c);
		return;
	}
	if (st == 405) {
		api_error(c, 405, "Method not allowed", "%s", m.row->hint);
		return;
	}
	if (!taxii_has_rights(c, m.hit->rights)) {
		api_error(c, 403, "Forbidden", "This resource is for the node's admins.");
		return;
	}
	m.hit->fn(c, &m.args);
}
