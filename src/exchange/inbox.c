/*
 * The inbox: envelopes a partner posted. Each is decoded and verified on
 * the calling (loop) thread; the sequence check, the objects, the envelope
 * bytes as received and the signed receipt are written by the writer in one
 * transaction, so an envelope is never stored without its objects or its
 * receipt. A resent envelope (same seq, same id) gets the receipt it got
 * the first time; nothing is stored twice.
 */
#include "exchange/exchange_int.h"
#include "util/buf.h"
#include "util/enc.h"
#include "util/err.h"
#include "util/jscan.h"
#include "util/ts.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct in_env {
	struct env_view v;
	size_t first_obj, n_obj;      /* valid objects in acc->objs */
	uint32_t refused_objs;
};

struct accept_job {
	struct writer_job job;
	struct exchange *ex;
	struct store_partner p;       /* key, key_id, inbox, name */
	struct in_env *envs;
	size_t n_envs;
	struct stix_meta *metas;
	struct store_obj_in *objs;
	struct store_obj_result *res;
	size_t n_objs, cap_objs;
	/* the first envelope refused before the writer ran, if any */
	enum exchange_refusal pre_refusal;
	uint64_t pre_seq;
	char pre_msg[256];
	size_t dups;                  /* resent envelopes answered from the store */
	struct exchange_batch *b;
	void (*done)(void *arg, struct exchange_batch *b);
	void *arg;
};

static void
accept_job_free(struct accept_job *a)
{
	free(a->envs);
	free(a->metas);
	free(a->objs);
	free(a->res);
	free(a);
}

void
exchange_batch_free(struct exchange_batch *b)
{
	if (b == NULL)
		return;
	free(b->receipts);
	free(b->seqs);
	free(b);
}

static int
grow_objs(struct accept_job *a)
{
	size_t cap = a->cap_objs ? a->cap_objs * 2 : 256;
	struct stix_meta *m = realloc(a->metas, cap * sizeof(*m));
	struct store_obj_in *o;

	if (m == NULL)
		return -LSN_ENOMEM;
	a->metas = m;
	o = realloc(a->objs, cap * sizeof(*o));
	if (o == NULL)
		return -LSN_ENOMEM;
	a->objs = o;
	a->cap_objs = cap;
	return 0;
}

/* One element of the bundle: kept if it is valid STIX 2.1, counted if not. */
static int
take_object(struct accept_job *a, struct in_env *ie, const char *s, const char *e)
{
	struct err err = ERR_INIT;
	json_t *obj = NULL;
	int r;

	if (a->n_objs == a->cap_objs && (r = grow_objs(a)) < 0)
		return r;
	if (stix_parse_object(s, (size_t)(e - s), &obj, &a->metas[a->n_objs], &err) < 0) {
		if (ie->refused_objs++ == 0)
			ex_log(a->ex, "object_refused", "\"partner\":\"%s\",\"seq\":%llu,"
			    "\"message\":\"%s\"", a->p.name, (unsigned long long)ie->v.h.seq,
			    "an object of the envelope is not valid STIX 2.1; it was not stored");
		return 0;
	}
	json_decref(obj);
	/* meta is pointed at once the arrays stopped growing (exchange_accept) */
	a->objs[a->n_objs].meta = NULL;
	a->objs[a->n_objs].body = s;
	a->objs[a->n_objs].len = (size_t)(e - s);
	a->n_objs++;
	ie->n_obj++;
	return 0;
}

/* The body of a share: a bundle whose "objects" are stored one by one. */
static int
scan_bundle(struct accept_job *a, struct in_env *ie, struct err *err)
{
	struct jscan js;
	const char *key, *s, *e;
	size_t klen, count = 0;
	int r, seen = 0;

	jscan_init(&js, (const char *)ie->v.body, ie->v.h.body_len, STIX_OBJECT_MAX_DEPTH + 2);
	if ((r = jscan_object_begin(&js, err)) < 0)
		return r;
	ie->first_obj = a->n_objs;
	while ((r = jscan_object_next(&js, &key, &klen, err)) == 1) {
		if (klen != 7 || memcmp(key, "objects", 7) != 0) {
			if ((r = jscan_value(&js, &s, &e, err)) < 0)
				return r;
			continue;
		}
		if (seen++)
			return err_set(err, LSN_EINVAL, "the bundle has the key 'objects' twice");
		if ((r = jscan_array_begin(&js, err)) < 0)
			return r;
		while ((r = jscan_array_next(&js, err)) == 1) {
			if ((r = jscan_value(&js, &s, &e, err)) < 0 ||
			    (r = take_object(a, ie, s, e)) < 0)
				return r;
			count++;
		}
		if (r < 0)
			return r;
	}
	if (r < 0 || (r = jscan_end(&js, err)) < 0)
		return r;
	if (!seen)
		return err_set(err, LSN_EINVAL, "the body of a share envelope has no 'objects' list");
	if (count != ie->v.h.items)
		return err_set(err, LSN_EINVAL,
		    "the header announces %u objects but the body holds %zu", ie->v.h.items, count);
	return 0;
}

static void
pre_refuse(struct accept_job *a, enum exchange_refusal why, uint64_t seq, const struct err *err)
{
	a->pre_refusal = why;
	a->pre_seq = seq;
	snprintf(a->pre_msg, sizeof(a->pre_msg), "%s", err->msg);
}

/* Checks one envelope that needs nothing from the store. */
static enum exchange_refusal
check_env(struct accept_job *a, struct in_env *ie, struct err *err)
{
	const struct env_view *v = &ie->v;

	if (memcmp(v->h.from, a->p.key_id, 32) != 0) {
		err_set(err, LSN_EDENIED, "envelope %llu is not from %s, the partner this "
		    "connection is pinned to", (unsigned long long)v->h.seq, a->p.name);
		return REFUSE_WRONG_SENDER;
	}
	if (memcmp(v->h.to, a->ex->key_id, 32) != 0) {
		err_set(err, LSN_EDENIED, "envelope %llu is addressed to another node",
		    (unsigned long long)v->h.seq);
		return REFUSE_WRONG_RECIPIENT;
	}
	if (env_verify(v, a->p.key, err) < 0)
		return REFUSE_BAD_SIGNATURE;
	if (v->h.seq == 0) {
		err_set(err, LSN_EINVAL, "sequence numbers start at 1");
		return REFUSE_MALFORMED;
	}
	if (v->h.kind != ENV_SHARE) {
		err_set(err, LSN_EINVAL, "envelope %llu is of kind '%s', which this node does not "
		    "accept yet", (unsigned long long)v->h.seq, env_kind_name(v->h.kind));
		return REFUSE_UNSUPPORTED;
	}
	if (scan_bundle(a, ie, err) < 0) {
		err_prefix(err, "envelope %llu: ", (unsigned long long)v->h.seq);
		return REFUSE_MALFORMED;
	}
	return REFUSE_NONE;
}

/* Decodes and checks the envelopes in order, up to the first refusal. */
static int
prepare(struct accept_job *a, const uint8_t *data, size_t len, struct err *err)
{
	size_t off = 0, used, cap = 0;
	struct err e2 = ERR_INIT;
	enum exchange_refusal why;

	while (off < len) {
		struct in_env *ie;
		if (a->n_envs == cap) {
			cap = cap ? cap * 2 : 8;
			ie = realloc(a->envs, cap * sizeof(*ie));
			if (ie == NULL)
				return err_set(err, LSN_ENOMEM, "exchange: out of memory");
			a->envs = ie;
		}
		ie = &a->envs[a->n_envs];
		memset(ie, 0, sizeof(*ie));
		if (env_decode(data + off, len - off, &ie->v, &used, &e2) < 0) {
			pre_refuse(a, REFUSE_MALFORMED, 0, &e2);
			break;
		}
		why = check_env(a, ie, &e2);
		if (why != REFUSE_NONE) {
			a->n_objs = ie->first_obj;
			pre_refuse(a, why, ie->v.h.seq, &e2);
			break;
		}
		a->n_envs++;
		off += used;
	}
	return 0;
}

static int
add_receipt(struct exchange_batch *b, uint64_t seq, const uint8_t *rc)
{
	memcpy(b->receipts[b->n_receipts], rc, RCPT_LEN);
	b->seqs[b->n_receipts] = seq;
	b->n_receipts++;
	return 0;
}

static int __attribute__((format(printf, 4, 5)))
refuse_in_job(struct exchange_batch *b, enum exchange_refusal why, uint64_t seq,
    const char *fmt, ...)
{
	va_list ap;

	b->refusal = why;
	b->refused_seq = seq;
	va_start(ap, fmt);
	vsnprintf(b->message, sizeof(b->message), fmt, ap);
	va_end(ap);
	return 1;
}

/* One envelope in the transaction: 1 = refused (stop), 0 = accepted, <0 = store error. */
static int
accept_one(struct store *s, struct accept_job *a, struct in_env *ie, uint64_t *expect)
{
	struct exchange_batch *b = a->b;
	struct store_envelope old, e = { 0 };
	struct rcpt rc = { 0 };
	uint8_t rbytes[RCPT_LEN];
	size_t i;
	int r;

	r = s->be->env_get(s, a->p.rowid, STORE_IN, ie->v.h.seq, 0, &old, &a->job.err);
	if (r == 0) {
		if (memcmp(old.id, ie->v.id, 32) != 0 || old.receipt_len != RCPT_LEN)
			return refuse_in_job(b, REFUSE_REPLAY, ie->v.h.seq, "sequence number %llu was "
			    "already used by another envelope", (unsigned long long)ie->v.h.seq);
		a->dups++;
		return add_receipt(b, ie->v.h.seq, old.receipt);
	}
	if (r != -LSN_ENOTFOUND)
		return r;
	if (ie->v.h.seq != *expect)
		return refuse_in_job(b, REFUSE_GAP, ie->v.h.seq, "expected sequence number %llu, "
		    "got %llu", (unsigned long long)*expect, (unsigned long long)ie->v.h.seq);
	if (ie->n_obj > 0 && (r = s->be->objects_add(s, a->p.inbox, &a->objs[ie->first_obj],
	    ie->n_obj, &a->res[ie->first_obj], &a->job.err)) < 0)
		return r;
	rc.sig_type = CX_SIGTYPE_ED25519;
	memcpy(rc.env_id, ie->v.id, 32);
	memcpy(rc.from, ie->v.h.from, 32);
	memcpy(rc.to, ie->v.h.to, 32);
	rc.seq = ie->v.h.seq;
	rc.time_us = clock_now_us();
	rc.refused = ie->refused_objs;
	for (i = 0; i < ie->n_obj; i++) {
		if (a->res[ie->first_obj + i].outcome == STORE_ADDED)
			rc.stored++;
		else
			rc.duplicate++;
	}
	if ((r = rcpt_seal(&rc, a->ex->cfg.key, rbytes, &a->job.err)) < 0)
		return r;
	e.partner = a->p.rowid;
	e.dir = STORE_IN;
	e.seq = ie->v.h.seq;
	memcpy(e.id, ie->v.id, 32);
	e.kind = ie->v.h.kind;
	e.items = ie->v.h.items;
	e.created_us = rc.time_us;
	e.bytes = ie->v.raw;
	e.len = ie->v.raw_len;
	e.receipt = rbytes;
	e.receipt_len = RCPT_LEN;
	e.receipt_us = rc.time_us;
	if ((r = s->be->env_put(s, &e, &a->job.err)) < 0)
		return r;
	(*expect)++;
	return add_receipt(b, ie->v.h.seq, rbytes);
}

static int
accept_run(struct store *s, struct writer_job *job)
{
	struct accept_job *a = (struct accept_job *)job;
	uint64_t last = 0, expect;
	size_t i;
	int r;

	if ((r = s->be->env_last(s, a->p.rowid, STORE_IN, &last, NULL, &job->err)) < 0)
		return r;
	expect = last + 1;
	for (i = 0; i < a->n_envs; i++) {
		r = accept_one(s, a, &a->envs[i], &expect);
		if (r != 0)
			return r < 0 ? r : 0;
	}
	/* hearing from the partner is contact too (partner list shows it) */
	if ((r = s->be->partner_health(s, a->p.rowid, clock_now_us(), NULL, 0, UINT64_MAX,
	    &job->err)) < 0)
		return r;
	if (a->pre_refusal != REFUSE_NONE) {
		a->b->refusal = a->pre_refusal;
		a->b->refused_seq = a->pre_seq;
		snprintf(a->b->message, sizeof(a->b->message), "%s", a->pre_msg);
	}
	return 0;
}

static void
accept_done(struct writer_job *job, int rc)
{
	struct accept_job *a = (struct accept_job *)job;
	struct exchange_batch *b = a->b;
	struct exchange *ex = a->ex;
	unsigned long long dups = a->dups, objs = 0;
	size_t i;

	if (rc < 0) {
		b->n_receipts = 0;
		b->refusal = REFUSE_STORE;
		b->refused_seq = a->n_envs ? a->envs[0].v.h.seq : a->pre_seq;
		snprintf(b->message, sizeof(b->message), "%s", job->err.msg);
		dups = 0;
	}
	for (i = 0; i < b->n_receipts && i < a->n_envs; i++)
		objs += a->envs[i].n_obj;
	pthread_mutex_lock(&ex->mu);
	ex->st.envelopes_received += b->n_receipts - dups;
	ex->st.envelopes_duplicate += dups;
	ex->st.objects_received += objs;
	for (i = 0; i < b->n_receipts && i < a->n_envs; i++)
		ex->st.objects_refused += a->envs[i].refused_objs;
	if (b->refusal != REFUSE_NONE)
		ex->st.refused[b->refusal]++;
	pthread_mutex_unlock(&ex->mu);
	if (b->refusal != REFUSE_NONE) {
		struct buf m = BUF_INIT(1024);
		buf_add_json_str(&m, b->message, strlen(b->message));
		ex_log(ex, "envelope_refused", "\"partner\":\"%s\",\"seq\":%llu,\"reason\":\"%s\","
		    "\"message\":%s", a->p.name, (unsigned long long)b->refused_seq,
		    exchange_refusal_name(b->refusal), m.data ? m.data : "\"\"");
		buf_release(&m);
	}
	if (dups > 0)
		ex_log(ex, "envelope_duplicate", "\"partner\":\"%s\",\"count\":%llu", a->p.name, dups);
	if (b->n_receipts > 0)
		exchange_heard_from(ex, a->p.rowid);
	a->done(a->arg, b);
	accept_job_free(a);
}

static int
find_partner(struct exchange *ex, int64_t partner, struct store_partner *ret)
{
	struct link *l;
	int r = -LSN_ENOTFOUND;

	pthread_mutex_lock(&ex->mu);
	for (l = ex->links; l != NULL; l = l->next) {
		if (l->p.rowid == partner) {
			*ret = l->p;
			r = 0;
			break;
		}
	}
	pthread_mutex_unlock(&ex->mu);
	return r;
}

int
exchange_accept(struct exchange *ex, int64_t partner, const uint8_t *data, size_t len,
    void (*done)(void *arg, struct exchange_batch *b), void *arg, struct err *err)
{
	struct accept_job *a = calloc(1, sizeof(*a));
	size_t n;
	int r;

	if (a == NULL)
		return err_set(err, LSN_ENOMEM, "exchange: out of memory");
	if ((r = find_partner(ex, partner, &a->p)) < 0) {
		free(a);
		return err_set(err, LSN_EDENIED, "this partner has been removed");
	}
	a->ex = ex;
	a->done = done;
	a->arg = arg;
	a->b = calloc(1, sizeof(*a->b));
	if (a->b == NULL || (r = prepare(a, data, len, err)) < 0)
		goto fail;
	for (n = 0; n < a->n_objs; n++)
		a->objs[n].meta = &a->metas[n];
	n = a->n_envs ? a->n_envs : 1;
	a->b->receipts = malloc(n * sizeof(*a->b->receipts));
	a->b->seqs = malloc(n * sizeof(*a->b->seqs));
	a->res = malloc((a->n_objs ? a->n_objs : 1) * sizeof(*a->res));
	if (a->b->receipts == NULL || a->b->seqs == NULL || a->res == NULL) {
		r = err_set(err, LSN_ENOMEM, "exchange: out of memory");
		goto fail;
	}
	a->job.run = accept_run;
	a->job.done = accept_done;
	a->job.weight = a->n_objs + a->n_envs;
	writer_submit(ex->cfg.w, &a->job);
	return 0;
fail:
	exchange_batch_free(a->b);
	accept_job_free(a);
	return r;
}
