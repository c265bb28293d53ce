/*
 * The evidence export from a node's store (evidence_export.h): gathers each
 * envelope with its receipt, proofs and cosigned checkpoints in one read
 * transaction and hands them to the writer of wire/evidence.h. Only reads
 * the store; never writes it, prints or talks to the network.
 */
#include "exchange/evidence_export.h"
#include "ledger/ledger.h"
#include "store/store.h"
#include "util/enc.h"
#include "util/err.h"
#include "util/ts.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One envelope to export: its key in the store and the header's time (for the order). */
struct pick {
	int dir;
	uint64_t seq;
	int64_t time_us;
};

struct exporter {
	struct store *s;
	const struct evidence_query *q;
	struct store_partner p;
	struct ledger_id self, peer;  /* this node's log and witness keys; the partner's */
	struct pick *picks;
	size_t n, cap;
	int dir;                      /* of the scan under way */
	char own[EVIDENCE_PROOF_MAX], theirs[EVIDENCE_PROOF_MAX];
	struct tlog_proof tp;         /* the partner's proof, parsed (large: kept off the stack) */
	struct evidence_writer w;
};

static int
pick_add(struct exporter *x, uint64_t seq, int64_t time_us)
{
	struct pick *v;

	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 16;
		if ((v = realloc(x->picks, x->cap * sizeof(*v))) == NULL)
			return -LSN_ENOMEM;
		x->picks = v;
	}
	x->picks[x->n++] = (struct pick){ x->dir, seq, time_us };
	return 0;
}

static int
pick_by_id(void *arg, const struct store_envelope *e)
{
	struct exporter *x = arg;

	return memcmp(e->id, x->q->id, ENV_ID_LEN) == 0 ? pick_add(x, e->seq, e->created_us) : 0;
}

static int
pick_by_time(void *arg, const struct store_envelope *e)
{
	struct exporter *x = arg;
	struct env_view v;
	size_t used;

	/* a damaged one is kept: the export then fails and says why */
	if (env_decode(e->bytes, e->len, &v, &used, NULL) < 0)
		return pick_add(x, e->seq, e->created_us);
	return v.h.time_us >= x->q->since_us ? pick_add(x, e->seq, v.h.time_us) : 0;
}

static int
scan_both(struct exporter *x, int64_t partner, store_env_fn fn, unsigned flags,
    struct err *err)
{
	struct store_env_query sq = { .partner = partner, .flags = flags };
	int r = 0;

	for (x->dir = STORE_OUT; x->dir <= STORE_IN && r == 0; x->dir++) {
		sq.dir = x->dir;
		r = store_env_scan(x->s, &sq, fn, x, err);
	}
	if (r == -LSN_ENOMEM)
		err_set(err, LSN_ENOMEM, "out of memory");
	return r;
}

/* --envelope ID: the partner (of q->partner, or any) that exchanged it. */
static int
find_by_id(struct exporter *x, struct err *err)
{
	struct store_partner *ps = NULL;
	char hex[2 * ENV_ID_LEN + 1];
	size_t np = 0, i;
	int r;

	if ((r = store_partner_list(x->s, &ps, &np, err)) < 0)
		return r;
	for (i = 0; i < np && x->n == 0 && r == 0; i++) {
		if (x->q->partner != NULL && strcmp(ps[i].name, x->q->partner) != 0)
			continue;
		x->p = ps[i];
		r = scan_both(x, ps[i].rowid, pick_by_id, 0, err);
	}
	free(ps);
	hex_encode(x->q->id, ENV_ID_LEN, hex);
	if (r == 0 && x->n == 0)
		return err_set(err, LSN_ENOTFOUND, "no envelope with id %s was exchanged with %s", hex,
		    x->q->partner ? x->q->partner : "any partner");
	return r;
}

static int
pick_cmp(const void *a, const void *b)
{
	const struct pick *x = a, *y = b;

	if (x->time_us != y->time_us)
		return x->time_us < y->time_us ? -1 : 1;
	if (x->dir != y->dir)
		return x->dir - y->dir;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* --partner NAME [--since]: every envelope of both directions, oldest first. */
static int
find_by_partner(struct exporter *x, struct err *err)
{
	int r;

	if ((r = store_partner_find(x->s, x->q->partner, &x->p, err)) < 0 ||
	    (r = scan_both(x, x->p.rowid, pick_by_time, STORE_ENV_BYTES, err)) < 0)
		return r;
	if (x->n == 0)
		return err_set(err, LSN_ENOTFOUND, "no envelope was exchanged with %s%s", x->p.name,
		    x->q->since_us > INT64_MIN ? " from that time on" : "");
	qsort(x->picks, x->n, sizeof(*x->picks), pick_cmp);
	return 0;
}

/* "— name base64(key id || signature)\n", appended to out (cap bytes in all). */
static int
sig_line(const struct note_sig *s, char *out, size_t cap, size_t *len, struct err *err)
{
	size_t n;
	int r = note_sig_format(s, out + *len, cap - *len, &n, err);

	if (r == 0)
		*len += n;
	return r;
}

static const struct note_sig *
find_sig(const struct note *n, const struct note_key *k)
{
	size_t i;

	for (i = 0; i < n->n_sigs; i++)
		if (evidence_match_sig(&n->sigs[i], k))
			return &n->sigs[i];
	return NULL;
}

/*
 * The partner's proof as the notary stored it, its checkpoint reduced to
 * the two lines a bundle carries: the partner's signature, our cosignature.
 */
static int
trim_theirs(struct exporter *x, const char *text, size_t len, size_t *ret_len, struct err *err)
{
	struct tlog_proof *p = &x->tp;
	const struct note_sig *a, *c;
	char note[NOTE_MAX + 2 * 512];
	struct note n;
	size_t nl;
	int r;

	if ((r = tlog_proof_parse(text, len, p, err)) < 0 ||
	    (r = note_parse(p->checkpoint, p->checkpoint_len, &n, err)) < 0) {
		err_prefix(err, "the stored proof from %s's log: ", x->p.name);
		return r;
	}
	a = find_sig(&n, &x->peer.log_key);
	c = find_sig(&n, &x->self.witness_key);
	if (a == NULL || c == NULL || !p->has_extra)
		return err_set(err, LSN_EINVAL, "the stored proof from %s's log lacks %s", x->p.name,
		    a == NULL ? "the partner's checkpoint signature" : c == NULL ?
		    "this node's cosignature" : "the entry");
	memcpy(note, n.text, n.text_len);
	nl = n.text_len;
	note[nl++] = '\n';
	if ((r = sig_line(a, note, sizeof(note), &nl, err)) < 0 ||
	    (r = sig_line(c, note, sizeof(note), &nl, err)) < 0)
		return r;
	return tlog_proof_format(p->extra, p->extra_len, p->index, (const merkle_hash *)p->hashes,
	    p->n_hashes, note, nl, x->theirs, sizeof(x->theirs), ret_len, err);
}

struct line_copy {
	char *out;
	size_t cap, len;
};

static int
copy_line(void *arg, const struct store_cosig *c)
{
	struct line_copy *lc = arg;

	if (lc->len + c->line_len + 1 > lc->cap)
		return -LSN_ETOOBIG;
	memcpy(lc->out + lc->len, c->line, c->line_len);
	lc->len += c->line_len;
	return 0;
}

/* Our checkpoint of size (one signature) with the partner's cosignature appended. */
static int
own_note(struct exporter *x, uint64_t size, char *out, size_t cap, size_t *ret_len,
    struct err *err)
{
	struct store_checkpoint c;
	struct line_copy lc = { out, cap, 0 };
	int r;

	if ((r = store_ckpt_get(x->s, 0, size, &c, err)) < 0)
		return r;
	if (c.note_len >= cap)
		return err_set(err, LSN_ETOOBIG, "a checkpoint note outgrew its buffer");
	memcpy(out, c.note, c.note_len);
	lc.len = c.note_len;
	if ((r = store_cosig_scan(x->s, size, x->p.rowid, copy_line, &lc, err)) < 0)
		return r == -LSN_ETOOBIG ? err_set(err, LSN_ETOOBIG, "a cosignature line outgrew "
		    "its buffer") : r;
	if (lc.len == c.note_len)
		return err_set(err, LSN_ENOTFOUND, "%s's cosignature of checkpoint %" PRIu64 " is "
		    "missing", x->p.name, size);
	*ret_len = lc.len;
	return 0;
}

/*
 * The entry's proof in this node's log against the latest checkpoint this
 * partner cosigned (not merely the latest cosigned by anyone: the arbiter
 * needs this partner's word that the log held the entry).
 */
static int
own_proof(struct exporter *x, uint64_t leaf, size_t *ret_len, struct err *err)
{
	uint8_t entry[LEDGER_ENTRY_MAX];
	merkle_hash h[MERKLE_PROOF_MAX];
	char note[NOTE_MAX];
	size_t elen, nl = 0, n;
	uint64_t size;
	int r;

	if ((r = store_cosig_latest(x->s, x->p.rowid, &size, err)) < 0)
		return r;
	if (leaf >= size)
		return err_set(err, LSN_EBUSY, "not yet witnessed by %s; try again in a few seconds",
		    x->p.name);
	if ((r = own_note(x, size, note, sizeof(note), &nl, err)) < 0 ||
	    (r = store_log_entry(x->s, leaf, entry, sizeof(entry), &elen, err)) < 0 ||
	    (r = merkle_inclusion_proof(leaf, size, ledger_node, x->s, h, &n, err)) < 0)
		return r;
	return tlog_proof_format(entry, elen, leaf, (const merkle_hash *)h, n, note, nl, x->own,
	    sizeof(x->own), ret_len, err);
}

/* What a stored envelope needs before it can be evidence. */
static int
ready(const struct exporter *x, const struct store_envelope *e, struct err *err)
{
	if (e->receipt == NULL || e->receipt_len != RCPT_LEN)
		return err_set(err, LSN_EBUSY, "%s has not receipted it yet; try again later",
		    x->p.name);
	if (!e->has_leaf)
		return err_set(err, LSN_EBUSY, "it is not in this node's log yet (liaisond adds "
		    "it); try again in a few seconds");
	if (e->proof == NULL)
		return err_set(err, LSN_EBUSY, "no proof of its entry in %s's log has been fetched "
		    "yet; try again in a few seconds", x->p.name);
	return 0;
}

static int
export_one(struct exporter *x, const struct pick *k, struct err *err)
{
	struct evidence_part part = { .sent = k->dir == STORE_OUT };
	struct store_envelope e;
	uint8_t rc[RCPT_LEN], *env;
	size_t own_len, their_len;
	int r;

	if ((r = store_env_get(x->s, x->p.rowid, k->dir, k->seq, 1, &e, err)) < 0 ||
	    (r = ready(x, &e, err)) < 0 ||
	    (r = trim_theirs(x, e.proof, e.proof_len, &their_len, err)) < 0)
		return r;
	/* e borrows the store's buffer: keep what we need before the next call */
	memcpy(rc, e.receipt, RCPT_LEN);
	if ((env = malloc(e.len ? e.len : 1)) == NULL)
		return err_set(err, LSN_ENOMEM, "out of memory");
	memcpy(env, e.bytes, e.len);
	part.env = env;
	part.env_len = e.len;
	part.receipt = rc;
	if ((r = own_proof(x, e.leaf, &own_len, err)) == 0) {
		part.sender_proof = part.sent ? x->own : x->theirs;
		part.sender_proof_len = part.sent ? own_len : their_len;
		part.receiver_proof = part.sent ? x->theirs : x->own;
		part.receiver_proof_len = part.sent ? their_len : own_len;
		r = evidence_writer_add(&x->w, &part, err);
	}
	free(env);
	return r;
}

static int
export_all(struct exporter *x, struct err *err)
{
	size_t i;
	int r;

	for (i = 0; i < x->n; i++) {
		if ((r = export_one(x, &x->picks[i], err)) < 0) {
			err_prefix(err, "envelope %" PRIu64 " %s %s: ", x->picks[i].seq,
			    x->picks[i].dir == STORE_OUT ? "sent to" : "received from", x->p.name);
			return r;
		}
	}
	return 0;
}

/* Both identity documents, then every envelope picked. */
static int
write_bundle(struct exporter *x, const struct ident *self, const struct cx_key *key,
    int64_t now_us, struct err *err)
{
	char mine[IDENT_DOC_MAX], theirs[IDENT_DOC_MAX + 2];
	struct ident me = *self;
	size_t mlen;
	int r;

	ts_format_us(now_us, me.created);
	if ((r = ident_export(&me, key, mine, sizeof(mine), &mlen, err)) < 0 ||
	    (r = store_partner_identity(x->s, x->p.rowid, theirs, sizeof(theirs), err)) < 0)
		return r;
	if (theirs[0] == '\0')
		return err_set(err, LSN_ENOTFOUND, "the identity document of %s was not kept when it "
		    "was added", x->p.name);
	if ((r = ledger_id_init(&x->self, me.name, me.key, err)) < 0 ||
	    (r = ledger_id_init(&x->peer, x->p.name, x->p.key, err)) < 0 ||
	    (r = evidence_writer_init(&x->w, now_us, mine, mlen, theirs, strlen(theirs),
	    err)) < 0)
		return r;
	return export_all(x, err);
}

/* The bundle is checked as an arbiter would before anyone sees it. */
static int
self_check(const struct buf *out, size_t *ret_n, struct err *err)
{
	struct evidence_summary sum;
	int r;

	if ((r = evidence_verify(out->data, out->len, &sum, err)) < 0) {
		err_prefix(err, "the bundle built does not verify, so none was written: ");
		return r;
	}
	if (ret_n != NULL)
		*ret_n = sum.n;
	evidence_summary_release(&sum);
	return 0;
}

int
evidence_export(struct store *s, const struct evidence_query *q, const struct ident *self,
    const struct cx_key *key, int64_t now_us, struct buf *out, size_t *ret_n, struct err *err)
{
	struct exporter *x = calloc(1, sizeof(*x));
	int r;

	if (x == NULL)
		return err_set(err, LSN_ENOMEM, "out of memory");
	x->s = s;
	x->q = q;
	if ((r = store_read_begin(s, err)) < 0) {
		free(x);
		return r;
	}
	r = q->by_id ? find_by_id(x, err) : find_by_partner(x, err);
	if (r == 0 && (r = write_bundle(x, self, key, now_us, err)) == 0)
		r = evidence_writer_finish(&x->w, key, out, err);
	store_read_end(s);
	if (r == 0)
		r = self_check(out, ret_n, err);
	evidence_writer_release(&x->w);
	free(x->picks);
	free(x);
	return r;
}
