/*
 * The ledger's tables in the SQLite backend: leaves (entry and tree hashes
 * by index), checkpoints, partners' cosignatures and equivocation evidence.
 * Stores and reads bytes; the Merkle arithmetic and every check live in
 * src/ledger/, which calls these inside the writer's transactions.
 */
#include "store/sqlite_int.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>

static int
fill_size(void *arg, sqlite3_stmt *st, struct err *err)
{
	uint64_t *size = arg;

	*size = sqlite3_column_type(st, 0) == SQLITE_NULL ? 0 :
	    (uint64_t)sqlite3_column_int64(st, 0) + 1;
	return 0;
}

int
sqlite_log_size(struct store *base, uint64_t *ret, struct err *err)
{
	/* max(rowid) reads the right edge of the b-tree: O(log n) */
	return sqlite_row1(ss(base), "SELECT max(idx) FROM ledger_tree", "reading the ledger's size",
	    err, fill_size, ret, NULL, 0);
}

static int
insert_blob(struct sqlite_store *s, const char *sql, uint64_t idx, const void *p, size_t len,
    const char *what, struct err *err)
{
	return sqlite_exec1(s, sql, what, err,
	    SQLITE_BINDS(SB_INT((int64_t)idx), SB_BLOB(p ? p : "", len)));
}

int
sqlite_log_append(struct store *base, const struct store_leaf *l, struct err *err)
{
	struct sqlite_store *s = ss(base);
	int r;

	/*
	 * The caller (ledger_append) took idx from log_size in this transaction,
	 * so it is the next index; the primary keys refuse a duplicate.
	 */
	if (l->idx > INT64_MAX || l->hashes == NULL || l->hashes_len < 32 || l->hashes_len % 32)
		return err_set(err, LSN_EINVAL, "store: leaf %llu is malformed",
		    (unsigned long long)l->idx);
	if ((r = insert_blob(s, "INSERT INTO ledger_entries(idx, entry) VALUES (?1, ?2)", l->idx,
	    l->entry, l->entry_len, "storing a ledger entry", err)) < 0)
		return r;
	return insert_blob(s, "INSERT INTO ledger_tree(idx, hashes) VALUES (?1, ?2)", l->idx,
	    l->hashes, l->hashes_len, "storing ledger hashes", err);
}

struct blob_out {
	uint64_t idx;
	uint8_t *out;
	size_t cap;
	size_t *len;
};

static int
fill_blob(void *arg, sqlite3_stmt *st, struct err *err)
{
	struct blob_out *o = arg;
	size_t n = (size_t)sqlite3_column_bytes(st, 0);

	if (n > o->cap)
		return err_set(err, LSN_ETOOBIG, "store: ledger row %llu has %zu bytes, more than "
		    "the %zu expected", (unsigned long long)o->idx, n, o->cap);
	if (n > 0)
		memcpy(o->out, sqlite3_column_blob(st, 0), n);
	*o->len = n;
	return 0;
}

static int
read_blob(struct sqlite_store *s, const char *sql, uint64_t idx, uint8_t *out, size_t cap,
    size_t *ret_len, struct err *err)
{
	struct blob_out o = { idx, out, cap, ret_len };
	int r = sqlite_row1(s, sql, "reading the ledger", err, fill_blob, &o,
	    SQLITE_BINDS(SB_INT(idx > INT64_MAX ? -1 : (int64_t)idx)));

	if (r == -LSN_ENOTFOUND)
		err_set(err, LSN_ENOTFOUND, "the ledger has no leaf %llu", (unsigned long long)idx);
	return r;
}

int
sqlite_log_hashes(struct store *base, uint64_t idx, uint8_t *out, size_t cap, size_t *ret_len,
    struct err *err)
{
	return read_blob(ss(base), "SELECT hashes FROM ledger_tree WHERE idx = ?1", idx, out, cap,
	    ret_len, err);
}

int
sqlite_log_entry(struct store *base, uint64_t idx, uint8_t *out, size_t cap, size_t *ret_len,
    struct err *err)
{
	return read_blob(ss(base), "SELECT entry FROM ledger_entries WHERE idx = ?1", idx, out, cap,
	    ret_len, err);
}

/*
 * Entries drive the scan, their tree rows joined: a missing entry shows as
 * a gap in idx, a missing tree row as hashes NULL; tree rows beyond the
 * last entry are passed with an empty entry (idx set, entry NULL).
 */
int
sqlite_log_scan(struct store *base, uint64_t from, store_leaf_fn fn, void *arg, struct err *err)
{
	struct sqlite_store *s = ss(base);
	struct store_leaf l;
	sqlite3_stmt *st;
	int r, rc;

	if ((r = sqlite_prep(s, "SELECT e.idx, e.entry, t.hashes FROM ledger_entries e "
	    "LEFT JOIN ledger_tree t ON t.idx = e.idx WHERE e.idx >= ?1 "
	    "UNION ALL SELECT t.idx, NULL, t.hashes FROM ledger_tree t WHERE t.idx >= ?1 AND "
	    "NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.idx = t.idx) ORDER BY 1",
	    &st, err)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, from > INT64_MAX ? INT64_MAX : (int64_t)from);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&l, 0, sizeof(l));
		l.idx = (uint64_t)sqlite3_column_int64(st, 0);
		l.entry = sqlite3_column_blob(st, 1);
		l.entry_len = (size_t)sqlite3_column_bytes(st, 1);
		if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
			l.hashes = sqlite3_column_blob(st, 2);
			l.hashes_len = (size_t)sqlite3_column_bytes(st, 2);
		}
		if ((r = fn(arg, &l)) < 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		r = sqlite_db_err(s, err, "scanning the ledger");
out:
	sqlite_unprep(s, st);
	return r;
}

/* ---- checkpoints ---- */

int
sqlite_ckpt_put(struct store *base, const struct store_checkpoint *c, struct err *err)
{
	int r;

	if (c->size > INT64_MAX)
		return err_set(err, LSN_EINVAL, "store: checkpoint size out of range");
	r = sqlite_exec1(ss(base), "INSERT INTO checkpoints(partner, size, root, time_us, note) "
	    "VALUES (?1, ?2, ?3, ?4, ?5)", "storing a checkpoint", err,
	    SQLITE_BINDS(SB_INT(c->partner), SB_INT((int64_t)c->size), SB_HASH(c->root),
	    SB_INT(c->time_us), SB_TEXTN(c->note, c->note_len)));
	if (r == -LSN_EEXIST)
		r = err_set(err, LSN_EEXIST, "a checkpoint of size %llu is already stored",
		    (unsigned long long)c->size);
	return r;
}

static void
row_ckpt(sqlite3_stmt *st, struct store_checkpoint *c)
{
	const void *root = sqlite3_column_blob(st, 2);

	memset(c, 0, sizeof(*c));
	c->partner = sqlite3_column_int64(st, 0);
	c->size = (uint64_t)sqlite3_column_int64(st, 1);
	if (root != NULL && sqlite3_column_bytes(st, 2) == 32)
		memcpy(c->root, root, 32);
	c->time_us = sqlite3_column_int64(st, 3);
	c->note = (const char *)sqlite3_column_text(st, 4);
	c->note_len = (size_t)sqlite3_column_bytes(st, 4);
}

#define CKPT_COLS "SELECT partner, size, root, time_us, note FROM checkpoints "

struct ckpt_out {
	struct sqlite_store *s;
	struct store_checkpoint c;
};

/* One checkpoint, its note copied to s->note so it outlives the statement. */
static int
fill_ckpt(void *arg, sqlite3_stmt *st, struct err *err)
{
	struct ckpt_out *o = arg;
	int r;

	row_ckpt(st, &o->c);
	buf_reset(&o->s->note);
	if ((r = buf_add(&o->s->note, o->c.note, o->c.note_len)) < 0)
		return err_set(err, -r, "store: no room to read a checkpoint");
	o->c.note = o->s->note.data;
	return 0;
}

static int
ckpt_one(struct sqlite_store *s, const char *sql, const struct sqlite_bind *b, size_t n,
    struct store_checkpoint *ret, struct err *err)
{
	struct ckpt_out o = { s, { 0 } };
	int r = sqlite_row1(s, sql, "reading a checkpoint", err, fill_ckpt, &o, b, n);

	if (r == -LSN_ENOTFOUND)
		r = err_set(err, LSN_ENOTFOUND, "no checkpoint is stored");
	if (r == 0)
		*ret = o.c;
	return r;
}

int
sqlite_ckpt_latest(struct store *base, int64_t partner, struct store_checkpoint *ret,
    struct err *err)
{
	return ckpt_one(ss(base), CKPT_COLS "WHERE partner = ?1 ORDER BY size DESC LIMIT 1",
	    SQLITE_BINDS(SB_INT(partner)), ret, err);
}

int
sqlite_ckpt_get(struct store *base, int64_t partner, uint64_t size, struct store_checkpoint *ret,
    struct err *err)
{
	return ckpt_one(ss(base), CKPT_COLS "WHERE partner = ?1 AND size = ?2",
	    SQLITE_BINDS(SB_INT(partner), SB_INT(size > INT64_MAX ? -1 : (int64_t)size)), ret, err);
}

int
sqlite_ckpt_scan(struct store *base, int64_t partner, store_ckpt_fn fn, void *arg,
    struct err *err)
{
	struct sqlite_store *s = ss(base);
	struct store_checkpoint c;
	sqlite3_stmt *st;
	int r, rc;

	if ((r = sqlite_prep(s, CKPT_COLS "WHERE partner = ?1 ORDER BY size", &st, err)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, partner);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_ckpt(st, &c);
		if ((r = fn(arg, &c)) < 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		r = sqlite_db_err(s, err, "scanning checkpoints");
out:
	sqlite_unprep(s, st);
	return r;
}

/* ---- cosignatures ---- */

int
sqlite_cosig_put(struct store *base, const struct store_cosig *c, struct err *err)
{
	return sqlite_exec1(ss(base), "INSERT INTO cosignatures(size, partner, time_us, line) "
	    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING", "storing a cosignature", err,
	    SQLITE_BINDS(SB_INT(c->size > INT64_MAX ? -1 : (int64_t)c->size), SB_INT(c->partner),
	    SB_INT(c->time_us), SB_TEXTN(c->line, c->line_len)));
}

int
sqlite_cosig_scan(struct store *base, uint64_t size, int64_t partner, store_cosig_fn fn,
    void *arg, struct err *err)
{
	struct sqlite_store *s = ss(base);
	struct store_cosig c;
	sqlite3_stmt *st;
	int r, rc;

	if ((r = sqlite_prep(s, "SELECT size, partner, time_us, line FROM cosignatures "
	    "WHERE (?1 < 0 OR size = ?1) AND (?2 = 0 OR partner = ?2) ORDER BY size, partner",
	    &st, err)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, size == UINT64_MAX || size > INT64_MAX ? -1 : (int64_t)size);
	sqlite3_bind_int64(st, 2, partner);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		c.size = (uint64_t)sqlite3_column_int64(st, 0);
		c.partner = sqlite3_column_int64(st, 1);
		c.time_us = sqlite3_column_int64(st, 2);
		c.line = (const char *)sqlite3_column_text(st, 3);
		c.line_len = (size_t)sqlite3_column_bytes(st, 3);
		if ((r = fn(arg, &c)) < 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		r = sqlite_db_err(s, err, "reading cosignatures");
out:
	sqlite_unprep(s, st);
	return r;
}

/* Aggregates always give a row: NULL (no rows) reads as 0. */
static int
count_of(struct sqlite_store *s, const char *sql, int64_t partner, uint64_t *ret,
    const char *what, struct err *err)
{
	int64_t v;
	int r = sqlite_row1(s, sql, what, err, sqlite_fill_int64, &v, SQLITE_BINDS(SB_INT(partner)));

	if (r == 0)
		*ret = (uint64_t)v;
	return r;
}

int
sqlite_cosig_latest(struct store *base, int64_t partner, uint64_t *ret_size, struct err *err)
{
	return count_of(ss(base), "SELECT max(size) FROM cosignatures WHERE ?1 = 0 OR partner = ?1",
	    partner, ret_size, "reading cosignatures", err);
}

/* ---- equivocation ---- */

int
sqlite_equivocation_add(struct store *base, int64_t partner, const char *note_a,
    const char *note_b, const char *reason, int64_t time_us, struct err *err)
{
	struct sqlite_store *s = ss(base);
	int r;

	if ((r = sqlite_exec1(s, "INSERT INTO equivocations(partner, time_us, reason, note_a, "
	    "note_b) VALUES (?1, ?2, ?3, ?4, ?5)", "storing equivocation evidence", err,
	    SQLITE_BINDS(SB_INT(partner), SB_INT(time_us), SB_TEXT(reason), SB_TEXT(note_a),
	    SB_TEXT(note_b)))) < 0)
		return r;
	return sqlite_exec1(s, "UPDATE partners SET compromised_us = ?2 "
	    "WHERE rowid = ?1 AND compromised_us = 0", "marking a partner compromised", err,
	    SQLITE_BINDS(SB_INT(partner), SB_INT(time_us)));
}

int
sqlite_equivocation_count(struct store *base, int64_t partner, uint64_t *ret, struct err *err)
{
	return count_of(ss(base), "SELECT count(*) FROM equivocations WHERE ?1 = 0 OR partner = ?1",
	    partner, ret, "counting equivocations", err);
}

/* ---- agreements and the policy log ---- */

int
sqlite_partner_set_agreement(struct store *base, int64_t rowid, int which, const uint8_t *hash,
    struct err *err)
{
	int r = sqlite_change1(ss(base), which ?
	    "UPDATE partners SET peer_agreement = ?2 WHERE rowid = ?1" :
	    "UPDATE partners SET agreement = ?2 WHERE rowid = ?1", "storing an agreement's hash",
	    err, SQLITE_BINDS(SB_INT(rowid), SB_HASH(hash)));

	if (r == -LSN_ENOTFOUND)
		r = err_set(err, LSN_ENOTFOUND, "no partner has id %lld", (long long)rowid);
	return r;
}

int
sqlite_policy_log_add(struct store *base, const struct store_policy_entry *e, struct err *err)
{
	return sqlite_exec1(ss(base), "INSERT INTO policy_log(time_us, partner, dir, object, "
	    "version, rule, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	    "recording a policy decision", err, SQLITE_BINDS(SB_INT(e->time_us),
	    SB_INT(e->partner), SB_INT(e->dir), SB_TEXT(e->object),
	    SB_TEXT(e->version ? e->version : ""), SB_TEXT(e->rule), SB_TEXT(e->reason)));
}

int
sqlite_policy_log_scan(struct store *base, int64_t partner, size_t limit, store_policy_fn fn,
    void *arg, struct err *err)
{
	struct sqlite_store *s = ss(base);
	struct store_policy_entry e;
	sqlite3_stmt *st;
	int r, rc;

	if ((r = sqlite_prep(s, "SELECT time_us, partner, dir, object, version, rule, reason "
	    "FROM policy_log WHERE ?1 = 0 OR partner = ?1 ORDER BY rowid DESC LIMIT ?2",
	    &st, err)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, partner);
	sqlite3_bind_int64(st, 2, limit == 0 || limit > INT64_MAX ? -1 : (int64_t)limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		e.time_us = sqlite3_column_int64(st, 0);
		e.partner = sqlite3_column_int64(st, 1);
		e.dir = sqlite3_column_int(st, 2);
		e.object = (const char *)sqlite3_column_text(st, 3);
		e.version = (const char *)sqlite3_column_text(st, 4);
		e.rule = (const char *)sqlite3_column_text(st, 5);
		e.reason = (const char *)sqlite3_column_text(st, 6);
		if ((r = fn(arg, &e)) < 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		r = sqlite_db_err(s, err, "reading the policy log");
out:
	sqlite_unprep(s, st);
	return r;
}

int
sqlite_policy_log_counts(struct store *base, int64_t since_us, store_policy_count_fn fn,
    void *arg, struct err *err)
{
	struct sqlite_store *s = ss(base);
	struct store_policy_count c;
	sqlite3_stmt *st;
	int r, rc;

	/* policy_log_time covers the count: the rows themselves are not read */
	if ((r = sqlite_prep(s, "SELECT partner, dir, rule, count(*), max(time_us) "
	    "FROM policy_log INDEXED BY policy_log_time WHERE time_us >= ?1 "
	    "GROUP BY partner, dir, rule ORDER BY partner, dir, rule", &st, err)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, since_us);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		c.partner = sqlite3_column_int64(st, 0);
		c.dir = sqlite3_column_int(st, 1);
		c.rule = (const char *)sqlite3_column_text(st, 2);
		c.n = (uint64_t)sqlite3_column_int64(st, 3);
		c.last_us = sqlite3_column_int64(st, 4);
		if ((r = fn(arg, &c)) < 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		r = sqlite_db_err(s, err, "counting the policy log");
out:
	sqlite_unprep(s, st);
	return r;
}
