/*
 * The witness this node runs for each partner's log (c2sp.org/tlog-witness
 * add-checkpoint): verify, compare with the last checkpoint cosigned for
 * that origin, keep proof of any fork, persist, cosign. Runs inside one
 * write transaction, which makes the check-and-update atomic.
 */
#include "ledger/ledger.h"
#include "util/err.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int
answer(struct ledger_witness_out *out, int status, struct err *err, int code, const char *fmt,
    const char *detail)
{
	out->status = status;
	err_set(err, code, fmt, detail);
	return 0;
}

/* Both checkpoints are signed by the partner and cannot both be true: keep them. */
static int
equivocation(struct store *s, const struct store_partner *p, const struct store_checkpoint *old,
    const char *note, size_t note_len, const char *why, int64_t now_us,
    struct ledger_witness_out *out, struct err *err)
{
	char b[NOTE_MAX];
	int r;

	snprintf(b, sizeof(b), "%.*s", (int)note_len, note);
	if ((r = store_equivocation_add(s, p->rowid, old->note, b, why, now_us, err)) < 0)
		return r;
	out->status = 422;
	out->equivocation = 1;
	err_set(err, LSN_ECONFLICT, "partner %s's log is inconsistent with the checkpoint of size "
	    "%" PRIu64 " this node cosigned: %s; both signed checkpoints are kept as proof",
	    p->name, old->size, why);
	return 0;
}

/* Checks the new checkpoint against the last one cosigned: 0 to go on, 1 answered. */
static int
check_consistency(struct store *s, const struct store_partner *p, const struct witness_req *q,
    const struct checkpoint *cp, int64_t now_us, struct ledger_witness_out *out, struct err *err)
{
	struct store_checkpoint old = { 0 };
	uint8_t empty[MERKLE_HASH_LEN];
	struct err perr = ERR_INIT;
	int r;

	r = store_ckpt_latest(s, p->rowid, &old, err);
	if (r < 0 && r != -LSN_ENOTFOUND)
		return r;
	if (q->old_size != old.size) {
		out->status = 409;
		out->size = old.size;
		err_set(err, LSN_ECONFLICT, "old size %" PRIu64 " is not %" PRIu64 ", the size this "
		    "node last cosigned", q->old_size, old.size);
		return 1;
	}
	merkle_empty_root(empty);
	if (cp->size == 0 && memcmp(cp->root, empty, MERKLE_HASH_LEN) != 0)
		return answer(out, 422, err, LSN_EINVAL, "%s", "a checkpoint of size 0 must have "
		    "the empty tree's root"), 1;
	if (q->old_size == 0) {
		if (q->n_proof != 0)
			return answer(out, 422, err, LSN_EINVAL, "%s", "a request from old size 0 "
			    "carries no proof"), 1;
		return 0;
	}
	if (q->old_size == cp->size && memcmp(old.root, cp->root, MERKLE_HASH_LEN) != 0) {
		r = equivocation(s, p, &old, q->checkpoint, q->checkpoint_len, "two roots for one "
		    "size", now_us, out, err);
		return r < 0 ? r : 1;
	}
	if (merkle_verify_consistency(q->old_size, cp->size, old.root, cp->root, q->proof,
	    q->n_proof, &perr) < 0) {
		r = equivocation(s, p, &old, q->checkpoint, q->checkpoint_len, perr.msg, now_us,
		    out, err);
		return r < 0 ? r : 1;
	}
	return 0;
}

/* Cosigns and records the checkpoint (with the cosignature appended). */
static int
cosign(struct store *s, const struct ledger_id *self, const struct cx_key *key,
    const struct store_partner *p, const struct witness_req *q, const struct checkpoint *cp,
    const struct note *n, int64_t now_us, struct ledger_witness_out *out, struct err *err)
{
	struct store_checkpoint c = { 0 }, have;
	char note[NOTE_MAX];
	size_t llen;
	int r;

	if ((r = cosig_sign(&self->witness_key, key, (uint64_t)(now_us / 1000000), n->text,
	    n->text_len, out->line, sizeof(out->line), &llen, err)) < 0)
		return r;
	if (q->checkpoint_len + llen + 1 > sizeof(note))
		return err_set(err, LSN_ETOOBIG, "the checkpoint note is too long to keep");
	memcpy(note, q->checkpoint, q->checkpoint_len);
	memcpy(note + q->checkpoint_len, out->line, llen + 1);
	c.partner = p->rowid;
	c.size = cp->size;
	memcpy(c.root, cp->root, MERKLE_HASH_LEN);
	c.note = note;
	c.note_len = q->checkpoint_len + llen;
	c.time_us = now_us;
	/* the same checkpoint again (a heartbeat): the first record stays */
	r = store_ckpt_get(s, p->rowid, cp->size, &have, err);
	if (r == -LSN_ENOTFOUND)
		r = store_ckpt_put(s, &c, err);
	if (r < 0)
		return r;
	out->status = 200;
	return 0;
}

int
ledger_witness_add(struct store *s, const struct ledger_id *self, const struct cx_key *key,
    const struct store_partner *p, const char *body, size_t len, int64_t now_us,
    struct ledger_witness_out *out, struct err *err)
{
	struct ledger_id pid;
	struct witness_req q;
	struct checkpoint cp;
	struct note n;
	int r;

	memset(out, 0, sizeof(*out));
	if (witness_req_parse(body, len, &q, err) < 0 ||
	    note_parse(q.checkpoint, q.checkpoint_len, &n, err) < 0 ||
	    checkpoint_parse(n.text, n.text_len, &cp, err) < 0)
		return out->status = 400, 0;
	if ((r = ledger_id_init(&pid, p->name, p->key, err)) < 0)
		return r;
	if (strcmp(cp.origin, pid.origin) != 0)
		return answer(out, 404, err, LSN_ENOTFOUND, "this node witnesses no log with origin "
		    "'%s' for this partner", cp.origin);
	if (note_verify(&n, &pid.log_key, NULL, err) < 0)
		return out->status = 403, 0;
	if (p->compromised_us != 0)
		return answer(out, 403, err, LSN_EDENIED, "%s", "this node holds proof that this log "
		    "forked and cosigns nothing more for it");
	if (q.old_size > cp.size)
		return answer(out, 400, err, LSN_EINVAL, "%s", "the old size is larger than the "
		    "checkpoint's");
	r = check_consistency(s, p, &q, &cp, now_us, out, err);
	if (r != 0)
		return r < 0 ? r : 0;
	return cosign(s, self, key, p, &q, &cp, &n, now_us, out, err);
}
