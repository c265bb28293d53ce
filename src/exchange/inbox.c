/*
 * The inbox: envelopes a partner posted. Each is decoded and verified on
 * the calling (loop) thread and handed to the writer at once, so the writer
 * commits envelope n while the loop checks envelope n+1. In the writer, one
 * transaction per envelope holds the sequence check, its objects, the bytes
 * as received and the signed receipt: an envelope is never stored without
 * its objects or its receipt. A resent envelope (same seq, same id) gets the
 * receipt it got the first time; nothing is stored twice. The first refusal
 * stops the batch: the envelopes after it are not stored.
 */
#include "exchange/exchange_int.h"
#include "ledger/ledger.h"
#include "util/be.h"
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

struct accept_batch;

/* One envelope on its way through the writer. */
struct env_job {
	struct writer_job job;
	struct accept_batch *ab;
	struct env_job *next;
	struct env_view v;
	struct stix_meta *metas;
	struct store_obj_in *objs;
	struct store_obj_result *res;
	size_t n_obj, cap_obj;
	size_t n_seen;                /* elements of the bundle, valid or not */
	uint32_t refused_objs;
	/* objects the agreement does not let in: not stored, counted refused, logged */
	struct ex_refusal *policy_refused;
	size_t n_policy, cap_policy;
	uint8_t receipt[RCPT_LEN];
	int has_receipt;
	int duplicate;
};

/* The batch: shared by the loop (while it submits) and the writer. */
struct accept_batch {
	struct exchange *ex;
	struct store_partner p;       /* key, key_id, inbox, name */
	struct agreement terms;       /* the link's, when the batch arrived */
	const struct agr_dir *in;     /* partner -> this node */
	pthread_mutex_t mu;
	unsigned holds;               /* jobs not done, plus one while the loop submits */
	struct env_job *jobs, **tail;
	/* writer side, touched only by the writer thread */
	int stopped;                  /* a job refused or failed: later ones do nothing */
	uint64_t expect;              /* next seq, once known */
	int expect_known;
	enum exchange_refusal refusal;
	uint64_t refused_seq;
	char message[256];
	/* loop side: the batch being submitted, and the first envelope refused before the writer */
	const uint8_t *data;
	size_t len, off;
	uint64_t last;                /* seq of the last envelope submitted (0: none) */
	void (*defer)(void *ctx, void (*fn)(void *), void *arg);
	void *defer_arg;
	enum exchange_refusal pre_refusal;
	uint64_t pre_seq;
	char pre_msg[256];
	void (*done)(void *arg, struct exchange_batch *b);
	void *arg;
};

static void
env_job_free(struct env_job *j)
{
	if (j == NULL)
		return;
	free(j->policy_refused);
	free(j->metas);
	free(j->objs);
	free(j->res);
	free(j);
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
grow_objs(struct env_job *j)
{
	size_t cap = j->cap_obj ? j->cap_obj * 2 : 256;
	struct stix_meta *m = realloc(j->metas, cap * sizeof(*m));
	struct store_obj_in *o;

	if (m == NULL)
		return -LSN_ENOMEM;
	j->metas = m;
	o = realloc(j->objs, cap * sizeof(*o));
	if (o == NULL)
		return -LSN_ENOMEM;
	j->objs = o;
	j->cap_obj = cap;
	return 0;
}

/*
 * The ingress decision (after the envelope's signature was checked): 1 kept
 * out. It needs the type, the object's TLP and its granular markings, all
 * at hand in the tree the validator just built: no second pass over the
 * bytes on the loop.
 */
static int
border_in(struct env_job *j, const json_t *obj)
{
	const struct stix_meta *m = &j->metas[j->n_obj];
	struct policy_decision d;
	struct policy_obj o;
	struct ex_refusal *rf;
	const json_t *g;
	size_t i;

	memset(&o, 0, sizeof(o));
	snprintf(o.type, sizeof(o.type), "%s", m->type);
	snprintf(o.id, sizeof(o.id), "%s", m->id);
	o.tlp = m->tlp;
	json_array_foreach(json_object_get(obj, "granular_markings"), i, g) {
		const char *ref = json_string_value(json_object_get(g, "marking_ref"));
		enum stix_tlp t = ref ? stix_tlp_of_marking(ref) : STIX_TLP_NONE;
		if (t > o.granular_tlp)
			o.granular_tlp = t;
	}
	if (policy_ingress(j->ab->in, &o, &d) < 0 || d.rule == POLICY_ALLOW)
		return 0;
	if (j->n_policy == j->cap_policy) {
		size_t cap = j->cap_policy ? 2 * j->cap_policy : 16;
		struct ex_refusal *v = realloc(j->policy_refused, cap * sizeof(*v));
		if (v == NULL)
			return -LSN_ENOMEM;
		j->policy_refused = v;
		j->cap_policy = cap;
	}
	rf = &j->policy_refused[j->n_policy++];
	snprintf(rf->id, sizeof(rf->id), "%s", o.id);
	snprintf(rf->version, sizeof(rf->version), "%s", m->version);
	rf->rule = d.rule;
	snprintf(rf->reason, sizeof(rf->reason), "%s", d.reason);
	j->refused_objs++;
	return 1;
}

/* One element of the bundle: kept if it is valid STIX 2.1, counted if not. */
static int
take_object(void *arg, const char *s, const char *e)
{
	struct env_job *j = arg;
	struct err err = ERR_INIT;
	json_t *obj = NULL;
	int r;

	j->n_seen++;
	if (j->n_obj == j->cap_obj && (r = grow_objs(j)) < 0)
		return r;
	if (stix_parse_object(s, (size_t)(e - s), &obj, &j->metas[j->n_obj], &err) < 0) {
		if (j->refused_objs++ == 0) {
			struct buf m = BUF_INIT(1024);
			buf_add_json_str(&m, err.msg, strlen(err.msg));
			ex_log(j->ab->ex, "object_refused", "\"partner\":\"%s\",\"seq\":%llu,"
			    "\"message\":%s", j->ab->p.name, (unsigned long long)j->v.h.seq,
			    m.data ? m.data : "\"\"");
			buf_release(&m);
		}
		return 0;
	}
	/* case steps answer to the agreement's [hotline] terms, not to its types */
	r = j->v.h.kind == ENV_SHARE ? border_in(j, obj) : 0;
	json_decref(obj);
	if (r != 0)
		return r < 0 ? r : 0;
	j->objs[j->n_obj].body = s;
	j->objs[j->n_obj].len = (size_t)(e - s);
	j->n_obj++;
	return 0;
}

/* The body of a share: a bundle whose "objects" are stored one by one. */
static int
scan_bundle(struct env_job *j, struct err *err)
{
	size_t i;
	int r;

	r = jscan_each((const char *)j->v.body, j->v.h.body_len, STIX_OBJECT_MAX_DEPTH + 2,
	    "objects", "the bundle", take_object, j, err);
	if (r == -LSN_ENOMEM)
		return err_set(err, LSN_ENOMEM, "exchange: out of memory");
	if (r < 0)
		return r;
	if (j->n_seen != j->v.h.items)
		return err_set(err, LSN_EINVAL,
		    "the header announces %u objects but the body holds %zu", j->v.h.items, j->n_seen);
	/* the arrays stopped growing: point each object at its metadata */
	for (i = 0; i < j->n_obj; i++)
		j->objs[i].meta = &j->metas[i];
	j->res = malloc((j->n_obj ? j->n_obj : 1) * sizeof(*j->res));
	return j->res ? 0 : err_set(err, LSN_ENOMEM, "exchange: out of memory");
}

/* Checks one envelope that needs nothing from the store. */
static enum exchange_refusal
check_env(struct env_job *j, struct err *err)
{
	const struct env_view *v = &j->v;
	const struct accept_batch *ab = j->ab;

	if (memcmp(v->h.from, ab->p.key_id, 32) != 0) {
		err_set(err, LSN_EDENIED, "envelope %llu is not from %s, the partner this "
		    "connection is pinned to", (unsigned long long)v->h.seq, ab->p.name);
		return REFUSE_WRONG_SENDER;
	}
	if (memcmp(v->h.to, ab->ex->key_id, 32) != 0) {
		err_set(err, LSN_EDENIED, "envelope %llu is addressed to another node",
		    (unsigned long long)v->h.seq);
		return REFUSE_WRONG_RECIPIENT;
	}
	if (env_verify(v, ab->p.key, err) < 0)
		return REFUSE_BAD_SIGNATURE;
	if (v->h.kind != ENV_SHARE && ab->ex->cfg.on_case_envelope == NULL) {
		err_set(err, LSN_EINVAL, "envelope %llu is of kind '%s', which this node does not "
		    "accept yet", (unsigned long long)v->h.seq, env_kind_name(v->h.kind));
		return REFUSE_UNSUPPORTED;
	}
	if (scan_bundle(j, err) < 0) {
		err_prefix(err, "envelope %llu: ", (unsigned long long)v->h.seq);
		return err->code == LSN_ENOMEM ? REFUSE_STORE : REFUSE_MALFORMED;
	}
	return REFUSE_NONE;
}

/* ---- in the writer ---- */

static int __attribute__((format(printf, 4, 5)))
refuse(struct accept_batch *ab, enum exchange_refusal why, uint64_t seq, const char *fmt, ...)
{
	va_list ap;

	ab->stopped = 1;
	ab->refusal = why;
	ab->refused_seq = seq;
	va_start(ap, fmt);
	vsnprintf(ab->message, sizeof(ab->message), fmt, ap);
	va_end(ap);
	return 0;
}

static int
record_in_refusals(struct store *s, struct env_job *j)
{
	int r = ex_record_refusals(s, j->ab->p.rowid, STORE_IN, j->policy_refused, j->n_policy,
	    &j->job.err);

	if (r == 0 && j->n_policy > 0) {
		ex_count(j->ab->ex, &j->ab->ex->st.policy_refused_in, j->n_policy);
		ex_log(j->ab->ex, "policy_refused_in", "\"partner\":\"%s\",\"seq\":%llu,"
		    "\"count\":%zu", j->ab->p.name, (unsigned long long)j->v.h.seq, j->n_policy);
	}
	return r;
}

/* A new envelope: its objects, its receipt, and it, in this job's transaction. */
static int
store_new(struct store *s, struct env_job *j)
{
	struct accept_batch *ab = j->ab;
	struct store_envelope e = { 0 };
	struct rcpt rc = { 0 };
	uint8_t entry[ENV_ENTRY_LEN];
	uint64_t leaf;
	size_t i;
	int r;

	rc.time_us = clock_now_us();
	if (j->v.h.kind != ENV_SHARE) {
		struct err why = ERR_INIT;
		r = ab->ex->cfg.on_case_envelope(ab->ex->cfg.case_arg, s, &ab->p, &ab->terms.hotline,
		    j->v.h.kind, j->v.h.seq, j->v.body, j->v.h.body_len, rc.time_us, &why);
		if (r < 0) {
			j->job.err = why;
			return r;
		}
		if (r == 1) {
			/* kept as evidence, changes nothing: its objects are not stored */
			struct buf m = BUF_INIT(1024);
			buf_add_json_str(&m, why.msg, strlen(why.msg));
			ex_log(ab->ex, "case_step_refused", "\"partner\":\"%s\",\"seq\":%llu,"
			    "\"message\":%s", ab->p.name, (unsigned long long)j->v.h.seq,
			    m.data ? m.data : "\"\"");
			buf_release(&m);
			j->refused_objs += (uint32_t)j->n_obj;
			j->n_obj = 0;
		}
	}
	if (j->n_obj > 0 && (r = store_objects_add(s, ab->p.inbox, j->objs, j->n_obj, j->res,
	    &j->job.err)) < 0)
		return r;
	if ((r = record_in_refusals(s, j)) < 0)
		return r;
	/* logged before the receipt is signed: the receipt names the leaf */
	env_entry(&j->v, ENV_ENTRY_RECEIVED, rc.time_us, entry);
	if ((r = ledger_append(s, entry, sizeof(entry), &leaf, &j->job.err)) < 0)
		return r;
	rc.leaf = leaf;
	rc.sig_type = CX_SIGTYPE_ED25519;
	memcpy(rc.env_id, j->v.id, 32);
	memcpy(rc.from, j->v.h.from, 32);
	memcpy(rc.to, j->v.h.to, 32);
	rc.seq = j->v.h.seq;
	rc.refused = j->refused_objs;
	for (i = 0; i < j->n_obj; i++) {
		if (j->res[i].outcome == STORE_ADDED)
			rc.stored++;
		else
			rc.duplicate++;
	}
	if ((r = rcpt_seal(&rc, ab->ex->cfg.key, j->receipt, &j->job.err)) < 0)
		return r;
	e.partner = ab->p.rowid;
	e.dir = STORE_IN;
	e.seq = j->v.h.seq;
	memcpy(e.id, j->v.id, 32);
	e.kind = j->v.h.kind;
	e.items = j->v.h.items;
	e.created_us = rc.time_us;
	e.bytes = j->v.raw;
	e.len = j->v.raw_len;
	e.receipt = j->receipt;
	e.receipt_len = RCPT_LEN;
	e.receipt_us = rc.time_us;
	e.has_leaf = 1;
	e.leaf = leaf;
	if ((r = store_env_put(s, &e, &j->job.err)) < 0)
		return r;
	/* hearing from the partner is contact too (partner list shows it) */
	return store_partner_health(s, ab->p.rowid, rc.time_us, NULL, 0, UINT64_MAX, &j->job.err);
}

static int
env_job_run(struct store *s, struct writer_job *job)
{
	struct env_job *j = (struct env_job *)job;
	struct accept_batch *ab = j->ab;
	struct store_envelope old;
	uint64_t last = 0, seq = j->v.h.seq;
	int r;

	if (ab->stopped)
		return 0;
	if (!ab->expect_known) {
		if ((r = store_env_last(s, ab->p.rowid, STORE_IN, &last, NULL, &job->err)) < 0)
			goto failed;
		ab->expect = last + 1;
		ab->expect_known = 1;
	}
	r = store_env_get(s, ab->p.rowid, STORE_IN, seq, 0, &old, &job->err);
	if (r == 0) {
		if (memcmp(old.id, j->v.id, 32) != 0 || old.receipt_len != RCPT_LEN)
			return refuse(ab, REFUSE_REPLAY, seq, "sequence number %llu was already used "
			    "by another envelope", (unsigned long long)seq);
		memcpy(j->receipt, old.receipt, RCPT_LEN);
		j->has_receipt = j->duplicate = 1;
		return 0;
	}
	if (r != -LSN_ENOTFOUND)
		goto failed;
	if (seq != ab->expect)
		return refuse(ab, REFUSE_GAP, seq, "expected sequence number %llu, got %llu",
		    (unsigned long long)ab->expect, (unsigned long long)seq);
	if ((r = store_new(s, j)) < 0)
		goto failed;
	j->has_receipt = 1;
	ab->expect++;
	return 0;
failed:
	/* this job rolls back; the ones after it must not run on a wrong expectation */
	ab->stopped = 1;
	ab->expect_known = 0;
	return r;
}

/* ---- completion ---- */

static void
count_and_log(struct accept_batch *ab, struct exchange_batch *b, unsigned long long dups,
    unsigned long long objs, unsigned long long bad_objs)
{
	struct exchange *ex = ab->ex;

	pthread_mutex_lock(&ex->mu);
	ex->st.envelopes_received += b->n_receipts - dups;
	ex->st.envelopes_duplicate += dups;
	ex->st.objects_received += objs;
	ex->st.objects_refused += bad_objs;
	if (b->refusal != REFUSE_NONE)
		ex->st.refused[b->refusal]++;
	pthread_mutex_unlock(&ex->mu);
	if (b->refusal != REFUSE_NONE) {
		struct buf m = BUF_INIT(1024);
		buf_add_json_str(&m, b->message, strlen(b->message));
		ex_log(ex, "envelope_refused", "\"partner\":\"%s\",\"seq\":%llu,\"reason\":\"%s\","
		    "\"message\":%s", ab->p.name, (unsigned long long)b->refused_seq,
		    exchange_refusal_name(b->refusal), m.data ? m.data : "\"\"");
		buf_release(&m);
	}
	if (dups > 0)
		ex_log(ex, "envelope_duplicate", "\"partner\":\"%s\",\"count\":%llu", ab->p.name, dups);
}

/* Every job is done: the receipts in order, and the first refusal. */
static void
finish(struct accept_batch *ab)
{
	struct exchange_batch *b = calloc(1, sizeof(*b));
	unsigned long long dups = 0, objs = 0, bad = 0;
	struct env_job *j, *next;
	size_t n = 0;

	for (j = ab->jobs; j != NULL; j = j->next)
		n++;
	if (b != NULL) {
		b->receipts = malloc((n ? n : 1) * sizeof(*b->receipts));
		b->seqs = malloc((n ? n : 1) * sizeof(*b->seqs));
	}
	if (b == NULL || b->receipts == NULL || b->seqs == NULL) {
		/* nothing to answer with: the partner times out and resends, which is safe */
		exchange_batch_free(b);
		b = NULL;
	}
	for (j = ab->jobs; j != NULL && b != NULL && j->has_receipt; j = j->next) {
		memcpy(b->receipts[b->n_receipts], j->receipt, RCPT_LEN);
		b->seqs[b->n_receipts++] = j->v.h.seq;
		dups += j->duplicate;
		objs += j->duplicate ? 0 : j->n_obj;
		bad += j->duplicate ? 0 : j->refused_objs;
	}
	if (b != NULL) {
		b->refusal = ab->refusal != REFUSE_NONE ? ab->refusal : ab->pre_refusal;
		b->refused_seq = ab->refusal != REFUSE_NONE ? ab->refused_seq : ab->pre_seq;
		snprintf(b->message, sizeof(b->message), "%s",
		    ab->refusal != REFUSE_NONE ? ab->message : ab->pre_msg);
		count_and_log(ab, b, dups, objs, bad);
		if (b->n_receipts > 0)
			exchange_heard_from(ab->ex, ab->p.rowid);
	}
	for (j = ab->jobs; j != NULL; j = next) {
		next = j->next;
		env_job_free(j);
	}
	ab->done(ab->arg, b);
	pthread_mutex_destroy(&ab->mu);
	free(ab);
}

static void
release(struct accept_batch *ab)
{
	unsigned left;

	pthread_mutex_lock(&ab->mu);
	left = --ab->holds;
	pthread_mutex_unlock(&ab->mu);
	if (left == 0)
		finish(ab);
}

static void
env_job_done(struct writer_job *job, int rc)
{
	struct env_job *j = (struct env_job *)job;
	struct accept_batch *ab = j->ab;

	if (rc < 0) {
		/* the commit failed: nothing of this job is stored, and the batch stops here */
		j->has_receipt = 0;
		ab->stopped = 1;
		ab->expect_known = 0;
		if (ab->refusal == REFUSE_NONE) {
			ab->refusal = REFUSE_STORE;
			ab->refused_seq = j->v.h.seq;
			snprintf(ab->message, sizeof(ab->message), "%s", job->err.msg);
		}
	}
	release(ab);
}

/* ---- on the loop ---- */

static void
pre_refuse(struct accept_batch *ab, enum exchange_refusal why, uint64_t seq, const struct err *err)
{
	ab->pre_refusal = why;
	ab->pre_seq = seq;
	snprintf(ab->pre_msg, sizeof(ab->pre_msg), "%s", err->msg);
}

/*
 * Decodes, checks and submits the next envelope of the batch: 1 if there is
 * more to do, 0 when the batch is done (all submitted, or a refusal).
 */
static int
submit_next(struct accept_batch *ab)
{
	struct err err = ERR_INIT;
	enum exchange_refusal why;
	struct env_job *j;
	size_t used;

	if (ab->off >= ab->len)
		return 0;
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		err_set(&err, LSN_ENOMEM, "out of memory");
		pre_refuse(ab, REFUSE_STORE, 0, &err);
		return 0;
	}
	j->ab = ab;
	if (env_decode(ab->data + ab->off, ab->len - ab->off, &j->v, &used, &err) < 0) {
		pre_refuse(ab, REFUSE_MALFORMED, 0, &err);
		env_job_free(j);
		return 0;
	}
	if ((why = check_env(j, &err)) != REFUSE_NONE) {
		pre_refuse(ab, why, j->v.h.seq, &err);
		env_job_free(j);
		return 0;
	}
	ab->last = j->v.h.seq;
	j->job.run = env_job_run;
	j->job.done = env_job_done;
	j->job.weight = j->n_obj + 1;
	/* linked before submitting: finish() may run as soon as the writer is done */
	*ab->tail = j;
	ab->tail = &j->next;
	pthread_mutex_lock(&ab->mu);
	ab->holds++;
	pthread_mutex_unlock(&ab->mu);
	writer_submit(ab->ex->cfg.w, &j->job);
	ab->off += used;
	return ab->off < ab->len;
}

/* The seq of the first envelope of a batch, read from its header (0: none). */
static uint64_t
first_seq(const uint8_t *data, size_t len)
{
	if (len < ENV_HEADER_LEN || memcmp(data, ENV_MAGIC, 4) != 0)
		return 0;
	return be64_get(data + 72);
}

static struct link *
link_of(struct exchange *ex, int64_t partner)
{
	struct link *l;

	pthread_mutex_lock(&ex->mu);
	l = ex_link_find(ex, partner);
	pthread_mutex_unlock(&ex->mu);
	return l;
}

static void unpark(struct exchange *ex, struct link *l, int force);

/*
 * One envelope per turn of the loop: a batch of megabytes never holds the
 * loop for more than one envelope's checks, so TAXII clients are answered
 * in between. Other batches of the same partner wait (parked) until this
 * one is submitted, so the writer sees its envelopes in order.
 */
static void
step(void *arg)
{
	struct accept_batch *ab = arg;
	struct exchange *ex = ab->ex;
	struct link *l;
	int64_t partner = ab->p.rowid;
	uint64_t last;

	if (submit_next(ab)) {
		ab->defer(ab->defer_arg, step, ab);
		return;
	}
	last = ab->last;
	release(ab); /* may finish and free ab */
	/* the link may have been stopped (partner removed) while we went */
	if ((l = link_of(ex, partner)) == NULL)
		return;
	if (last != 0)
		l->in_next = last + 1;
	l->submitting = 0;
	unpark(ex, l, 0);
}

static int
accept_now(struct exchange *ex, struct link *l, const struct accept_req *rq, struct err *err)
{
	struct accept_batch *ab = calloc(1, sizeof(*ab));

	if (ab == NULL)
		return err_set(err, LSN_ENOMEM, "exchange: out of memory");
	ab->p = l->p;
	ab->ex = ex;
	pthread_mutex_lock(&l->mu);
	ab->terms = l->agr;
	pthread_mutex_unlock(&l->mu);
	ab->in = agreement_dir_const(&ab->terms, l->p.name);
	if (ab->in == NULL) {
		free(ab);
		return err_set(err, LSN_EDENIED, "the agreement with %s does not name it", l->p.name);
	}
	ab->data = rq->data;
	ab->len = rq->len;
	ab->done = rq->done;
	ab->arg = rq->arg;
	ab->defer = rq->defer;
	ab->defer_arg = rq->defer_arg;
	ab->tail = &ab->jobs;
	ab->holds = 1; /* ours, until every envelope is submitted */
	pthread_mutex_init(&ab->mu, NULL);
	l->submitting = 1;
	step(ab);
	return 0;
}

/* A parked batch whose predecessor was submitted (or that waited long enough) runs now. */
static void
unpark(struct exchange *ex, struct link *l, int force)
{
	struct accept_req rq = l->parked;
	struct err err = ERR_INIT;

	if (!l->has_parked || l->submitting ||
	    (!force && first_seq(rq.data, rq.len) > l->in_next))
		return;
	l->has_parked = 0;
	if (accept_now(ex, l, &rq, &err) < 0)
		rq.done(rq.arg, NULL);
}

int
exchange_accept(struct exchange *ex, int64_t partner, const struct accept_req *rq,
    struct err *err)
{
	struct link *l = link_of(ex, partner);
	uint64_t first = first_seq(rq->data, rq->len);

	if (l == NULL)
		return err_set(err, LSN_EDENIED, "this partner has been removed");
	/*
	 * A sender keeps two batches in flight on two connections, and the
	 * second may arrive first: it waits here (at most PARK_MAX_MS) until
	 * the one before it is submitted, rather than be refused as a gap. A
	 * batch that arrives while another of the partner is being submitted
	 * waits for it too.
	 */
	if ((l->submitting || (l->in_next != 0 && first > l->in_next)) && !l->has_parked) {
		l->parked = *rq;
		l->parked_since_us = clock_now_us();
		l->has_parked = 1;
		return 0;
	}
	return accept_now(ex, l, rq, err);
}

void
ex_unpark_due(struct exchange *ex, int64_t now_us)
{
	struct link *l;

	for (l = ex->links; l != NULL; l = l->next)
		if (l->has_parked && now_us - l->parked_since_us > (int64_t)PARK_MAX_MS * 1000)
			unpark(ex, l, 1);
}

void
exchange_unpark_all(struct exchange *ex, struct link *l)
{
	/* the partner is going away: its waiting batch is answered "send again" */
	if (l->has_parked) {
		l->has_parked = 0;
		l->parked.done(l->parked.arg, NULL);
	}
}
