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

int
sqlite_log_size(struct store *base, uint64_t *ret, struct err *err)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int r;

	/* max(rowid) reads the right edge of the b-tree: O(log n) */
	if ((r = sqlite_prep(s, "SELECT max(idx) FROM ledger_tree", &st, err)) < 0)
		return r;
	if (sqlite3_step(st) != SQLITE_ROW)
		r = sqlite_db_err(s, err, "reading the ledger's size");
	else if (sqlite3_column_type(st, 0) == SQLITE_NULL)
		*ret = 0;
	else
		*ret = (uint64_t)sqlite3_column_int64(st, 0) + 1;
	sqlite_unprep(s, st);
	return r;
}

static int
insert_blob(struct sqlite_store *s, const char *sql, uint64_t idx, const void *p, size_t len,
    const char *what, struct err *err)
{
	sqlite3_stmt *st;
	int r;

	if ((r = sqlite_prep(s, sql, &st, err)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, (int64_t)idx);
	sqlite3_bind_blob64(st, 2, p ? p : "", len, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = sqlite_db_err(s, err, what);
	sqlite_unprep(s, st);
	return r;
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

static int
read_blob(struct sqlite_store *s, const char *sql, uint64_t idx, uint8_t *out, size_t cap,
    size_t *ret_len, struct err *err)
{
	sqlite3_stmt *st;
	size_t n;
	int r, rc;

	if ((r = sqlite_prep(s, sql, &st, err)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, idx > INT64_MAX ? -1 : (int64_t)idx);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		n = (size_t)sqlite3_column_bytes(st, 0);
		if (n > cap)
			r = err_set(err, LSN_ETOOBIG, "store: ledger row %llu has %zu bytes, more than "
			    "the %zu expected", (unsigned long long)idx, n, cap);
		else {
			if (n > 0)
				memcpy(out, sqlite3_column_blob(st, 0), n);
			*ret_len = n;
		}
	} else if (rc == SQLITE_DONE) {
		r = err_set(err, LSN_ENOTFOUND, "the ledger has no leaf %llu", (unsigned long long)idx);
	} else {
		r = sqlite_db_err(s, err, "reading the ledger");
	}
	sqlite_unprep(s, st);
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
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int r;

	if (c->size > INT64_MAX)
		return err_set(err, LSN_EINVAL, "store: checkpoint size out of range");
	if ((r = sqlite_prep(s, "INSERT INTO checkpoints(partner, size, root, time_us, note) "
	    "VALUES (?1, ?2, ?3, ?4, ?5)", &st, err)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, c->partner);
	sqlite3_bind_int64(st, 2, (int64_t)c->size);
	sqlite3_bind_blob(st, 3, c->root, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, c->time_us);
	sqlite3_bind_text64(st, 5, c->note, c->note_len, SQLITE_STATIC, SQLITE_UTF8);
	if (sqlite3_step(st) != SQLITE_DONE) {
		if (sqlite3_errcode(s->db) == SQLITE_CONSTRAINT)
			r = err_set(err, LSN_EEXIST, "a checkpoint of size %llu is already stored",
			    (unsigned long long)c->size);
		else
			r = sqlite_db_err(s, err, "storing a checkpoint");
	}
	sqlite_unprep(s, st);
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

/* One checkpoint, its note copied to s->note so ret outlives the statement. */
static int
ckpt_one(struct sqlite_store *s, sqlite3_stmt *st, struct store_checkpoint *ret, struct err *err)
{
	struct store_checkpoint c;
	int rc = sqlite3_step(st), r = 0;

	if (rc == SQLITE_ROW) {
		row_ckpt(st, &c);
		buf_reset(&s->note);
		if ((r = buf_add(&s->note, c.note, c.note_len)) < 0)
			r = err_set(err, -r, "store: no room to read a checkpoint");
		c.note = s->note.data;
	} else if (rc == SQLITE_DONE) {
		r = err_set(err, LSN_ENOTFOUND, "no checkpoint is stored");
	} else {
		r = sqlite_db_err(s, err, "reading a checkpoint");
	}
	sqlite_unprep(s, st);
	if (r == 0)
		*ret = c;
	return r;
}

int
sqlite_ckpt_latest(struct store *base, int64_t partner, struct store_checkpoint *ret,
    struct err *err)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int r;

	if ((r = sqlite_prep(s, CKPT_COLS "WHERE partner = ?1 ORDER BY size DESC LIMIT 1",
	    &st, err)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, partner);
	return ckpt_one(s, st, ret, err);
}

int
sqlite_ckpt_get(struct store *base, int64_t partner, uint64_t size, struct store_checkpoint *ret,
    struct err *err)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int r;

	if ((r = sqlite_prep(s, CKPT_COLS "WHERE partner = ?1 AND size = ?2", &st, err)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, partner);
	sqlite3_bind_int64(st, 2, size > INT64_MAX ? -1 : (int64_t)size);
	return ckpt_one(s, st, ret, err);
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
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int r;

	if ((r = sqlite_prep(s, "INSERT INTO cosignatures(size, partner, time_us, line) "
	    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING", &st, err)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, c->size > INT64_MAX ? -1 : (int64_t)c->size);
	sqlite3_bind_int64(st, 2, c->partner);
	sqlite3_bind_int64(st, 3, c->time_us);
	sqlite3_bind_text64(st, 4, c->line, c->line_len, SQLITE_STATIC, SQLITE_UTF8);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = sqlite_db_err(s, err, "storing a cosignature");
	sqlite_unprep(s, st);
	return r;
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

int
sqlite_cosig_latest(struct store *base, int64_t partner, uint64_t *ret_size, struct err *err)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int r;

	if ((r = sqlite_prep(s, "SELECT max(size) FROM cosignatures WHERE ?1 = 0 OR partner = ?1",
	    &st, err)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, partner);
	if (sqlite3_step(st) != SQLITE_ROW)
		r = sqlite_db_err(s, err, "reading cosignatures");
	else
		*ret_size = (uint64_t)sqlite3_column_int64(st, 0);   /* NULL reads as 0 */
	sqlite_unprep(s, st);
	return r;
}

/* ---- equivocation ---- */

int
sqlite_equivocation_add(struct store *base, int64_t partner, const char *note_a,
    const char *note_b, const char *reason, int64_t time_us, struct err *err)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int r;

	if ((r = sqlite_prep(s, "INSERT INTO equivocations(partner, time_us, reason, note_a, note_b) "
	    "VALUES (?1, ?2, ?3, ?4, ?5)", &st, err)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, partner);
	sqlite3_bind_int64(st, 2, time_us);
	sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, note_a, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, note_b, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = sqlite_db_err(s, err, "storing equivocation evidence");
	sqlite_unprep(s, st);
	if (r < 0)
		return r;
	if ((r = sqlite_prep(s, "UPDATE partners SET compromised_us = ?2 "
	    "WHERE rowid = ?1 AND compromised_us = 0", &st, err)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, partner);
	sqlite3_bind_int64(st, 2, time_us);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = sqlite_db_err(s, err, "marking a partner compromised");
	sqlite_unprep(s, st);
	return r;
}

int
sqlite_equivocation_count(struct store *base, int64_t partner, uint64_t *ret, struct err *err)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int r;

	if ((r = sqlite_prep(s, "SELECT count(*) FROM equivocations WHERE ?1 = 0 OR partner = ?1",
	    &st, err)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, partner);
	if (sqlite3_step(st) != SQLITE_ROW)
		r = sqlite_db_err(s, err, "counting equivocations");
	else
		*ret = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite_unprep(s, st);
	return r;
}

/* ---- agreements and the policy log ---- */

int
sqlite_partner_set_agreement(struct store *base, int64_t rowid, int which, const uint8_t *hash,
    struct err *err)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int r;

	if ((r = sqlite_prep(s, which ? "UPDATE partners SET peer_agreement = ?2 WHERE rowid = ?1" :
	    "UPDATE partners SET agreement = ?2 WHERE rowid = ?1", &st, err)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, rowid);
	if (hash != NULL)
		sqlite3_bind_blob(st, 2, hash, 32, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 2);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = sqlite_db_err(s, err, "storing an agreement's hash");
	else if (sqlite3_changes(s->db) == 0)
		r = err_set(err, LSN_ENOTFOUND, "no partner has id %lld", (long long)rowid);
	sqlite_unprep(s, st);
	return r;
}

int
sqlite_policy_log_add(struct store *base, const struct store_policy_entry *e, struct err *err)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int r;

	if ((r = sqlite_prep(s, "INSERT INTO policy_log(time_us, partner, dir, object, version, "
	    "rule, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", &st, err)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, e->time_us);
	sqlite3_bind_int64(st, 2, e->partner);
	sqlite3_bind_int(st, 3, e->dir);
	sqlite3_bind_text(st, 4, e->object, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, e->version ? e->version : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, e->rule, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, e->reason, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = sqlite_db_err(s, err, "recording a policy decision");
	sqlite_unprep(s, st);
	return r;
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
