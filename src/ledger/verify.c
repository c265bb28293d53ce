/*
 * `liaison log verify`: the whole tree recomputed from the stored entries,
 * every stored hash compared, every checkpoint this node signed checked
 * against the recomputed roots and its signature, every cosignature and
 * every partner checkpoint cosigned here verified. Reads only; stops at the
 * first problem and names it.
 */
#include "ledger/ledger.h"
#include "util/err.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ck {
	uint64_t size;
	uint8_t root[MERKLE_HASH_LEN];
};

struct walk {
	struct store *s;
	const struct ledger_id *id;
	struct ledger_verify_report *rep;
	struct merkle_range range;
	struct ck *cks;               /* this node's checkpoints by size */
	size_t n_cks, cap_cks, next_ck;
	size_t cap_env;
	const struct store_partner *partner;  /* whose cosigned checkpoints are being walked */
	struct err *err;
};

static int __attribute__((format(printf, 3, 4)))
bad(struct ledger_verify_report *rep, int64_t idx, const char *fmt, ...)
{
	va_list ap;

	if (!rep->ok)
		return -LSN_ECONFLICT;
	rep->ok = 0;
	rep->first_bad = idx;
	va_start(ap, fmt);
	vsnprintf(rep->problem, sizeof(rep->problem), fmt, ap);
	va_end(ap);
	return -LSN_ECONFLICT;        /* stops the scan; not a store failure */
}

/* Loads and checks this node's signed checkpoints (signature, origin). */
static int
load_ck(void *arg, const struct store_checkpoint *c)
{
	struct walk *w = arg;
	struct checkpoint cp;
	struct note n;
	struct err e = ERR_INIT;

	if (note_parse(c->note, c->note_len, &n, &e) < 0 ||
	    checkpoint_parse(n.text, n.text_len, &cp, &e) < 0)
		return bad(w->rep, -1, "the stored checkpoint of size %" PRIu64 " is malformed: %s",
		    c->size, e.msg);
	if (note_verify(&n, &w->id->log_key, NULL, &e) < 0)
		return bad(w->rep, -1, "the checkpoint of size %" PRIu64 " does not carry a valid "
		    "signature of this log's key: %s", c->size, e.msg);
	if (cp.size != c->size || memcmp(cp.root, c->root, MERKLE_HASH_LEN) != 0 ||
	    strcmp(cp.origin, w->id->origin) != 0)
		return bad(w->rep, -1, "the checkpoint of size %" PRIu64 " says something else than "
		    "its row (size, root or origin)", c->size);
	if (w->n_cks == w->cap_cks) {
		size_t cap = w->cap_cks ? 2 * w->cap_cks : 256;
		struct ck *v = realloc(w->cks, cap * sizeof(*v));
		if (v == NULL)
			return err_set(w->err, LSN_ENOMEM, "out of memory");
		w->cks = v;
		w->cap_cks = cap;
	}
	w->cks[w->n_cks].size = c->size;
	memcpy(w->cks[w->n_cks].root, c->root, MERKLE_HASH_LEN);
	w->n_cks++;
	w->rep->checkpoints++;
	return 0;
}

static int
note_env_leaf(struct walk *w, const struct store_leaf *l)
{
	struct ledger_verify_report *rep = w->rep;

	if (l->entry_len < 5)
		return 0;
	if (l->entry[4] < sizeof(rep->entries_by_type) / sizeof(rep->entries_by_type[0]))
		rep->entries_by_type[l->entry[4]]++;
	if (l->entry[4] != LEDGER_ENTRY_ENVELOPE)
		return 0;
	if (rep->n_envelope_leaves == w->cap_env) {
		size_t cap = w->cap_env ? 2 * w->cap_env : 1024;
		uint64_t *v = realloc(rep->envelope_leaves, cap * sizeof(*v));
		if (v == NULL)
			return err_set(w->err, LSN_ENOMEM, "out of memory");
		rep->envelope_leaves = v;
		w->cap_env = cap;
	}
	rep->envelope_leaves[rep->n_envelope_leaves++] = l->idx;
	return 0;
}

/* The roots of the checkpoints that end at this size. */
static int
check_roots(struct walk *w)
{
	uint8_t root[MERKLE_HASH_LEN];

	while (w->next_ck < w->n_cks && w->cks[w->next_ck].size <= w->range.size) {
		const struct ck *c = &w->cks[w->next_ck++];
		if (c->size < w->range.size)
			continue;             /* size 0, checked before the scan */
		merkle_range_root(&w->range, root);
		if (memcmp(root, c->root, MERKLE_HASH_LEN) != 0)
			return bad(w->rep, (int64_t)c->size - 1, "the tree of the first %" PRIu64
			    " leaves does not have the root this node signed for that size", c->size);
	}
	return 0;
}

static int
leaf(void *arg, const struct store_leaf *l)
{
	struct walk *w = arg;
	uint8_t h[MERKLE_HASH_LEN];
	merkle_hash done[MERKLE_LEVELS];
	unsigned n, i;
	int64_t idx = (int64_t)l->idx;
	int r;

	if (l->idx != w->range.size)
		return bad(w->rep, (int64_t)w->range.size, "leaf %" PRIu64 " is missing (the next "
		    "stored one is %" PRIu64 ")", w->range.size, l->idx);
	if (l->entry == NULL)
		return bad(w->rep, idx, "leaf %" PRId64 " has hashes but no entry", idx);
	if (l->hashes == NULL)
		return bad(w->rep, idx, "leaf %" PRId64 " has an entry but no hashes", idx);
	merkle_leaf_hash(l->entry, l->entry_len, h);
	if (l->hashes_len < MERKLE_HASH_LEN || memcmp(h, l->hashes, MERKLE_HASH_LEN) != 0)
		return bad(w->rep, idx, "leaf %" PRId64 "'s entry does not hash to its stored leaf "
		    "hash (the entry or the hash was changed)", idx);
	merkle_range_append(&w->range, h, done, &n);
	if (l->hashes_len != ((size_t)n + 1) * MERKLE_HASH_LEN)
		return bad(w->rep, idx, "leaf %" PRId64 " stores %zu subtree hashes, not %u", idx,
		    l->hashes_len / MERKLE_HASH_LEN - 1, n);
	for (i = 0; i < n; i++)
		if (memcmp(done[i], l->hashes + (size_t)(i + 1) * MERKLE_HASH_LEN, MERKLE_HASH_LEN))
			return bad(w->rep, idx, "leaf %" PRId64 "'s stored level-%u subtree hash is "
			    "wrong", idx, i + 1);
	w->rep->leaves++;
	if ((r = note_env_leaf(w, l)) < 0)
		return r;
	return check_roots(w);
}

/* A partner's cosignature on one of this node's checkpoints. */
static int
cosig(void *arg, const struct store_cosig *c)
{
	struct walk *w = arg;
	struct store_partner p;
	struct store_checkpoint ck;
	struct ledger_id pid;
	char note[NOTE_MAX];
	struct note n;
	struct err e = ERR_INIT;
	int r;

	if ((r = store_partner_get(w->s, c->partner, &p, w->err)) < 0)
		return r;
	if ((r = ledger_id_init(&pid, p.name, p.key, w->err)) < 0)
		return r;
	if ((r = store_ckpt_get(w->s, 0, c->size, &ck, &e)) < 0)
		return bad(w->rep, -1, "partner %s cosigned size %" PRIu64 ", for which this node "
		    "has no checkpoint", p.name, c->size);
	if (ck.note_len + c->line_len > sizeof(note))
		return bad(w->rep, -1, "a cosignature of size %" PRIu64 " is too long", c->size);
	memcpy(note, ck.note, ck.note_len);
	memcpy(note + ck.note_len, c->line, c->line_len);
	if (note_parse(note, ck.note_len + c->line_len, &n, &e) < 0 ||
	    note_verify(&n, &pid.witness_key, NULL, &e) < 0)
		return bad(w->rep, -1, "partner %s's cosignature of the checkpoint of size %" PRIu64
		    " does not verify: %s", p.name, c->size, e.msg);
	w->rep->cosignatures++;
	return 0;
}

/* A partner checkpoint this node cosigned: the partner's signature and ours. */
static int
witnessed(void *arg, const struct store_checkpoint *c)
{
	struct walk *w = arg;
	const struct store_partner *p = w->partner;
	struct ledger_id pid;
	struct checkpoint cp;
	struct note n;
	struct err e = ERR_INIT;
	int r;

	if ((r = ledger_id_init(&pid, p->name, p->key, w->err)) < 0)
		return r;
	if (note_parse(c->note, c->note_len, &n, &e) < 0 ||
	    checkpoint_parse(n.text, n.text_len, &cp, &e) < 0 ||
	    note_verify(&n, &pid.log_key, NULL, &e) < 0 ||
	    note_verify(&n, &w->id->witness_key, NULL, &e) < 0)
		return bad(w->rep, -1, "partner %s's checkpoint of size %" PRIu64 " that this node "
		    "cosigned does not verify: %s", p->name, c->size, e.msg);
	if (cp.size != c->size || memcmp(cp.root, c->root, MERKLE_HASH_LEN) != 0)
		return bad(w->rep, -1, "partner %s's checkpoint of size %" PRIu64 " says something "
		    "else than its row", p->name, c->size);
	w->rep->witnessed++;
	return 0;
}

static int
verify_witnessed(struct walk *w)
{
	struct store_partner *ps = NULL;
	size_t n = 0, i;
	int r;

	if ((r = store_partner_list(w->s, &ps, &n, w->err)) < 0)
		return r;
	for (i = 0; i < n && r == 0; i++) {
		w->partner = &ps[i];
		r = store_ckpt_scan(w->s, ps[i].rowid, witnessed, w, w->err);
	}
	w->partner = NULL;
	free(ps);
	return r;
}

int
ledger_verify(struct store *s, const struct ledger_id *id, struct ledger_verify_report *rep,
    struct err *err)
{
	struct walk w = { .s = s, .id = id, .rep = rep, .err = err };
	uint8_t empty[MERKLE_HASH_LEN];
	int r;

	memset(rep, 0, sizeof(*rep));
	rep->ok = 1;
	rep->first_bad = -1;
	merkle_range_init(&w.range);
	r = store_ckpt_scan(s, 0, load_ck, &w, err);
	if (r == 0 && w.n_cks > 0 && w.cks[0].size == 0) {
		merkle_empty_root(empty);
		if (memcmp(empty, w.cks[0].root, MERKLE_HASH_LEN) != 0)
			r = bad(rep, -1, "the checkpoint of size 0 does not have the empty root");
	}
	if (r == 0)
		r = store_log_scan(s, 0, leaf, &w, err);
	if (r == 0 && w.next_ck < w.n_cks)
		r = bad(rep, (int64_t)w.range.size, "this node signed a checkpoint of size %" PRIu64
		    " but the log has only %" PRIu64 " leaves", w.cks[w.n_cks - 1].size, w.range.size);
	if (r == 0)
		r = store_cosig_scan(s, UINT64_MAX, 0, cosig, &w, err);
	if (r == 0)
		r = verify_witnessed(&w);
	free(w.cks);
	if (r == -LSN_ECONFLICT && !rep->ok)
		return 0;
	return r;
}

void
ledger_verify_release(struct ledger_verify_report *rep)
{
	free(rep->envelope_leaves);
	rep->envelope_leaves = NULL;
	rep->n_envelope_leaves = 0;
}
