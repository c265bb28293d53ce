/*
 * The packer of one link: objects added to the collections shared with the
 * partner are packed, in date_added order, into share envelopes (a STIX
 * bundle of the exact bytes stored), signed and stored in the outbox
 * together with the new share cursors, in one transaction. A crash before
 * the commit leaves the cursors where they were, so the same objects are
 * packed again with the same sequence numbers: no seq is ever signed twice
 * with different content and nothing is skipped.
 */
#include "exchange/exchange_int.h"
#include "ledger/ledger.h"
#include "policy/policy.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jscan.h"
#include "util/ts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PACK_ENVS_MAX 1               /* envelopes per outbox commit: the sender starts at once */

struct packed {
	uint8_t *bytes;
	size_t len;
	uint8_t id[ENV_ID_LEN];
	uint64_t seq;
	uint32_t items;
	int64_t created_us;
	int64_t coll, cursor_us;      /* the share's cursor once this envelope is stored (coll 0: none) */
	int kind;                     /* enum env_kind */
	int64_t step;                 /* a case step's rowid (0: a share) */
	uint8_t entry[ENV_ENTRY_LEN]; /* its ledger entry, appended with it */
};

#define REFUSALS_MAX 512              /* per round: more end the round early */

struct pack_job {
	struct ex_sync sync;
	struct link *l;
	struct packed env[PACK_ENVS_MAX];
	size_t n;
	/* shares whose cursor moved past objects that did not go (no envelope of theirs) */
	int64_t skip_coll[PACK_ENVS_MAX + 8], skip_cursor[PACK_ENVS_MAX + 8];
	size_t n_skip;
	struct ex_refusal *refusals;  /* REFUSALS_MAX, recorded with the round that skipped them */
	size_t n_refusals;
};

static int
pack_run(struct store *s, struct writer_job *job)
{
	struct pack_job *pj = (struct pack_job *)job;
	struct store_envelope e;
	uint64_t leaf;
	size_t i;
	int r;

	for (i = 0; i < pj->n; i++) {
		const struct packed *p = &pj->env[i];
		/* the leaf in the same transaction: never an envelope without it, nor the reverse */
		if ((r = ledger_append(s, p->entry, sizeof(p->entry), &leaf, &job->err)) < 0)
			return r;
		memset(&e, 0, sizeof(e));
		e.has_leaf = 1;
		e.leaf = leaf;
		e.partner = pj->l->p.rowid;
		e.dir = STORE_OUT;
		e.seq = p->seq;
		memcpy(e.id, p->id, sizeof(e.id));
		e.kind = p->kind;
		e.items = p->items;
		e.created_us = p->created_us;
		e.bytes = p->bytes;
		e.len = p->len;
		if ((r = store_env_put(s, &e, &job->err)) < 0)
			return r;
		if (p->step != 0 && (r = store_step_packed(s, p->step, p->seq, &job->err)) < 0)
			return r;
		/* envelopes of one share are in cursor order: the last one wins */
		if (p->coll != 0 && (r = store_share_set_cursor(s, e.partner, p->coll, p->cursor_us,
		    &job->err)) < 0)
			return r;
	}
	/* objects kept home after the last envelope: the cursor passes them too */
	for (i = 0; i < pj->n_skip; i++)
		if ((r = store_share_set_cursor(s, pj->l->p.rowid, pj->skip_coll[i],
		    pj->skip_cursor[i], &job->err)) < 0)
			return r;
	return ex_record_refusals(s, pj->l->p.rowid, STORE_OUT, pj->refusals, pj->n_refusals,
	    &job->err);
}

#define REF_MEMO_SLOTS 4096

/* Bodies being filled: one bundle, closed and sealed when full. */
struct filler {
	struct link *l;
	struct buf body;
	uint32_t items;
	int64_t last_us;              /* date_added of the last object in the body */
	size_t max_bytes;
	int full;
	int oversized;                /* one object alone does not fit an envelope */
	/* the border (docs/agreements.md) */
	struct pack_job *pj;          /* where refusals go */
	struct store *rd;
	struct agreement terms;       /* the link's, copied at the start of a round */
	const struct agr_dir *out;    /* this node -> the partner */
	const struct agr_dir *origin; /* the third partner -> this node, for an inbox share */
	int listed;                   /* the share's collection is in the agreement's list */
	struct agreement origin_terms;
	struct store_share *shares;   /* where a relationship's ends are looked for */
	size_t n_shares;
	unsigned long long kept_home;
	/*
	 * Decisions on ids taken this round (objects packed or kept home, ends
	 * looked up): ATT&CK's 20,000 relationships point at a few thousand
	 * objects. Cleared every round, so a new version is decided afresh.
	 */
	struct ref_memo {
		char id[STIX_ID_MAX + 1];
		int allowed;
	} memo[REF_MEMO_SLOTS];
};

struct ref_hit {
	int found, allowed;
	const struct filler *f;
};

/* The end itself, decided without looking further (its own ends are its own matter). */
static int
ref_row(void *arg, const struct store_row *row)
{
	struct ref_hit *hit = arg;
	struct policy_decision d;
	struct policy_obj o;
	struct err err = ERR_INIT;

	hit->found = 1;
	if (policy_scan(row->body, row->len, NULL, &o, &err) == 0 &&
	    policy_egress(hit->f->out, hit->f->origin, &o, NULL, NULL, &d, &err) == 0)
		hit->allowed = d.rule == POLICY_ALLOW;
	return 0;
}

static struct ref_memo *
memo_slot(struct filler *f, const char *id)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *id; id++)
		h = (h ^ (uint8_t)*id) * 1099511628211ULL;
	return &f->memo[h % REF_MEMO_SLOTS];
}

static void
memo_put(struct filler *f, const char *id, int allowed)
{
	struct ref_memo *m = memo_slot(f, id);

	snprintf(m->id, sizeof(m->id), "%s", id);
	m->allowed = allowed;
}

/* A relationship's or sighting's end may go if it is shared with the partner and allowed. */
static int
ref_ok(void *arg, const char *id)
{
	struct filler *f = arg;
	struct store_query q;
	struct ref_hit hit = { 0, 0, f };
	struct ref_memo *m = memo_slot(f, id);
	size_t i;
	int more, r;

	if (strcmp(m->id, id) == 0)
		return m->allowed;
	for (i = 0; i < f->n_shares && !hit.found; i++) {
		memset(&q, 0, sizeof(q));
		q.coll = f->shares[i].coll;
		q.ids[0] = id;
		q.n_ids = 1;
		q.ver_flags = STORE_VER_LAST;
		q.limit = 1;
		r = store_objects_query(f->rd, &q, 1, ref_row, &hit, &more, NULL);
		if (r < 0)
			return r;
	}
	memo_put(f, id, hit.allowed);
	return hit.allowed;
}

/* The egress decision for one row; a refusal is kept for the policy log. */
static int
border(struct filler *f, const struct store_row *row, struct policy_decision *d)
{
	struct pack_job *pj = f->pj;
	struct err err = ERR_INIT;
	struct policy_obj o;
	struct ex_refusal *rf;
	int r;

	if (policy_scan(row->body, row->len, f->out, &o, &err) < 0) {
		/* e.g. a sighting with more refs than a decision looks at: it stays home */
		memset(d, 0, sizeof(*d));
		d->rule = POLICY_REF;
		snprintf(d->reason, sizeof(d->reason), "%s cannot be decided: %s", row->id, err.msg);
	} else if ((r = policy_egress(f->out, f->origin, &o, ref_ok, f, d, &err)) < 0) {
		return r;
	}
	if (d->rule == POLICY_ALLOW)
		return 0;
	if (pj->n_refusals == REFUSALS_MAX) {
		f->full = 1;                  /* this round ends here; the next records the rest */
		return -LSN_ETOOBIG;
	}
	f->kept_home++;
	rf = &pj->refusals[pj->n_refusals++];
	snprintf(rf->id, sizeof(rf->id), "%s", row->id);
	snprintf(rf->version, sizeof(rf->version), "%s", row->version ? row->version : "");
	rf->rule = d->rule;
	snprintf(rf->reason, sizeof(rf->reason), "%s", d->reason);
	return 0;
}

static int
filler_row(void *arg, const struct store_row *row)
{
	struct filler *f = arg;
	struct policy_decision d;
	struct err err = ERR_INIT;
	int r;

	if (f->items > 0 && f->body.len + row->len + 3 > f->max_bytes) {
		f->full = 1;
		return -LSN_ETOOBIG;
	}
	if (row->len + 64 > ENV_BODY_MAX) {
		/* cannot be shared in one envelope: skipped, and said loudly */
		f->oversized++;
		f->last_us = row->date_added_us;
		return 0;
	}
	if ((r = border(f, row, &d)) < 0)
		return r;
	memo_put(f, row->id, d.rule == POLICY_ALLOW);
	if (d.rule != POLICY_ALLOW) {
		f->last_us = row->date_added_us;
		return 0;
	}
	if (f->items > 0 && buf_addc(&f->body, ',') < 0)
		return -LSN_ENOMEM;
	/* stripped before signing: the partner receives (and stores) the bytes without them */
	if (d.strip ? policy_strip(row->body, row->len, f->out, &f->body, &err) < 0 :
	    buf_add(&f->body, row->body, row->len) < 0)
		return -LSN_ENOMEM;
	f->items++;
	f->last_us = row->date_added_us;
	return 0;
}

static int
bundle_open(struct buf *b)
{
	char uuid[CX_UUID_LEN];
	int r;

	buf_reset(b);
	if ((r = cx_uuid4(uuid)) < 0)
		return r;
	return buf_printf(b, "{\"type\":\"bundle\",\"id\":\"bundle--%s\",\"objects\":[", uuid);
}

/* Signs body as the link's next envelope, of kind, holding items objects. */
static int
seal_body(struct link *l, int kind, const uint8_t *body, size_t len, uint32_t items,
    struct packed *p, uint64_t seq, struct err *err)
{
	struct exchange *ex = l->ex;
	struct env_header h = { 0 };
	struct env_view v = { 0 };
	size_t cap;
	int r;

	h.kind = (uint8_t)kind;
	memcpy(h.from, ex->key_id, 32);
	memcpy(h.to, l->p.key_id, 32);
	h.seq = seq;
	h.time_us = clock_now_us();
	h.items = items;
	cap = ENV_HEADER_LEN + len + ENV_SIG_LEN;
	p->bytes = malloc(cap);
	if (p->bytes == NULL)
		return err_set(err, LSN_ENOMEM, "exchange: out of memory");
	if ((r = env_seal(&h, body, len, ex->cfg.key, p->bytes, cap, &p->len, p->id, err)) < 0)
		return r;
	v.header = p->bytes;
	v.sig = p->bytes + p->len - ENV_SIG_LEN;
	env_entry(&v, ENV_ENTRY_SENT, h.time_us, p->entry);
	p->seq = seq;
	p->items = items;
	p->created_us = h.time_us;
	p->kind = kind;
	p->step = 0;
	p->coll = 0;
	return 0;
}

/* Seals the filled bundle as the link's next share envelope. */
static int
seal(struct link *l, struct filler *f, struct packed *p, int64_t coll, uint64_t seq,
    struct err *err)
{
	int r;

	if ((r = buf_adds(&f->body, "]}")) < 0)
		return err_set(err, -r, "exchange: an envelope body outgrew its cap");
	if ((r = seal_body(l, ENV_SHARE, (const uint8_t *)f->body.data, f->body.len, f->items, p,
	    seq, err)) < 0)
		return r;
	p->coll = coll;
	p->cursor_us = f->last_us;
	return 0;
}

/* ---- hotline steps: each queued step is one envelope of its own kind ---- */

struct step_pack {
	struct link *l;
	struct pack_job *pj;
	uint64_t *seq;
	struct err *err;
};

static int
count_object(void *arg, const char *s, const char *e)
{
	(*(uint32_t *)arg)++;
	return 0;
}

static int
pack_step(void *arg, const struct store_step *x)
{
	struct step_pack *sp = arg;
	struct packed *p = &sp->pj->env[sp->pj->n];
	uint32_t items = 0;
	int r;

	if ((r = jscan_each((const char *)x->body, x->len, STIX_OBJECT_MAX_DEPTH + 2, "objects",
	    "a case step", count_object, &items, sp->err)) < 0)
		return r;
	if ((r = seal_body(sp->l, x->env_kind, x->body, x->len, items, p, *sp->seq + 1,
	    sp->err)) < 0)
		return r;
	p->step = x->rowid;
	sp->pj->n++;
	(*sp->seq)++;
	return 0;
}

/* Queued case steps go before shares: a notification does not wait behind a feed. */
static int
pack_steps(struct link *l, struct store *rd, struct pack_job *pj, uint64_t *seq,
    struct err *err)
{
	struct step_pack sp = { l, pj, seq, err };

	if (pj->n >= PACK_ENVS_MAX)
		return 0;
	return store_step_queued(rd, l->p.rowid, PACK_ENVS_MAX - pj->n, pack_step, &sp, err);
}

/*
 * An inbox shared onward (objects received from a third partner X): X's
 * terms for what it sent decide whether its objects may go on.
 */
static int
share_origin(const char *dir, const char *self, struct store *rd, int64_t coll,
    struct filler *f, struct err *err)
{
	struct store_collection *cs = NULL;
	struct store_partner x;
	size_t i, j, n = 0;
	int64_t owner = 0;
	int exists, r;

	f->origin = NULL;
	f->listed = f->out != NULL && f->out->n_collections == 0;
	if ((r = store_coll_list(rd, &cs, &n, err)) < 0)
		return r;
	for (i = 0; i < n; i++) {
		if (cs[i].rowid != coll)
			continue;
		owner = cs[i].partner;
		/* the agreement names what is shared: a share it does not list stays home */
		for (j = 0; f->out != NULL && j < f->out->n_collections; j++)
			if (strcmp(f->out->collections[j], cs[i].title) == 0 ||
			    strcmp(f->out->collections[j], cs[i].id) == 0)
				f->listed = 1;
	}
	free(cs);
	if (owner == 0)
		return 0;
	if ((r = store_partner_get(rd, owner, &x, err)) < 0 ||
	    (r = exchange_agreement_load(dir, self, x.name, &f->origin_terms, &exists, err)) < 0)
		return r;
	f->origin = agreement_dir_const(&f->origin_terms, x.name);
	return 0;
}

/*
 * Packs one share into as many envelopes as fit the job: returns 1 if the
 * share may hold more objects than were packed.
 */
static int
pack_share(struct link *l, struct store *rd, const struct store_share *sh, struct pack_job *pj,
    uint64_t *seq, struct filler *f, struct err *err)
{
	const struct exchange_config *cfg = &l->ex->cfg;
	struct store_query q;
	int64_t cursor = sh->cursor_us;
	int more = 0, r;

	if ((r = share_origin(cfg->agreements_dir, cfg->node_name, rd, sh->coll, f, err)) < 0)
		return r;
	if (!f->listed)
		return 0;
	while (pj->n < PACK_ENVS_MAX) {
		memset(&q, 0, sizeof(q));
		q.coll = sh->coll;
		q.after_us = cursor;
		q.ver_flags = STORE_VER_ALL;
		q.limit = cfg->envelope_objects;
		f->items = 0;
		f->full = 0;
		f->last_us = cursor;
		if ((r = bundle_open(&f->body)) < 0)
			return err_set(err, -r, "exchange: cannot start an envelope body");
		more = 0;
		r = store_objects_query(rd, &q, 1, filler_row, f, &more, err);
		if (r < 0 && !(r == -LSN_ETOOBIG && f->full))
			return r;
		more = more || f->full;
		if (f->items > 0) {
			if ((r = seal(l, f, &pj->env[pj->n], sh->coll, *seq + 1, err)) < 0)
				return r;
			pj->n++;
			(*seq)++;
		} else if (f->last_us != cursor && pj->n_skip < sizeof(pj->skip_coll) /
		    sizeof(pj->skip_coll[0])) {
			/* nothing of this window may go: the cursor still moves past it */
			pj->skip_coll[pj->n_skip] = sh->coll;
			pj->skip_cursor[pj->n_skip++] = f->last_us;
		} else if (f->last_us != cursor) {
			break;
		}
		if (f->last_us == cursor || !more)
			break;
		cursor = f->last_us;
	}
	return more;
}

static void
pack_job_release(struct pack_job *pj)
{
	size_t i;

	for (i = 0; i < pj->n; i++)
		free(pj->env[i].bytes);
	pj->n = 0;
	pj->n_skip = 0;
	pj->n_refusals = 0;
}

/* One round: returns 1 if more objects wait, 0 if all are packed, <0 on failure. */
static int
pack_round(struct link *l, struct store *rd, struct pack_job *pj, struct filler *f,
    struct err *err)
{
	struct exchange *ex = l->ex;
	struct store_share *shares = NULL;
	size_t i, n = 0, objs = 0;
	uint64_t seq = l->committed_seq;
	int more = 0, r;

	if ((r = store_share_list(rd, l->p.rowid, &shares, &n, err)) < 0)
		return r;
	pthread_mutex_lock(&l->mu);
	f->terms = l->agr;
	pthread_mutex_unlock(&l->mu);
	f->out = agreement_dir_const(&f->terms, ex->cfg.node_name);
	if (f->out == NULL) {
		r = err_set(err, LSN_EINVAL, "the agreement with %s does not name this node",
		    l->p.name);
		goto out;
	}
	f->pj = pj;
	f->rd = rd;
	f->shares = shares;
	f->n_shares = n;
	memset(f->memo, 0, sizeof(f->memo));
	if ((r = pack_steps(l, rd, pj, &seq, err)) < 0)
		goto out;
	if (pj->n >= PACK_ENVS_MAX)
		more = 1;   /* more steps may wait: another round */
	for (i = 0; i < n && pj->n < PACK_ENVS_MAX; i++) {
		if ((r = pack_share(l, rd, &shares[i], pj, &seq, f, err)) < 0)
			goto out;
		more |= r;
	}
	more |= i < n;
	if (pj->n == 0 && pj->n_skip == 0 && pj->n_refusals == 0)
		goto out;
	memset(&pj->sync.job, 0, sizeof(pj->sync.job));
	pj->sync.job.run = pack_run;
	pj->sync.job.weight = pj->n;
	if ((r = ex_write_sync(ex, &pj->sync)) < 0) {
		*err = pj->sync.job.err;
		goto out;
	}
	for (i = 0; i < pj->n; i++)
		objs += pj->env[i].items;
	pthread_mutex_lock(&l->mu);
	l->committed_seq = seq;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
	pthread_mutex_lock(&ex->mu);
	ex->st.envelopes_packed += pj->n;
	ex->st.objects_packed += objs;
	pthread_mutex_unlock(&ex->mu);
out:
	pack_job_release(pj);
	f->shares = NULL;
	free(shares);
	return r < 0 ? r : more;
}

/* What a round skipped: too big for an envelope, or kept home at the border. */
static void
report(struct link *l, struct filler *f)
{
	if (f->oversized) {
		ex_log(l->ex, "object_too_big", "\"partner\":\"%s\",\"count\":%d", l->p.name,
		    f->oversized);
		f->oversized = 0;
	}
	if (f->kept_home) {
		ex_count(l->ex, &l->ex->st.policy_kept_home, f->kept_home);
		ex_log(l->ex, "policy_kept_home", "\"partner\":\"%s\",\"count\":%llu", l->p.name,
		    f->kept_home);
		f->kept_home = 0;
	}
}

static int
wait_for_work(struct link *l)
{
	int stop;

	pthread_mutex_lock(&l->mu);
	while (!l->stopping && !l->pack_wanted)
		pthread_cond_wait(&l->cv, &l->mu);
	l->pack_wanted = 0;
	/* let a burst of adds gather into full envelopes */
	if (!l->stopping && l->ex->cfg.pack_delay_ms > 0)
		link_wait_ms(l, l->ex->cfg.pack_delay_ms);
	stop = l->stopping;
	pthread_mutex_unlock(&l->mu);
	return stop;
}

void *
link_packer_main(void *arg)
{
	struct link *l = arg;
	struct exchange *ex = l->ex;
	struct err err = ERR_INIT;
	struct store *rd = NULL;
	struct pack_job *pj = calloc(1, sizeof(*pj));
	struct filler *f = calloc(1, sizeof(*f));   /* large: two agreements */
	int r;

	if (pj == NULL || f == NULL || (pj->refusals = calloc(REFUSALS_MAX,
	    sizeof(*pj->refusals))) == NULL || store_open(ex->cfg.store_spec, 0, &rd, &err) < 0) {
		ex_log(ex, "link_error", "\"partner\":\"%s\",\"message\":\"the packer cannot start "
		    "(memory or store)\"", l->p.name);
		goto out;
	}
	f->l = l;
	pj->l = l;
	buf_init(&f->body, ENV_BODY_MAX);
	f->max_bytes = ex->cfg.envelope_bytes < ENV_BODY_MAX - 64 ? ex->cfg.envelope_bytes :
	    ENV_BODY_MAX - 64;
	while (!wait_for_work(l)) {
		do {
			r = pack_round(l, rd, pj, f, &err);
			report(l, f);
		} while (r > 0 && !l->stopping);
		if (r < 0) {
			ex_log_msg(ex, "pack_failed", l->p.name, err.msg);
			pthread_mutex_lock(&l->mu);
			l->pack_wanted = 1;   /* try again after a pause */
			link_wait_ms(l, ex->cfg.retry_min_ms);
			pthread_mutex_unlock(&l->mu);
		}
	}
out:
	if (f != NULL)
		buf_release(&f->body);
	free(f);
	if (pj != NULL)
		free(pj->refusals);
	free(pj);
	store_close(rd);
	return NULL;
}

/* ---- policy explain: the decision the packer would take now ---- */

struct found {
	char *body;
	size_t len;
	char version[40];
};

static int
found_row(void *arg, const struct store_row *row)
{
	struct found *fd = arg;

	if ((fd->body = malloc(row->len)) == NULL)
		return -LSN_ENOMEM;
	memcpy(fd->body, row->body, row->len);
	fd->len = row->len;
	snprintf(fd->version, sizeof(fd->version), "%s", row->version ? row->version : "");
	return 0;
}

/* The latest version of id in collection coll (fd->body NULL if it is not there). */
static int
find_latest(struct store *rd, int64_t coll, const char *id, struct found *fd, struct err *err)
{
	struct store_query q;
	int more;

	memset(&q, 0, sizeof(q));
	q.coll = coll;
	q.ids[0] = id;
	q.n_ids = 1;
	q.ver_flags = STORE_VER_LAST;
	q.limit = 1;
	return store_objects_query(rd, &q, 1, found_row, fd, &more, err);
}

int
exchange_explain(struct store *rd, const char *agreements_dir, const char *self,
    const struct store_partner *p, const char *id, struct exchange_explanation *ret,
    struct err *err)
{
	struct filler *f = calloc(1, sizeof(*f));
	struct store_collection *cs = NULL;
	struct found fd = { 0 };
	size_t i, n = 0;
	int exists, r;

	if (f == NULL)
		return err_set(err, LSN_ENOMEM, "out of memory");
	memset(ret, 0, sizeof(*ret));
	if ((r = exchange_agreement_load(agreements_dir, self, p->name, &f->terms, &exists,
	    err)) < 0 || (r = store_share_list(rd, p->rowid, &f->shares, &f->n_shares, err)) < 0)
		goto out;
	f->out = agreement_dir_const(&f->terms, self);
	f->rd = rd;
	for (i = 0; i < f->n_shares && fd.body == NULL && r == 0; i++)
		if ((r = find_latest(rd, f->shares[i].coll, id, &fd, err)) == 0 && fd.body != NULL)
			ret->coll = f->shares[i].coll;
	ret->shared = fd.body != NULL;
	if (r == 0 && fd.body == NULL && (r = store_coll_list(rd, &cs, &n, err)) == 0)
		for (i = 0; i < n && fd.body == NULL && r == 0; i++)
			if ((r = find_latest(rd, cs[i].rowid, id, &fd, err)) == 0 && fd.body != NULL)
				ret->coll = cs[i].rowid;
	if (r == 0 && fd.body == NULL)
		r = err_set(err, LSN_ENOTFOUND, "no collection of this node holds %s", id);
	if (r == 0)
		r = share_origin(agreements_dir, self, rd, ret->coll, f, err);
	ret->shared = ret->shared && f->listed;
	if (r == 0)
		r = policy_scan(fd.body, fd.len, f->out, &ret->obj, err);
	if (r == 0)
		r = policy_egress(f->out, f->origin, &ret->obj, ref_ok, f, &ret->d, err);
	snprintf(ret->version, sizeof(ret->version), "%s", fd.version);
	ret->agreement_file = exists;
out:
	free(fd.body);
	free(cs);
	free(f->shares);
	free(f);
	return r;
}
