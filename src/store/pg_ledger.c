/*
 * PostgreSQL backend, the ledger: leaves (entry and tree hashes by index),
 * checkpoints, partners' cosignatures and equivocation evidence. Mirrors
 * sqlite_ledger.c: stores and reads bytes; the Merkle arithmetic and every
 * check live in src/ledger/, which calls these inside the writer's
 * transactions. Appends, checkpoints, cosignatures and equivocations are
 * singleton writes: each checks the fence first (pg_int.h).
 */
#include "store/pg_int.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"

#include <libpq-fe.h>
#include <stdint.h>
#include <string.h>

/* An unsigned count or index as the int8 a column holds; out of range: -1, matching nothing. */
static int64_t
i64_or_none(uint64_t v)
{
	return v > INT64_MAX ? -1 : (int64_t)v;
}

static int
fill_exists(void *arg, PGresult *res, int row, struct err *err)
{
	*(int *)arg = pg_i64(res, row, 0) != 0;
	return 0;
}

/*
 * Whether partner rowid exists. The inserts naming a partner insert
 * nothing without it (a foreign key that failed would abort the
 * transaction); this tells the two reasons for no row apart.
 */
static int
partner_known(struct pg_store *p, int64_t rowid, int *ret, struct err *err)
{
	return pg_row1(p, "SELECT EXISTS (SELECT 1 FROM partners WHERE rowid = $1)",
	    "finding a partner", err, fill_exists, ret, PG_BINDS(PB_INT(rowid)));
}

static int
no_partner(int64_t rowid, const char *what, struct err *err)
{
	return err_set(err, LSN_ENOTFOUND, "no partner has id %lld, so %s cannot be stored",
	    (long long)rowid, what);
}

static int
fill_size(void *arg, PGresult *res, int row, struct err *err)
{
	uint64_t *size = arg;

	*size = pg_null(res, row, 0) ? 0 : (uint64_t)pg_i64(res, row, 0) + 1;
	return 0;
}

int
pg_log_size(struct store *base, uint64_t *ret, struct err *err)
{
	/* max() of the primary key reads the right edge of its b-tree */
	return pg_row1(ps(base), "SELECT max(idx) FROM ledger_tree", "reading the ledger's size",
	    err, fill_size, ret, PG_NOBINDS);
}

int
pg_log_append(struct store *base, const struct store_leaf *l, struct err *err)
{
	struct pg_store *p = ps(base);
	int r;

	/*
	 * The caller (ledger_append) took idx from log_size in this transaction,
	 * so it is the next index. Both rows in one statement; a taken index
	 * inserts nothing (nothing raises, the transaction stays whole).
	 */
	if (l->idx > INT64_MAX || l->hashes == NULL || l->hashes_len < 32 || l->hashes_len % 32)
		return err_set(err, LSN_EINVAL, "store: leaf %llu is malformed",
		    (unsigned long long)l->idx);
	if ((r = pg_fence(p, err)) < 0)
		return r;
	r = pg_insert1(p, "WITH e AS (INSERT INTO ledger_entries(idx, entry) VALUES ($1, $2) "
	    "ON CONFLICT DO NOTHING RETURNING idx) INSERT INTO ledger_tree(idx, hashes) "
	    "SELECT idx, $3 FROM e ON CONFLICT DO NOTHING", "storing a ledger leaf", err,
	    PG_BINDS(PB_INT((int64_t)l->idx), PB_BLOB(l->entry ? l->entry : (const uint8_t *)"",
	    l->entry_len),
	    PB_BLOB(l->hashes, l->hashes_len)));
	if (r == -LSN_EEXIST)
		r = err_set(err, LSN_EEXIST, "store: storing a ledger leaf failed: leaf %llu is "
		    "already stored", (unsigned long long)l->idx);
	return r;
}

struct blob_out {
	uint64_t idx;
	uint8_t *out;
	size_t cap;
	size_t *len;
};

static int
fill_blob(void *arg, PGresult *res, int row, struct err *err)
{
	struct blob_out *o = arg;
	size_t n;
	const uint8_t *b = pg_bytes(res, row, 0, &n);

	if (n > o->cap)
		return err_set(err, LSN_ETOOBIG, "store: ledger row %llu has %zu bytes, more than "
		    "the %zu expected", (unsigned long long)o->idx, n, o->cap);
	if (n > 0)
		memcpy(o->out, b, n);
	*o->len = n;
	return 0;
}

static int
read_blob(struct pg_store *p, const char *sql, uint64_t idx, uint8_t *out, size_t cap,
    size_t *ret_len, struct err *err)
{
	struct blob_out o = { idx, out, cap, ret_len };
	int r = pg_row1(p, sql, "reading the ledger", err, fill_blob, &o,
	    PG_BINDS(PB_INT(i64_or_none(idx))));

	if (r == -LSN_ENOTFOUND)
		err_set(err, LSN_ENOTFOUND, "the ledger has no leaf %llu", (unsigned long long)idx);
	return r;
}

int
pg_log_hashes(struct store *base, uint64_t idx, uint8_t *out, size_t cap, size_t *ret_len,
    struct err *err)
{
	return read_blob(ps(base), "SELECT hashes FROM ledger_tree WHERE idx = $1", idx, out, cap,
	    ret_len, err);
}

int
pg_log_entry(struct store *base, uint64_t idx, uint8_t *out, size_t cap, size_t *ret_len,
    struct err *err)
{
	return read_blob(ps(base), "SELECT entry FROM ledger_entries WHERE idx = $1", idx, out, cap,
	    ret_len, err);
}

/*
 * One chunk of the scan from idx $1: the next $2 entries and the next $2
 * tree rows, each from its primary key, joined on idx. Up to the smaller
 * of their last indexes (past the end of either: all of it) every row of
 * both is there, so those joined rows are exact, and at least $2 of them
 * when either side is full. The first $2 are the chunk.
 */
static const char sql_scan[] =
	"WITH e AS (SELECT idx, entry FROM ledger_entries WHERE idx >= $1 ORDER BY idx LIMIT $2), "
	"t AS (SELECT idx, hashes FROM ledger_tree WHERE idx >= $1 ORDER BY idx LIMIT $2) "
	"SELECT coalesce(e.idx, t.idx), e.entry, t.hashes FROM e FULL JOIN t ON t.idx = e.idx "
	"WHERE coalesce(e.idx, t.idx) <= least("
	"(SELECT CASE WHEN count(*) < $2 THEN 9223372036854775807 ELSE max(idx) END FROM e), "
	"(SELECT CASE WHEN count(*) < $2 THEN 9223372036854775807 ELSE max(idx) END FROM t)) "
	"ORDER BY 1 LIMIT $2";

/* Passes the rows of res; the last idx passed in *last. */
static int
scan_rows(PGresult *res, store_leaf_fn fn, void *arg, uint64_t *last)
{
	struct store_leaf l;
	int i, rows = PQntuples(res), r = 0;

	for (i = 0; i < rows && r >= 0; i++) {
		memset(&l, 0, sizeof(l));
		l.idx = (uint64_t)pg_i64(res, i, 0);
		l.entry = pg_bytes(res, i, 1, &l.entry_len);
		if (!pg_null(res, i, 2))
			l.hashes = pg_bytes(res, i, 2, &l.hashes_len);
		*last = l.idx;
		r = fn(arg, &l);
	}
	return r;
}

/*
 * Entries drive the scan, their tree rows joined: a missing entry shows as
 * a gap in idx, a missing tree row as hashes NULL; tree rows beyond the
 * last entry are passed with an empty entry (idx set, entry NULL).
 */
int
pg_log_scan(struct store *base, uint64_t from, store_leaf_fn fn, void *arg, struct err *err)
{
	struct pg_store *p = ps(base);
	PGresult *res;
	uint64_t last = 0;
	int64_t at = from > INT64_MAX ? INT64_MAX : (int64_t)from;
	int r, rows;

	for (;;) {
		res = pg_query(p, sql_scan, "scanning the ledger", err,
		    PG_BINDS(PB_INT(at), PB_INT(PG_SCAN_CHUNK)));
		if (res == NULL)
			return pg_errcode(err);
		rows = PQntuples(res);
		r = scan_rows(res, fn, arg, &last);
		PQclear(res);
		if (r < 0 || rows < PG_SCAN_CHUNK || last >= INT64_MAX)
			return r < 0 ? r : 0;
		at = (int64_t)last + 1;
	}
}

/* ---- checkpoints ---- */

int
pg_ckpt_put(struct store *base, const struct store_checkpoint *c, struct err *err)
{
	struct pg_store *p = ps(base);
	int r;

	if (c->size > INT64_MAX)
		return err_set(err, LSN_EINVAL, "store: checkpoint size out of range");
	if ((r = pg_fence(p, err)) < 0)
		return r;
	r = pg_insert1(p, "INSERT INTO checkpoints(partner, size, root, time_us, note) "
	    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING", "storing a checkpoint", err,
	    PG_BINDS(PB_INT(c->partner), PB_INT((int64_t)c->size), PB_HASH(c->root),
	    PB_INT(c->time_us), PB_TEXTN(c->note ? c->note : "", c->note_len)));
	if (r == -LSN_EEXIST)
		r = err_set(err, LSN_EEXIST, "a checkpoint of size %llu is already stored",
		    (unsigned long long)c->size);
	return r;
}

static void
row_ckpt(PGresult *res, int row, struct store_checkpoint *c)
{
	memset(c, 0, sizeof(*c));
	c->partner = pg_i64(res, row, 0);
	c->size = (uint64_t)pg_i64(res, row, 1);
	pg_copy_hash(c->root, res, row, 2);
	c->time_us = pg_i64(res, row, 3);
	c->note = pg_text(res, row, 4);
	c->note_len = (size_t)PQgetlength(res, row, 4);
}

#define CKPT_COLS "SELECT partner, size, root, time_us, note FROM checkpoints "

struct ckpt_out {
	struct pg_store *p;
	struct store_checkpoint c;
};

/* One checkpoint, its note copied to p->note so it outlives the result. */
static int
fill_ckpt(void *arg, PGresult *res, int row, struct err *err)
{
	struct ckpt_out *o = arg;
	int r;

	row_ckpt(res, row, &o->c);
	buf_reset(&o->p->note);
	if ((r = buf_add(&o->p->note, o->c.note, o->c.note_len)) < 0)
		return err_set(err, -r, "store: no room to read a checkpoint");
	o->c.note = o->p->note.data;
	return 0;
}

static int
ckpt_one(struct pg_store *p, const char *sql, const struct pg_bind *b, size_t n,
    struct store_checkpoint *ret, struct err *err)
{
	struct ckpt_out o = { p, { 0 } };
	int r = pg_row1(p, sql, "reading a checkpoint", err, fill_ckpt, &o, b, n);

	if (r == -LSN_ENOTFOUND)
		r = err_set(err, LSN_ENOTFOUND, "no checkpoint is stored");
	if (r == 0)
		*ret = o.c;
	return r;
}

int
pg_ckpt_latest(struct store *base, int64_t partner, struct store_checkpoint *ret,
    struct err *err)
{
	return ckpt_one(ps(base), CKPT_COLS "WHERE partner = $1 ORDER BY size DESC LIMIT 1",
	    PG_BINDS(PB_INT(partner)), ret, err);
}

int
pg_ckpt_get(struct store *base, int64_t partner, uint64_t size, struct store_checkpoint *ret,
    struct err *err)
{
	return ckpt_one(ps(base), CKPT_COLS "WHERE partner = $1 AND size = $2",
	    PG_BINDS(PB_INT(partner), PB_INT(i64_or_none(size))), ret, err);
}

/* In size order, a chunk at a time; the callback's note points into the chunk. */
int
pg_ckpt_scan(struct store *base, int64_t partner, store_ckpt_fn fn, void *arg,
    struct err *err)
{
	struct pg_store *p = ps(base);
	struct store_checkpoint c;
	PGresult *res;
	int64_t after = -1;
	int i, rows, r = 0;

	do {
		res = pg_query(p, CKPT_COLS "WHERE partner = $1 AND size > $2 ORDER BY size LIMIT $3",
		    "scanning checkpoints", err,
		    PG_BINDS(PB_INT(partner), PB_INT(after), PB_INT(PG_SCAN_CHUNK)));
		if (res == NULL)
			return pg_errcode(err);
		rows = PQntuples(res);
		for (i = 0; i < rows && r >= 0; i++) {
			row_ckpt(res, i, &c);
			after = (int64_t)c.size;
			r = fn(arg, &c);
		}
		PQclear(res);
	} while (r >= 0 && rows == PG_SCAN_CHUNK);
	return r < 0 ? r : 0;
}

/* ---- cosignatures ---- */

int
pg_cosig_put(struct store *base, const struct store_cosig *c, struct err *err)
{
	struct pg_store *p = ps(base);
	int known = 0, r;

	/* one per (size, partner): the first is kept, a later one is not an error */
	if ((r = pg_fence(p, err)) < 0)
		return r;
	r = pg_insert1(p, "INSERT INTO cosignatures(size, partner, time_us, line) "
	    "SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM partners WHERE rowid = $2) "
	    "ON CONFLICT DO NOTHING", "storing a cosignature", err,
	    PG_BINDS(PB_INT(i64_or_none(c->size)), PB_INT(c->partner), PB_INT(c->time_us),
	    PB_TEXTN(c->line ? c->line : "", c->line_len)));
	if (r != -LSN_EEXIST)
		return r;
	if ((r = partner_known(p, c->partner, &known, err)) < 0)
		return r;
	return known ? 0 : no_partner(c->partner, "its cosignature", err);
}

/*
 * Two shapes, each a range of the primary key (size, partner): one size's
 * cosignatures by partner, or all of them by (size, partner), in keyset
 * chunks after the last (size, partner) passed.
 */
static PGresult *
cosig_chunk(struct pg_store *p, int64_t size, int64_t partner, int64_t at_size,
    int64_t at_partner, struct err *err)
{
	if (size >= 0)
		return pg_query(p, "SELECT size, partner, time_us, line FROM cosignatures "
		    "WHERE size = $1 AND ($2 = 0 OR partner = $2) AND partner > $3 "
		    "ORDER BY partner LIMIT $4", "reading cosignatures", err,
		    PG_BINDS(PB_INT(size), PB_INT(partner), PB_INT(at_partner),
		    PB_INT(PG_SCAN_CHUNK)));
	return pg_query(p, "SELECT size, partner, time_us, line FROM cosignatures "
	    "WHERE ($1 = 0 OR partner = $1) AND (size, partner) > ($2, $3) "
	    "ORDER BY size, partner LIMIT $4", "reading cosignatures", err,
	    PG_BINDS(PB_INT(partner), PB_INT(at_size), PB_INT(at_partner),
	    PB_INT(PG_SCAN_CHUNK)));
}

int
pg_cosig_scan(struct store *base, uint64_t size, int64_t partner, store_cosig_fn fn,
    void *arg, struct err *err)
{
	struct pg_store *p = ps(base);
	struct store_cosig c;
	PGresult *res;
	int64_t want = size == UINT64_MAX ? -1 : i64_or_none(size);
	int64_t at_size = INT64_MIN, at_partner = INT64_MIN;
	int i, rows, r = 0;

	do {
		if ((res = cosig_chunk(p, want, partner, at_size, at_partner, err)) == NULL)
			return pg_errcode(err);
		rows = PQntuples(res);
		for (i = 0; i < rows && r >= 0; i++) {
			c.size = (uint64_t)pg_i64(res, i, 0);
			c.partner = pg_i64(res, i, 1);
			c.time_us = pg_i64(res, i, 2);
			c.line = pg_text(res, i, 3);
			c.line_len = (size_t)PQgetlength(res, i, 3);
			at_size = (int64_t)c.size;
			at_partner = c.partner;
			r = fn(arg, &c);
		}
		PQclear(res);
	} while (r >= 0 && rows == PG_SCAN_CHUNK);
	return r < 0 ? r : 0;
}

/* Aggregates always give a row: NULL (no rows) reads as 0. */
static int
count_of(struct pg_store *p, const char *sql, int64_t partner, uint64_t *ret,
    const char *what, struct err *err)
{
	int64_t v;
	int r = pg_row1(p, sql, what, err, pg_fill_int64, &v, PG_BINDS(PB_INT(partner)));

	if (r == 0)
		*ret = (uint64_t)v;
	return r;
}

int
pg_cosig_latest(struct store *base, int64_t partner, uint64_t *ret_size, struct err *err)
{
	/* one partner's from cosignatures_partner (partner, size), all from the primary key */
	return count_of(ps(base), partner != 0 ?
	    "SELECT max(size) FROM cosignatures WHERE partner = $1" :
	    "SELECT max(size) FROM cosignatures WHERE $1 = 0", partner, ret_size,
	    "reading cosignatures", err);
}

/* ---- equivocation ---- */

int
pg_equivocation_add(struct store *base, int64_t partner, const char *note_a,
    const char *note_b, const char *reason, int64_t time_us, struct err *err)
{
	struct pg_store *p = ps(base);
	int r;

	if ((r = pg_fence(p, err)) < 0)
		return r;
	r = pg_change1(p, "INSERT INTO equivocations(partner, time_us, reason, note_a, note_b) "
	    "SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM partners WHERE rowid = $1)",
	    "storing equivocation evidence", err, PG_BINDS(PB_INT(partner), PB_INT(time_us),
	    PB_TEXT(reason), PB_TEXT(note_a), PB_TEXT(note_b)));
	if (r == -LSN_ENOTFOUND)
		return no_partner(partner, "evidence of its equivocation", err);
	if (r < 0)
		return r;
	return pg_exec1(p, "UPDATE partners SET compromised_us = $2 "
	    "WHERE rowid = $1 AND compromised_us = 0", "marking a partner compromised", err,
	    PG_BINDS(PB_INT(partner), PB_INT(time_us)));
}

int
pg_equivocation_count(struct store *base, int64_t partner, uint64_t *ret, struct err *err)
{
	return count_of(ps(base), partner != 0 ?
	    "SELECT count(*) FROM equivocations WHERE partner = $1" :
	    "SELECT count(*) FROM equivocations WHERE $1 = 0", partner, ret,
	    "counting equivocations", err);
}

const struct store_ledger_ops pg_ledger_ops = {
	.version = STORE_LEDGER_VERSION,
	.log_size = pg_log_size,
	.log_append = pg_log_append,
	.log_hashes = pg_log_hashes,
	.log_entry = pg_log_entry,
	.log_scan = pg_log_scan,
	.ckpt_put = pg_ckpt_put,
	.ckpt_latest = pg_ckpt_latest,
	.ckpt_get = pg_ckpt_get,
	.ckpt_scan = pg_ckpt_scan,
	.cosig_put = pg_cosig_put,
	.cosig_scan = pg_cosig_scan,
	.cosig_latest = pg_cosig_latest,
	.equivocation_add = pg_equivocation_add,
	.equivocation_count = pg_equivocation_count,
};
