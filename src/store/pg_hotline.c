/*
 * PostgreSQL backend, hotline cases and their steps (docs/hotline.md).
 * Mirrors sqlite_hotline.c: the store keeps what src/hotline/ decides; the
 * case row is the fold of its steps, each step kept with the exact bundle
 * it travels in. No policy here. Writes to cases and steps are singleton
 * writes (the hotline clock, the active daemon's): each checks the fence.
 */
#include "store/pg_int.h"
#include "store/store.h"
#include "util/err.h"

#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define CASE_COLS "id, partner, role, kind, state, opened_us, receipt_us, acked_us, " \
	"updated_us, ack_by, respond_by, preserve_until, remind_at, level, reminded, tlp, " \
	"next_check, summary"

static int64_t
limit_of(size_t n)
{
	return n == 0 || n > INT64_MAX ? INT64_MAX : (int64_t)n;
}

static void
case_row(PGresult *res, int row, struct store_case *c)
{
	memset(c, 0, sizeof(*c));
	pg_copy_text(c->id, sizeof(c->id), res, row, 0);
	c->partner = pg_i64(res, row, 1);
	c->role = (int)pg_i64(res, row, 2);
	c->kind = (int)pg_i64(res, row, 3);
	c->state = (int)pg_i64(res, row, 4);
	c->opened_us = pg_i64(res, row, 5);
	c->receipt_us = pg_i64(res, row, 6);
	c->acked_us = pg_i64(res, row, 7);
	c->updated_us = pg_i64(res, row, 8);
	c->ack_by = pg_i64(res, row, 9);
	c->respond_by = pg_i64(res, row, 10);
	c->preserve_until = pg_i64(res, row, 11);
	c->remind_at = pg_i64(res, row, 12);
	c->level = (int)pg_i64(res, row, 13);
	c->reminded = (int)pg_i64(res, row, 14);
	c->tlp = (int)pg_i64(res, row, 15);
	c->next_check_us = pg_i64(res, row, 16);
	pg_copy_text(c->summary, sizeof(c->summary), res, row, 17);
}

int
pg_case_put(struct store *base, const struct store_case *c, struct err *err)
{
	struct pg_store *p = ps(base);
	int r;

	if ((r = pg_fence(p, err)) < 0)
		return r;
	r = pg_change1(p, "INSERT INTO cases(" CASE_COLS ") SELECT $1, $2, $3, $4, $5, $6, $7, "
	    "$8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18 WHERE EXISTS (SELECT 1 FROM "
	    "partners WHERE rowid = $2) ON CONFLICT (id) DO UPDATE SET "
	    "partner = excluded.partner, role = excluded.role, kind = excluded.kind, "
	    "state = excluded.state, opened_us = excluded.opened_us, "
	    "receipt_us = excluded.receipt_us, acked_us = excluded.acked_us, "
	    "updated_us = excluded.updated_us, ack_by = excluded.ack_by, "
	    "respond_by = excluded.respond_by, preserve_until = excluded.preserve_until, "
	    "remind_at = excluded.remind_at, level = excluded.level, "
	    "reminded = excluded.reminded, tlp = excluded.tlp, next_check = excluded.next_check, "
	    "summary = excluded.summary", "storing a case", err,
	    PG_BINDS(PB_TEXT(c->id), PB_INT(c->partner),
	    PB_INT(c->role), PB_INT(c->kind), PB_INT(c->state), PB_INT(c->opened_us),
	    PB_INT(c->receipt_us), PB_INT(c->acked_us), PB_INT(c->updated_us), PB_INT(c->ack_by),
	    PB_INT(c->respond_by), PB_INT(c->preserve_until), PB_INT(c->remind_at),
	    PB_INT(c->level), PB_INT(c->reminded), PB_INT(c->tlp), PB_INT(c->next_check_us),
	    PB_TEXT(c->summary)));
	if (r == -LSN_ENOTFOUND)
		r = err_set(err, LSN_ENOTFOUND, "no partner has id %lld, so case %s cannot be stored",
		    (long long)c->partner, c->id);
	return r;
}

/* A key is a case id, or a uuid (prefix) in lower-case hex and dashes. */
static int
key_ok(const char *key)
{
	size_t i;

	if (strncmp(key, "incident--", 10) == 0)
		key += 10;
	for (i = 0; key[i] != '\0'; i++)
		if (!((key[i] >= '0' && key[i] <= '9') || (key[i] >= 'a' && key[i] <= 'f') ||
		    key[i] == '-'))
			return 0;
	return i >= 4 && i <= 36;
}

int
pg_case_get(struct store *base, const char *key, struct store_case *ret, struct err *err)
{
	struct store_case c;
	char lo[STIX_ID_MAX + 1], hi[STIX_ID_MAX + 1];
	PGresult *res;
	int n, whole = strncmp(key, "incident--", 10) == 0;

	if (!key_ok(key))
		return err_set(err, LSN_ENOTFOUND, "no case %.80s: a case is named by its id or the "
		    "first characters (4 or more) of its uuid", key);
	/* a whole id exactly; a uuid prefix as every id starting with it: one range of the key */
	snprintf(lo, sizeof(lo), "%s%s", whole ? "" : "incident--", key);
	snprintf(hi, sizeof(hi), "%s%s", lo, whole ? "\x01" : "~");
	res = pg_query(ps(base), "SELECT " CASE_COLS " FROM cases WHERE id >= $1 AND id < $2 "
	    "ORDER BY id = $1 DESC, id LIMIT 2", "reading a case", err,
	    PG_BINDS(PB_TEXT(lo), PB_TEXT(hi)));
	if (res == NULL)
		return pg_errcode(err);
	if ((n = PQntuples(res)) > 0)
		case_row(res, 0, &c);
	PQclear(res);
	if (n == 0)
		return err_set(err, LSN_ENOTFOUND, "no case %.80s", key);
	if (n > 1 && strcmp(c.id, lo) != 0)
		return err_set(err, LSN_EEXIST, "'%.80s' names more than one case: give more of its "
		    "uuid", key);
	*ret = c;
	return 0;
}

/*
 * case_scan's statement: only the filters the query has, so each shape
 * finds its index. The late cases come from the clocks' partial indexes
 * (state 1 opened waits for ack_by; 1, 2, 3 for respond_by); one
 * partner's cases of one role (the pledge) from cases_partner; the rest in
 * time order from cases_time. Final states: closed 6, refused 7,
 * withdrawn 8. Newest first, (opened_us, id) descending: keyset chunks.
 */
struct case_sql {
	char text[1024];
	size_t len;
	struct pg_bind b[8];
	size_t n;
};

/* Appends s; the statements are short and fixed, so the text always has room. */
static void
sql_add(struct case_sql *q, const char *s)
{
	size_t n = strlen(s);

	if (q->len + n < sizeof(q->text)) {
		memcpy(q->text + q->len, s, n + 1);
		q->len += n;
	}
}

/* " AND <col_op> $n", the parameter bound as b. */
static void
sql_cond(struct case_sql *q, const char *col_op, struct pg_bind b)
{
	char c[64];

	q->b[q->n++] = b;
	snprintf(c, sizeof(c), " AND %s $%zu", col_op, q->n);
	sql_add(q, c);
}

static void
case_sql_build(struct case_sql *q, const struct store_case_query *s, int keyed, int64_t at_us,
    const char *at_id, int64_t limit)
{
	char key[96];

	q->len = q->n = 0;
	sql_add(q, "SELECT " CASE_COLS " FROM ");
	if (s->overdue_at) {
		q->b[q->n++] = (struct pg_bind)PB_INT(s->now_us);
		sql_add(q, "(SELECT * FROM cases WHERE state = 1 AND ack_by > 0 AND ack_by < $1 "
		    "UNION SELECT * FROM cases WHERE state IN (1, 2, 3) AND respond_by > 0 AND "
		    "respond_by < $1) c WHERE true");
	} else {
		sql_add(q, "cases WHERE true");
	}
	if (s->partner != 0)
		sql_cond(q, "partner =", (struct pg_bind)PB_INT(s->partner));
	if (s->role != 0)
		sql_cond(q, "role =", (struct pg_bind)PB_INT(s->role));
	if (s->open_only || s->by_due)
		sql_add(q, " AND state < 6");
	if (keyed && s->by_due) {
		q->b[q->n++] = (struct pg_bind)PB_INT(at_us);
		q->b[q->n++] = (struct pg_bind)PB_TEXT(at_id);
		snprintf(key, sizeof(key), " AND (due_us, id) > ($%zu, $%zu)", q->n - 1, q->n);
		sql_add(q, key);
	} else if (keyed) {
		q->b[q->n++] = (struct pg_bind)PB_INT(at_us);
		q->b[q->n++] = (struct pg_bind)PB_TEXT(at_id);
		snprintf(key, sizeof(key), " AND (opened_us, id) < ($%zu, $%zu)", q->n - 1, q->n);
		sql_add(q, key);
	}
	q->b[q->n++] = (struct pg_bind)PB_INT(limit);
	snprintf(key, sizeof(key), s->by_due ? " ORDER BY due_us, id LIMIT $%zu" :
	    " ORDER BY opened_us DESC, id DESC LIMIT $%zu", q->n);
	sql_add(q, key);
}

/* Passes the rows of res; the last row's key in *at_us, at_id. */
static int
case_pass(PGresult *res, int by_due, store_case_fn fn, void *arg, int64_t *at_us, char *at_id,
    size_t at_cap)
{
	struct store_case c;
	int i, rows = PQntuples(res), r = 0;

	for (i = 0; i < rows && r >= 0; i++) {
		case_row(res, i, &c);
		*at_us = by_due ? store_case_deadline(&c) : c.opened_us;
		snprintf(at_id, at_cap, "%s", c.id);
		r = fn(arg, &c);
	}
	return r;
}

int
pg_case_scan(struct store *base, const struct store_case_query *q, store_case_fn fn,
    void *arg, struct err *err)
{
	struct pg_store *p = ps(base);
	struct case_sql sql;
	char at_id[STIX_ID_MAX + 1];
	PGresult *res;
	int64_t at_us = q->by_due ? q->after_due_us : q->before_us, left = limit_of(q->limit), chunk;
	int keyed = q->by_due ? q->after_id[0] != '\0' : q->before_us != 0, rows, r;

	snprintf(at_id, sizeof(at_id), "%s", q->by_due ? q->after_id : q->before_id);
	do {
		chunk = left < PG_SCAN_CHUNK ? left : PG_SCAN_CHUNK;
		case_sql_build(&sql, q, keyed, at_us, at_id, chunk);
		if ((res = pg_query(p, sql.text, "reading cases", err, sql.b, sql.n)) == NULL)
			return pg_errcode(err);
		rows = PQntuples(res);
		r = case_pass(res, q->by_due, fn, arg, &at_us, at_id, sizeof(at_id));
		PQclear(res);
		keyed = 1;
		left -= rows;
	} while (r >= 0 && rows == chunk && left > 0);
	return r < 0 ? r : 0;
}

/* For the escalation tick: bounded by limit, so one query. */
int
pg_case_due(struct store *base, int64_t now_us, size_t limit, store_case_fn fn, void *arg,
    struct err *err)
{
	PGresult *res;
	int64_t at_us;
	char at_id[STIX_ID_MAX + 1];
	int r;

	res = pg_query(ps(base), "SELECT " CASE_COLS " FROM cases WHERE next_check > 0 AND "
	    "next_check <= $1 ORDER BY next_check, id LIMIT $2", "reading cases", err,
	    PG_BINDS(PB_INT(now_us), PB_INT(limit_of(limit))));
	if (res == NULL)
		return pg_errcode(err);
	r = case_pass(res, 0, fn, arg, &at_us, at_id, sizeof(at_id));
	PQclear(res);
	return r < 0 ? r : 0;
}

static int
fill_counts(void *arg, PGresult *res, int row, struct err *err)
{
	struct store_case_counts *ret = arg;
	int state = (int)pg_i64(res, row, 0), level = (int)pg_i64(res, row, 1);
	uint64_t n = (uint64_t)pg_i64(res, row, 2);

	if (state >= 1 && state <= 8)
		ret->by_state[state] += n;
	if (state >= 1 && state < 6 && level >= 0 && level < 16)
		ret->open_by_level[level] += n;
	return 0;
}

int
pg_case_count(struct store *base, int64_t now_us, struct store_case_counts *ret,
    struct err *err)
{
	struct pg_store *p = ps(base);
	int64_t late;
	int r;

	memset(ret, 0, sizeof(*ret));
	/* cases_state (state, level) covers this: an index-only scan */
	if ((r = pg_rows(p, "SELECT state, level, count(*) FROM cases GROUP BY state, level",
	    "counting cases", err, fill_counts, ret, PG_NOBINDS)) < 0)
		return r;
	/* the partial indexes on the clocks answer alone; a case late on both counts once */
	if ((r = pg_row1(p, "SELECT (SELECT count(*) FROM cases WHERE state = 1 AND ack_by > 0 "
	    "AND ack_by < $1) + (SELECT count(*) FROM cases WHERE state IN (1, 2, 3) AND "
	    "respond_by > 0 AND respond_by < $1 AND NOT (state = 1 AND ack_by > 0 AND "
	    "ack_by < $1))", "counting late cases", err, pg_fill_int64, &late,
	    PG_BINDS(PB_INT(now_us)))) == 0)
		ret->late = (uint64_t)late;
	return r;
}

static int
fill_exists(void *arg, PGresult *res, int row, struct err *err)
{
	*(int *)arg = pg_i64(res, row, 0) != 0;
	return 0;
}

/*
 * The inserts naming a partner insert nothing without it (a foreign key
 * that failed would abort the transaction); this says which of the two
 * reasons kept a step out.
 */
static int
step_refused(struct pg_store *p, const struct store_step *x, struct err *err)
{
	int known = 0, r;

	if ((r = pg_row1(p, "SELECT EXISTS (SELECT 1 FROM partners WHERE rowid = $1)",
	    "storing a case step", err, fill_exists, &known, PG_BINDS(PB_INT(x->partner)))) < 0)
		return r;
	if (!known)
		return err_set(err, LSN_ENOTFOUND, "no partner has id %lld, so a step of case %s "
		    "cannot be stored", (long long)x->partner, x->case_id);
	return err_set(err, LSN_EEXIST, "store: storing a case step failed: a step of case %s "
	    "with that hash is already stored", x->case_id);
}

int
pg_step_add(struct store *base, struct store_step *x, struct err *err)
{
	struct pg_store *p = ps(base);
	int r;

	if ((r = pg_fence(p, err)) < 0)
		return r;
	r = pg_row1(p, "INSERT INTO case_steps(case_id, partner, dir, hash, prev, step, "
	    "env_kind, time_us, recorded_us, status, reason, env_seq, receipt_us, body) SELECT "
	    "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14 WHERE EXISTS (SELECT 1 "
	    "FROM partners WHERE rowid = $2) ON CONFLICT DO NOTHING RETURNING rowid",
	    "storing a case step", err, pg_fill_int64, &x->rowid,
	    PG_BINDS(PB_TEXT(x->case_id), PB_INT(x->partner), PB_INT(x->dir),
	    PB_HASH(x->hash), PB_HASH(x->prev), PB_INT(x->step), PB_INT(x->env_kind),
	    PB_INT(x->time_us), PB_INT(x->recorded_us), PB_INT(x->status), PB_TEXT(x->reason),
	    PB_INT(x->env_seq > INT64_MAX ? INT64_MAX : (int64_t)x->env_seq),
	    PB_INT(x->receipt_us), PB_BLOB(x->body ? x->body : (const uint8_t *)"", x->len)));
	if (r == -LSN_ENOTFOUND)
		r = step_refused(p, x, err);
	return r;
}

#define STEP_COLS "rowid, case_id, partner, dir, hash, prev, step, env_kind, time_us, " \
	"recorded_us, status, reason, env_seq, receipt_us"

static void
step_row(PGresult *res, int row, struct store_step *x, int with_body)
{
	memset(x, 0, sizeof(*x));
	x->rowid = pg_i64(res, row, 0);
	pg_copy_text(x->case_id, sizeof(x->case_id), res, row, 1);
	x->partner = pg_i64(res, row, 2);
	x->dir = (int)pg_i64(res, row, 3);
	pg_copy_hash(x->hash, res, row, 4);
	pg_copy_hash(x->prev, res, row, 5);
	x->step = (int)pg_i64(res, row, 6);
	x->env_kind = (int)pg_i64(res, row, 7);
	x->time_us = pg_i64(res, row, 8);
	x->recorded_us = pg_i64(res, row, 9);
	x->status = (int)pg_i64(res, row, 10);
	pg_copy_text(x->reason, sizeof(x->reason), res, row, 11);
	x->env_seq = (uint64_t)pg_i64(res, row, 12);
	x->receipt_us = pg_i64(res, row, 13);
	if (with_body)
		x->body = pg_bytes(res, row, 14, &x->len);
}

/*
 * Steps in rowid order, a keyset chunk at a time: sql takes $1 the key
 * (case id or partner), $2 the last rowid passed, $3 the chunk's size.
 */
static int
step_chunks(struct pg_store *p, const char *sql, struct pg_bind key, int with_body,
    int64_t max, store_step_fn fn, void *arg, struct err *err)
{
	struct store_step x;
	PGresult *res;
	int64_t after = 0, chunk;
	int i, rows, r = 0;

	do {
		chunk = max < PG_SCAN_CHUNK ? max : PG_SCAN_CHUNK;
		res = pg_query(p, sql, "reading case steps", err,
		    PG_BINDS(key, PB_INT(after), PB_INT(chunk)));
		if (res == NULL)
			return pg_errcode(err);
		rows = PQntuples(res);
		for (i = 0; i < rows && r >= 0; i++) {
			step_row(res, i, &x, with_body);
			after = x.rowid;
			r = fn(arg, &x);
		}
		PQclear(res);
		max -= rows;
	} while (r >= 0 && rows == chunk && max > 0);
	return r < 0 ? r : 0;
}

int
pg_step_scan(struct store *base, const char *case_id, int with_body, store_step_fn fn,
    void *arg, struct err *err)
{
	return step_chunks(ps(base), with_body ?
	    "SELECT " STEP_COLS ", body FROM case_steps WHERE case_id = $1 AND rowid > $2 "
	    "ORDER BY rowid LIMIT $3" :
	    "SELECT " STEP_COLS " FROM case_steps WHERE case_id = $1 AND rowid > $2 "
	    "ORDER BY rowid LIMIT $3", (struct pg_bind)PB_TEXT(case_id), with_body, INT64_MAX,
	    fn, arg, err);
}

int
pg_step_set_status(struct store *base, int64_t rowid, int status, const char *reason,
    struct err *err)
{
	struct pg_store *p = ps(base);
	int r;

	if ((r = pg_fence(p, err)) < 0)
		return r;
	r = pg_change1(p, "UPDATE case_steps SET status = $2, reason = $3 WHERE rowid = $1",
	    "recording a case step's status", err,
	    PG_BINDS(PB_INT(rowid), PB_INT(status), PB_TEXT(reason ? reason : "")));
	if (r == -LSN_ENOTFOUND)
		r = err_set(err, LSN_ENOTFOUND, "store: no case step %lld", (long long)rowid);
	return r;
}

int
pg_step_queued(struct store *base, int64_t partner, size_t max, store_step_fn fn,
    void *arg, struct err *err)
{
	/* case_steps_queued: (partner, rowid) WHERE env_seq = 0 AND dir = 0 */
	return step_chunks(ps(base), "SELECT " STEP_COLS ", body FROM case_steps WHERE "
	    "partner = $1 AND env_seq = 0 AND dir = 0 AND rowid > $2 ORDER BY rowid LIMIT $3",
	    (struct pg_bind)PB_INT(partner), 1, limit_of(max), fn, arg, err);
}

int
pg_step_packed(struct store *base, int64_t rowid, uint64_t seq, struct err *err)
{
	struct pg_store *p = ps(base);
	int r;

	if ((r = pg_fence(p, err)) < 0)
		return r;
	r = pg_change1(p, "UPDATE case_steps SET env_seq = $2 WHERE rowid = $1 AND env_seq = 0",
	    "recording a case step's envelope", err,
	    PG_BINDS(PB_INT(rowid), PB_INT(seq > INT64_MAX ? INT64_MAX : (int64_t)seq)));
	if (r == -LSN_ENOTFOUND)
		r = err_set(err, LSN_ENOTFOUND, "store: case step %lld is not queued",
		    (long long)rowid);
	return r;
}

/*
 * env_set_receipt (pg_exchange.c, already fenced): the step that envelope
 * carried gets its receipt time and, if it opened its case, the case too
 * (the machine receipt of an opening: the pledge's first clock). One
 * statement; STEP_OPEN is 1.
 */
int
pg_step_receipted(struct pg_store *p, int64_t partner, uint64_t seq, int64_t receipt_us,
    struct err *err)
{
	return pg_exec1(p, "WITH s AS (UPDATE case_steps SET receipt_us = $3 WHERE partner = $1 "
	    "AND dir = 0 AND env_seq = $2 AND receipt_us = 0 RETURNING case_id, step) "
	    "UPDATE cases SET receipt_us = $3 WHERE id IN (SELECT case_id FROM s WHERE step = 1) "
	    "AND receipt_us = 0", "stamping a case step's receipt", err,
	    PG_BINDS(PB_INT(partner), PB_INT(seq > INT64_MAX ? INT64_MAX : (int64_t)seq),
	    PB_INT(receipt_us)));
}

const struct store_hotline_ops pg_hotline_ops = {
	.version = STORE_HOTLINE_VERSION,
	.case_put = pg_case_put,
	.case_get = pg_case_get,
	.case_scan = pg_case_scan,
	.case_due = pg_case_due,
	.case_count = pg_case_count,
	.step_add = pg_step_add,
	.step_scan = pg_step_scan,
	.step_set_status = pg_step_set_status,
	.step_queued = pg_step_queued,
	.step_packed = pg_step_packed,
};
