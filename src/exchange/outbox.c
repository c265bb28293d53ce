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
#include "util/buf.h"
#include "util/err.h"
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
	int64_t coll, cursor_us;      /* the share's cursor once this envelope is stored */
	uint8_t entry[ENV_ENTRY_LEN]; /* its ledger entry, appended with it */
};

struct pack_job {
	struct ex_sync sync;
	struct link *l;
	struct packed env[PACK_ENVS_MAX];
	size_t n;
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
		e.kind = ENV_SHARE;
		e.items = p->items;
		e.created_us = p->created_us;
		e.bytes = p->bytes;
		e.len = p->len;
		if ((r = s->be->env_put(s, &e, &job->err)) < 0)
			return r;
		/* envelopes of one share are in cursor order: the last one wins */
		if ((r = s->be->share_set_cursor(s, e.partner, p->coll, p->cursor_us, &job->err)) < 0)
			return r;
	}
	return 0;
}

/* Bodies being filled: one bundle, closed and sealed when full. */
struct filler {
	struct link *l;
	struct buf body;
	uint32_t items;
	int64_t last_us;              /* date_added of the last object in the body */
	size_t max_bytes;
	int full;
	int oversized;                /* one object alone does not fit an envelope */
};

static int
filler_row(void *arg, const struct store_row *row)
{
	struct filler *f = arg;

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
	if ((f->items > 0 && buf_addc(&f->body, ',') < 0) ||
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

/* Seals the filled bundle as the link's next envelope. */
static int
seal(struct link *l, struct filler *f, struct packed *p, int64_t coll, uint64_t seq,
    struct err *err)
{
	struct exchange *ex = l->ex;
	struct env_header h = { 0 };
	struct env_view v = { 0 };
	size_t cap;
	int r;

	if ((r = buf_adds(&f->body, "]}")) < 0)
		return err_set(err, -r, "exchange: an envelope body outgrew its cap");
	h.kind = ENV_SHARE;
	memcpy(h.from, ex->key_id, 32);
	memcpy(h.to, l->p.key_id, 32);
	h.seq = seq;
	h.time_us = clock_now_us();
	h.items = f->items;
	cap = ENV_HEADER_LEN + f->body.len + ENV_SIG_LEN;
	p->bytes = malloc(cap);
	if (p->bytes == NULL)
		return err_set(err, LSN_ENOMEM, "exchange: out of memory");
	if ((r = env_seal(&h, (const uint8_t *)f->body.data, f->body.len, ex->cfg.key, p->bytes,
	    cap, &p->len, p->id, err)) < 0)
		return r;
	v.header = p->bytes;
	v.sig = p->bytes + p->len - ENV_SIG_LEN;
	env_entry(&v, ENV_ENTRY_SENT, h.time_us, p->entry);
	p->seq = seq;
	p->items = f->items;
	p->created_us = h.time_us;
	p->coll = coll;
	p->cursor_us = f->last_us;
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
		r = rd->be->objects_query(rd, &q, 1, filler_row, f, &more, err);
		if (r < 0 && !(r == -LSN_ETOOBIG && f->full))
			return r;
		more = more || f->full;
		if (f->items > 0) {
			if ((r = seal(l, f, &pj->env[pj->n], sh->coll, *seq + 1, err)) < 0)
				return r;
			pj->n++;
			(*seq)++;
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

	if ((r = rd->be->share_list(rd, l->p.rowid, &shares, &n, err)) < 0)
		return r;
	for (i = 0; i < n && pj->n < PACK_ENVS_MAX; i++) {
		if ((r = pack_share(l, rd, &shares[i], pj, &seq, f, err)) < 0)
			goto out;
		more |= r;
	}
	more |= i < n;
	if (pj->n == 0)
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
	free(shares);
	return r < 0 ? r : more;
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
	struct filler f = { .l = l };
	int r;

	buf_init(&f.body, ENV_BODY_MAX);
	f.max_bytes = ex->cfg.envelope_bytes < ENV_BODY_MAX - 64 ? ex->cfg.envelope_bytes :
	    ENV_BODY_MAX - 64;
	if (pj != NULL)
		pj->l = l;
	if (pj == NULL || store_open(ex->cfg.store_spec, 0, &rd, &err) < 0) {
		ex_log(ex, "link_error", "\"partner\":\"%s\",\"message\":\"the packer cannot open "
		    "the store\"", l->p.name);
		goto out;
	}
	while (!wait_for_work(l)) {
		do {
			r = pack_round(l, rd, pj, &f, &err);
			if (f.oversized) {
				ex_log(ex, "object_too_big", "\"partner\":\"%s\",\"count\":%d",
				    l->p.name, f.oversized);
				f.oversized = 0;
			}
		} while (r > 0 && !l->stopping);
		if (r < 0) {
			struct buf m = BUF_INIT(1024);
			buf_add_json_str(&m, err.msg, strlen(err.msg));
			ex_log(ex, "pack_failed", "\"partner\":\"%s\",\"message\":%s", l->p.name,
			    m.data ? m.data : "\"\"");
			buf_release(&m);
			pthread_mutex_lock(&l->mu);
			l->pack_wanted = 1;   /* try again after a pause */
			link_wait_ms(l, ex->cfg.retry_min_ms);
			pthread_mutex_unlock(&l->mu);
		}
	}
out:
	buf_release(&f.body);
	free(pj);
	store_close(rd);
	return NULL;
}
