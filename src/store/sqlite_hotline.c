/*
 * Hotline cases and their steps (schema v5, docs/hotline.md). The store
 * keeps what src/hotline/ decides: the case row is the fold of its steps,
 * each step is kept with the exact bundle it travels in. No policy here.
 */
#include "store/sqlite_int.h"
#include "store/store.h"
#include "util/err.h"

#include <sqlite3.h>
#include <stdint.h>
#include <string.h>

#define CASE_COLS "id, partner, role, kind, state, opened_us, receipt_us, acked_us, " \
	"updated_us, ack_by, respond_by, preserve_until, remind_at, level, reminded, tlp, next_check, summary"

static void
case_row(sqlite3_stmt *st, struct store_case *c)
{
	memset(c, 0, sizeof(*c));
	sqlite_copy_text(c->id, sizeof(c->id), st, 0);
	c->partner = sqlite3_column_int64(st, 1);
	c->role = sqlite3_column_int(st, 2);
	c->kind = sqlite3_column_int(st, 3);
	c->state = sqlite3_column_int(st, 4);
	c->opened_us = sqlite3_column_int64(st, 5);
	c->receipt_us = sqlite3_column_int64(st, 6);
	c->acked_us = sqlite3_column_int64(st, 7);
	c->updated_us = sqlite3_column_int64(st, 8);
	c->ack_by = sqlite3_column_int64(st, 9);
	c->respond_by = sqlite3_column_int64(st, 10);
	c->preserve_until = sqlite3_column_int64(st, 11);
	c->remind_at = sqlite3_column_int64(st, 12);
	c->level = sqlite3_column_int(st, 13);
	c->reminded = sqlite3_column_int(st, 14);
	c->tlp = sqlite3_column_int(st, 15);
	c->next_check_us = sqlite3_column_int64(st, 16);
	sqlite_copy_text(c->summary, sizeof(c->summary), st, 17);
}

int
sqlite_case_put(struct store *base, const struct store_case *c, struct err *err)
{
	return sqlite_exec1(ss(base), "INSERT OR REPLACE INTO cases(" CASE_COLS ") VALUES (?1, ?2, "
	    "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
	    "storing a case", err, SQLITE_BINDS(SB_TEXT(c->id), SB_INT(c->partner),
	    SB_INT(c->role), SB_INT(c->kind), SB_INT(c->state), SB_INT(c->opened_us),
	    SB_INT(c->receipt_us), SB_INT(c->acked_us), SB_INT(c->updated_us), SB_INT(c->ack_by),
	    SB_INT(c->respond_by), SB_INT(c->preserve_until), SB_INT(c->remind_at),
	    SB_INT(c->level), SB_INT(c->reminded), SB_INT(c->tlp), SB_INT(c->next_check_us),
	    SB_TEXT(c->summary)));
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
sqlite_case_get(struct store *base, const char *key, struct store_case *ret, struct err *err)
{
	struct sqlite_store *s = ss(base);
	struct store_case c;
	char lo[STIX_ID_MAX + 1], hi[STIX_ID_MAX + 1];
	sqlite3_stmt *st;
	size_t n = 0;
	int r, rc;

	if (!key_ok(key))
		return err_set(err, LSN_ENOTFOUND, "no case %.80s: a case is named by its id or the "
		    "first characters (4 or more) of its uuid", key);
	/* a whole id exactly; a uuid prefix as every id starting with it: one range of the key */
	snprintf(lo, sizeof(lo), "%s%s", strncmp(key, "incident--", 10) == 0 ? "" : "incident--",
	    key);
	snprintf(hi, sizeof(hi), "%s%s", lo, strncmp(key, "incident--", 10) == 0 ? "\x01" : "~");
	if ((r = sqlite_prep(s, "SELECT " CASE_COLS " FROM cases WHERE id >= ?1 AND id < ?2 "
	    "ORDER BY id = ?1 DESC, id LIMIT 2", &st, err)) < 0)
		return r;
	sqlite3_bind_text(st, 1, lo, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hi, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == 0)
			case_row(st, &c);
		n++;
	}
	if (rc != SQLITE_DONE)
		r = sqlite_db_err(s, err, "reading a case");
	else if (n == 0)
		r = err_set(err, LSN_ENOTFOUND, "no case %.80s", key);
	else if (n > 1 && strcmp(c.id, lo) != 0)
		r = err_set(err, LSN_EEXIST, "'%.80s' names more than one case: give more of its "
		    "uuid", key);
	else
		*ret = c;
	sqlite_unprep(s, st);
	return r;
}

static int
case_rows(struct sqlite_store *s, sqlite3_stmt *st, store_case_fn fn, void *arg,
    struct err *err)
{
	struct store_case c;
	int r = 0, rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		case_row(st, &c);
		if ((r = fn(arg, &c)) < 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		r = sqlite_db_err(s, err, "reading cases");
out:
	sqlite_unprep(s, st);
	return r;
}

/*
 * Three shapes, each on its own index: the late cases from the clocks'
 * partial indexes (state 1 opened waits for ack_by; 1, 2, 3 for
 * respond_by); one partner's cases of one role (the pledge) from
 * cases_partner; the rest in time order from cases_time. Final states:
 * closed 6, refused 7, withdrawn 8.
 */
#define CASE_FILTER "(?1 = 0 OR partner = ?1) AND (?2 = 0 OR role = ?2) AND (?3 = 0 OR " \
	"state < 6) AND (?4 = 0 OR opened_us < ?4 OR (opened_us = ?4 AND id < ?5))"
#define CASE_ORDER " ORDER BY opened_us DESC, id DESC LIMIT ?6"

static const char sql_late[] =
	"SELECT " CASE_COLS " FROM (SELECT * FROM cases INDEXED BY cases_ack WHERE state = 1 AND "
	"ack_by > 0 AND ack_by < ?7 UNION SELECT * FROM cases INDEXED BY cases_respond WHERE "
	"state IN (1, 2, 3) AND respond_by > 0 AND respond_by < ?7) WHERE " CASE_FILTER CASE_ORDER;
static const char sql_partner_role[] =
	"SELECT " CASE_COLS " FROM cases INDEXED BY cases_partner WHERE partner = ?1 AND role = ?2 "
	"AND " CASE_FILTER CASE_ORDER;
static const char sql_time[] =
	"SELECT " CASE_COLS " FROM cases INDEXED BY cases_time WHERE " CASE_FILTER CASE_ORDER;

/* The open cases, the nearest deadline first (keyset on due_us, id). */
static const char sql_due[] =
	"SELECT " CASE_COLS " FROM cases INDEXED BY cases_due WHERE state < 6 AND "
	"(?1 = 0 OR partner = ?1) AND (?2 = '' OR due_us > ?3 OR (due_us = ?3 AND id > ?2)) "
	"ORDER BY due_us, id LIMIT ?4";

int
sqlite_case_scan(struct store *base, const struct store_case_query *q, store_case_fn fn,
    void *arg, struct err *err)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int r;

	if (q->by_due) {
		if ((r = sqlite_prep(s, sql_due, &st, err)) < 0)
			return r;
		sqlite3_bind_int64(st, 1, q->partner);
		sqlite3_bind_text(st, 2, q->after_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, q->after_due_us);
		sqlite3_bind_int64(st, 4, q->limit == 0 || q->limit > INT64_MAX ? -1 :
		    (int64_t)q->limit);
		return case_rows(s, st, fn, arg, err);
	}
	if ((r = sqlite_prep(s, q->overdue_at ? sql_late : q->partner != 0 && q->role != 0 ?
	    sql_partner_role : sql_time, &st, err)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, q->partner);
	sqlite3_bind_int(st, 2, q->role);
	sqlite3_bind_int(st, 3, q->open_only);
	sqlite3_bind_int64(st, 4, q->before_us);
	sqlite3_bind_text(st, 5, q->before_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, q->limit == 0 || q->limit > INT64_MAX ? -1 : (int64_t)q->limit);
	if (q->overdue_at)
		sqlite3_bind_int64(st, 7, q->now_us);
	return case_rows(s, st, fn, arg, err);
}

int
sqlite_case_due(struct store *base, int64_t now_us, size_t limit, store_case_fn fn, void *arg,
    struct err *err)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int r;

	if ((r = sqlite_prep(s, "SELECT " CASE_COLS " FROM cases INDEXED BY cases_check "
	    "WHERE next_check > 0 AND next_check <= ?1 ORDER BY next_check LIMIT ?2", &st, err)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, now_us);
	sqlite3_bind_int64(st, 2, limit == 0 || limit > INT64_MAX ? -1 : (int64_t)limit);
	return case_rows(s, st, fn, arg, err);
}

int
sqlite_case_count(struct store *base, int64_t now_us, struct store_case_counts *ret,
    struct err *err)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int64_t late;
	int r, rc, state, level;

	memset(ret, 0, sizeof(*ret));
	/* cases_state (state, level) covers this: no row is read */
	if ((r = sqlite_prep(s, "SELECT state, level, count(*) FROM cases INDEXED BY cases_state "
	    "GROUP BY state, level", &st, err)) < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint64_t n = (uint64_t)sqlite3_column_int64(st, 2);
		state = sqlite3_column_int(st, 0);
		level = sqlite3_column_int(st, 1);
		if (state >= 1 && state <= 8)
			ret->by_state[state] += n;
		if (state >= 1 && state < 6 && level >= 0 && level < 16)
			ret->open_by_level[level] += n;
	}
	if (rc != SQLITE_DONE)
		r = sqlite_db_err(s, err, "counting cases");
	sqlite_unprep(s, st);
	if (r < 0)
		return r;
	/* the partial indexes on the clocks answer alone; a case late on both counts once */
	if ((r = sqlite_row1(s, "SELECT (SELECT count(*) FROM cases INDEXED BY cases_ack WHERE "
	    "state = 1 AND ack_by > 0 AND ack_by < ?1) + (SELECT count(*) FROM cases INDEXED BY "
	    "cases_respond WHERE state IN (1, 2, 3) AND respond_by > 0 AND respond_by < ?1 AND "
	    "NOT (state = 1 AND ack_by > 0 AND ack_by < ?1))", "counting late cases", err,
	    sqlite_fill_int64, &late, SQLITE_BINDS(SB_INT(now_us)))) == 0)
		ret->late = (uint64_t)late;
	return r;
}

int
sqlite_step_add(struct store *base, struct store_step *x, struct err *err)
{
	struct sqlite_store *s = ss(base);
	int r = sqlite_exec1(s, "INSERT INTO case_steps(case_id, partner, dir, hash, prev, step, "
	    "env_kind, time_us, recorded_us, status, reason, env_seq, receipt_us, body) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)", "storing a case step",
	    err, SQLITE_BINDS(SB_TEXT(x->case_id), SB_INT(x->partner), SB_INT(x->dir),
	    SB_HASH(x->hash), SB_HASH(x->prev), SB_INT(x->step), SB_INT(x->env_kind),
	    SB_INT(x->time_us), SB_INT(x->recorded_us), SB_INT(x->status), SB_TEXT(x->reason),
	    SB_INT(x->env_seq > INT64_MAX ? INT64_MAX : (int64_t)x->env_seq),
	    SB_INT(x->receipt_us), SB_BLOB(x->body ? (const void *)x->body : "", x->len)));

	if (r == 0)
		x->rowid = sqlite3_last_insert_rowid(s->db);
	return r;
}

#define STEP_COLS "rowid, case_id, partner, dir, hash, prev, step, env_kind, time_us, " \
	"recorded_us, status, reason, env_seq, receipt_us"

static void
step_row(sqlite3_stmt *st, struct store_step *x, int with_body)
{
	const void *h;

	memset(x, 0, sizeof(*x));
	x->rowid = sqlite3_column_int64(st, 0);
	sqlite_copy_text(x->case_id, sizeof(x->case_id), st, 1);
	x->partner = sqlite3_column_int64(st, 2);
	x->dir = sqlite3_column_int(st, 3);
	if ((h = sqlite3_column_blob(st, 4)) != NULL && sqlite3_column_bytes(st, 4) == 32)
		memcpy(x->hash, h, 32);
	if ((h = sqlite3_column_blob(st, 5)) != NULL && sqlite3_column_bytes(st, 5) == 32)
		memcpy(x->prev, h, 32);
	x->step = sqlite3_column_int(st, 6);
	x->env_kind = sqlite3_column_int(st, 7);
	x->time_us = sqlite3_column_int64(st, 8);
	x->recorded_us = sqlite3_column_int64(st, 9);
	x->status = sqlite3_column_int(st, 10);
	sqlite_copy_text(x->reason, sizeof(x->reason), st, 11);
	x->env_seq = (uint64_t)sqlite3_column_int64(st, 12);
	x->receipt_us = sqlite3_column_int64(st, 13);
	if (with_body) {
		x->body = sqlite3_column_blob(st, 14);
		x->len = (size_t)sqlite3_column_bytes(st, 14);
	}
}

static int
step_rows(struct sqlite_store *s, sqlite3_stmt *st, int with_body, store_step_fn fn, void *arg,
    struct err *err)
{
	struct store_step x;
	int r = 0, rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		step_row(st, &x, with_body);
		if ((r = fn(arg, &x)) < 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		r = sqlite_db_err(s, err, "reading case steps");
out:
	sqlite_unprep(s, st);
	return r;
}

int
sqlite_step_scan(struct store *base, const char *case_id, int with_body, store_step_fn fn,
    void *arg, struct err *err)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int r;

	if ((r = sqlite_prep(s, with_body ?
	    "SELECT " STEP_COLS ", body FROM case_steps WHERE case_id = ?1 ORDER BY rowid" :
	    "SELECT " STEP_COLS " FROM case_steps WHERE case_id = ?1 ORDER BY rowid", &st, err)) < 0)
		return r;
	sqlite3_bind_text(st, 1, case_id, -1, SQLITE_STATIC);
	return step_rows(s, st, with_body, fn, arg, err);
}

int
sqlite_step_set_status(struct store *base, int64_t rowid, int status, const char *reason,
    struct err *err)
{
	int r = sqlite_change1(ss(base), "UPDATE case_steps SET status = ?2, reason = ?3 "
	    "WHERE rowid = ?1", "recording a case step's status", err,
	    SQLITE_BINDS(SB_INT(rowid), SB_INT(status), SB_TEXT(reason ? reason : "")));

	if (r == -LSN_ENOTFOUND)
		r = err_set(err, LSN_ENOTFOUND, "store: no case step %lld", (long long)rowid);
	return r;
}

int
sqlite_step_queued(struct store *base, int64_t partner, size_t max, store_step_fn fn,
    void *arg, struct err *err)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int r;

	if ((r = sqlite_prep(s, "SELECT " STEP_COLS ", body FROM case_steps INDEXED BY "
	    "case_steps_queued WHERE partner = ?1 AND env_seq = 0 AND dir = 0 ORDER BY rowid "
	    "LIMIT ?2",
	    &st, err)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, partner);
	sqlite3_bind_int64(st, 2, max == 0 || max > INT64_MAX ? -1 : (int64_t)max);
	return step_rows(s, st, 1, fn, arg, err);
}

int
sqlite_step_packed(struct store *base, int64_t rowid, uint64_t seq, struct err *err)
{
	int r = sqlite_change1(ss(base), "UPDATE case_steps SET env_seq = ?2 WHERE rowid = ?1 AND "
	    "env_seq = 0", "recording a case step's envelope", err,
	    SQLITE_BINDS(SB_INT(rowid), SB_INT(seq > INT64_MAX ? INT64_MAX : (int64_t)seq)));

	if (r == -LSN_ENOTFOUND)
		r = err_set(err, LSN_ENOTFOUND, "store: case step %lld is not queued", (long long)rowid);
	return r;
}

int
sqlite_step_receipted(struct sqlite_store *s, int64_t partner, uint64_t seq, int64_t receipt_us,
    struct err *err)
{
	char case_id[STIX_ID_MAX + 1] = "";
	sqlite3_stmt *st;
	int r, rc, opening = 0;

	if ((r = sqlite_prep(s, "UPDATE case_steps SET receipt_us = ?3 WHERE partner = ?1 AND "
	    "dir = 0 AND env_seq = ?2 AND receipt_us = 0 RETURNING case_id, step", &st, err)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, partner);
	sqlite3_bind_int64(st, 2, seq > INT64_MAX ? INT64_MAX : (int64_t)seq);
	sqlite3_bind_int64(st, 3, receipt_us);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite_copy_text(case_id, sizeof(case_id), st, 0);
		opening = sqlite3_column_int(st, 1) == 1;   /* STEP_OPEN */
	}
	if (rc != SQLITE_DONE)
		r = sqlite_db_err(s, err, "stamping a case step's receipt");
	sqlite_unprep(s, st);
	if (r < 0 || !opening)
		return r;
	/* the machine receipt of an opening: the pledge's first clock */
	return sqlite_exec1(s, "UPDATE cases SET receipt_us = ?2 WHERE id = ?1 AND receipt_us = 0",
	    "stamping a case's receipt", err, SQLITE_BINDS(SB_TEXT(case_id), SB_INT(receipt_us)));
}
