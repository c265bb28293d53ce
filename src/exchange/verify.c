/*
 * The part of `log verify` that knows envelopes: every stored envelope's
 * ledger entry is rebuilt from its bytes and compared with the entry at its
 * leaf, and every envelope entry of the log must have its envelope. Reads
 * only.
 */
#include "exchange/exchange.h"
#include "ledger/ledger.h"
#include "util/err.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct match {
	struct store *s;
	struct ledger_verify_report *rep;
	size_t k;                     /* next envelope entry expected (rep->envelope_leaves) */
	int64_t bad;
	char problem[ERR_MSG_MAX];
	struct err *err;
};

static int __attribute__((format(printf, 3, 4)))
mismatch(struct match *m, uint64_t leaf, const char *fmt, ...)
{
	va_list ap;

	m->bad = (int64_t)leaf;
	va_start(ap, fmt);
	vsnprintf(m->problem, sizeof(m->problem), fmt, ap);
	va_end(ap);
	return -LSN_ECONFLICT;
}

static int
one(void *arg, const struct store_envelope *e)
{
	struct match *m = arg;
	uint8_t want[ENV_ENTRY_LEN], have[LEDGER_ENTRY_MAX];
	struct err e2 = ERR_INIT;
	struct env_view v;
	size_t used, hlen;
	int r;

	if (m->k < m->rep->n_envelope_leaves && m->rep->envelope_leaves[m->k] < e->leaf)
		return mismatch(m, m->rep->envelope_leaves[m->k], "leaf %" PRIu64 " records an "
		    "envelope that is not in the store", m->rep->envelope_leaves[m->k]);
	if (m->k >= m->rep->n_envelope_leaves || m->rep->envelope_leaves[m->k] != e->leaf)
		return mismatch(m, e->leaf, "envelope %" PRIu64 " of partner %" PRId64 " points at "
		    "leaf %" PRIu64 ", which is not an envelope entry", e->seq, e->partner, e->leaf);
	m->k++;
	if (env_decode(e->bytes, e->len, &v, &used, &e2) < 0 || used != e->len)
		return mismatch(m, e->leaf, "the envelope at leaf %" PRIu64 " was changed in the "
		    "store: %s", e->leaf, e2.msg[0] ? e2.msg : "trailing bytes");
	env_entry(&v, e->dir == STORE_OUT ? ENV_ENTRY_SENT : ENV_ENTRY_RECEIVED,
	    e->dir == STORE_OUT ? v.h.time_us : e->created_us, want);
	if ((r = store_log_entry(m->s, e->leaf, have, sizeof(have), &hlen, m->err)) < 0)
		return r;
	if (hlen != sizeof(want) || memcmp(have, want, sizeof(want)) != 0)
		return mismatch(m, e->leaf, "leaf %" PRIu64 " does not record the envelope stored "
		    "for it (partner %" PRId64 ", %s seq %" PRIu64 ")", e->leaf, e->partner,
		    e->dir == STORE_OUT ? "outgoing" : "incoming", e->seq);
	return 0;
}

int
exchange_verify_entries(struct store *s, struct ledger_verify_report *rep, struct err *err)
{
	struct match m = { .s = s, .rep = rep, .bad = -1, .err = err };
	struct store_envelope e;
	int r;

	if (!rep->ok)
		return 0;
	r = store_env_scan_leaves(s, 0, one, &m, err);
	if (r == 0 && m.k < rep->n_envelope_leaves)
		r = mismatch(&m, rep->envelope_leaves[m.k], "leaf %" PRIu64 " records an envelope "
		    "that is not in the store", rep->envelope_leaves[m.k]);
	if (r == 0) {
		r = store_env_without_leaf(s, &e, err);
		if (r == 0)
			r = mismatch(&m, rep->leaves, "envelope %" PRIu64 " of partner %" PRId64 " is "
			    "in no leaf of the log", e.seq, e.partner);
		else if (r == -LSN_ENOTFOUND)
			r = 0;
	}
	if (r == -LSN_ECONFLICT && m.bad >= 0) {
		rep->ok = 0;
		rep->first_bad = m.bad;
		snprintf(rep->problem, sizeof(rep->problem), "%s", m.problem);
		return 0;
	}
	return r;
}
