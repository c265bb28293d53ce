/*
 * The SQLite backend's statements: the fixed ones prepared at open, the
 * cache of the others, the one-row helpers and the error text. Beneath
 * every other file of the backend, so it calls none of them; it holds no
 * schema and no policy.
 */
#include "store/sqlite_int.h"
#include "util/err.h"

#include <assert.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const stmt_sql[ST_MAX] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_BEGIN_READ] = "BEGIN",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SAVEPOINT] = "SAVEPOINT job",
	[ST_RELEASE] = "RELEASE job",
	[ST_ROLLBACK_TO] = "ROLLBACK TO job",
	[ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[ST_META_SET] = "INSERT INTO meta(key, value) VALUES (?1, ?2) "
			"ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	[ST_OBJ_EXACT] = "SELECT date_added, hash FROM objects NOT INDEXED WHERE " IDS_ROWS("?1", "?4")
			 " AND coll = ?1 AND stix_id = ?2 AND version_key = ?3",
	[ST_OBJ_MINMAX] = "SELECT min(version_key), max(version_key) FROM objects NOT INDEXED "
			  "WHERE " IDS_ROWS("?1", "?3") " AND coll = ?1 AND stix_id = ?2",
	[ST_OBJ_INSERT] = "INSERT INTO objects(date_added, coll, stix_id, type, version, "
			  "version_key, spec_version, is_first, is_last, tlp, hash, body, id_hash) "
			  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	[ST_OBJ_CLEAR_LAST] = "UPDATE objects NOT INDEXED SET is_last = 0 WHERE " IDS_ROWS("?1", "?3")
			      " AND coll = ?1 AND stix_id = ?2 AND is_last = 1",
	[ST_OBJ_CLEAR_FIRST] = "UPDATE objects NOT INDEXED SET is_first = 0 WHERE " IDS_ROWS("?1", "?3")
			       " AND coll = ?1 AND stix_id = ?2 AND is_first = 1",
	[ST_IDS_INSERT] = "INSERT OR IGNORE INTO idx.objects_id(coll, id_hash, date_added) "
			  "VALUES (?1, ?2, ?3)",
	[ST_OBJ_MAXDATE] = "SELECT max(date_added) FROM objects",
	[ST_OBJ_BODY] = "SELECT body FROM objects WHERE date_added = ?1",
	[ST_DATA_VERSION] = "PRAGMA data_version",
};

int
sqlite_db_err(struct sqlite_store *s, struct err *err, const char *what)
{
	int rc = sqlite3_errcode(s->db);
	int code = rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? LSN_EBUSY :
		   rc == SQLITE_CONSTRAINT ? LSN_EEXIST : LSN_EIO;

	return err_set(err, code, "store: %s failed: %s", what, sqlite3_errmsg(s->db));
}

int
sqlite_fixed_prepare(struct sqlite_store *s, struct err *err)
{
	int i;

	for (i = 0; i < ST_MAX; i++)
		if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		    &s->st[i], NULL) != SQLITE_OK)
			return sqlite_db_err(s, err, stmt_sql[i]);
	return 0;
}

void
sqlite_stmt_finalize_all(struct sqlite_store *s)
{
	int i;

	for (i = 0; i < ST_MAX; i++)
		sqlite3_finalize(s->st[i]);
	for (i = 0; i < CACHE_SLOTS; i++) {
		sqlite3_finalize(s->cache[i].st);
		free(s->cache[i].sql);
	}
}

void
sqlite_linger_end(struct sqlite_store *s)
{
	/* Only a snapshot that read_linger kept, which no read_begin is inside. */
	assert(s->rd_open && s->rd_depth == 0);
	s->rd_open = 0;
	s->rd_depth = 0;
	if (!sqlite3_get_autocommit(s->db))
		sqlite_fixed_exec(s, ST_COMMIT, NULL);
}

sqlite3_stmt *
sqlite_fixed_get(struct sqlite_store *s, enum stmt_id id)
{
	sqlite3_stmt *st;

	assert(id >= 0 && id < ST_MAX);
	/* A call outside read_begin/read_end reads the newest data, as without linger. */
	if (s->rd_open && s->rd_depth == 0)
		sqlite_linger_end(s);
	st = s->st[id];

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

int
sqlite_fixed_exec(struct sqlite_store *s, enum stmt_id id, struct err *err)
{
	sqlite3_stmt *st = sqlite_fixed_get(s, id);
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return sqlite_db_err(s, err, stmt_sql[id]);
	return 0;
}

static uint64_t
fnv1a(const char *p)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h;
}

/* The key of idx.objects_id: FNV-1a of the STIX id, as a signed 64-bit integer. */
int64_t
sqlite_id_hash(const char *stix_id)
{
	return (int64_t)fnv1a(stix_id);
}

/*
 * A prepared statement for sql, from the connection's cache when it was
 * prepared before (compiling SQL was half of a small GET's time). The
 * statement is the cache's: give it back with sqlite_unprep(), never
 * finalize it. One being stepped is neither handed out again nor evicted,
 * so a row callback may use the store while its query runs.
 */
int
sqlite_prep(struct sqlite_store *s, const char *sql, sqlite3_stmt **ret, struct err *err)
{
	uint64_t h;
	struct cached_stmt *c;
	unsigned i;

	assert(sql != NULL);
	h = fnv1a(sql);
	if (s->rd_open && s->rd_depth == 0)
		sqlite_linger_end(s);   /* as in sqlite_fixed_get(): outside read_begin, the newest data */

	for (i = 0; i < CACHE_SLOTS; i++) {
		c = &s->cache[i];
		if (c->st != NULL && c->hash == h && strcmp(c->sql, sql) == 0 &&
		    !sqlite3_stmt_busy(c->st)) {
			*ret = c->st;
			return 0;
		}
	}
	/* A busy statement is being stepped further up the stack: not a victim. */
	for (i = 0; i < CACHE_SLOTS; i++) {
		c = &s->cache[s->cache_next++ % CACHE_SLOTS];
		if (c->st == NULL || !sqlite3_stmt_busy(c->st))
			break;
	}
	if (i == CACHE_SLOTS)
		return err_set(err, LSN_EBUSY, "store: every cached statement is in use");
	sqlite3_finalize(c->st);
	free(c->sql);
	c->st = NULL;
	c->sql = strdup(sql);
	if (c->sql == NULL)
		return err_set(err, LSN_ENOMEM, "store: out of memory");
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->st, NULL) != SQLITE_OK) {
		free(c->sql);
		c->sql = NULL;
		c->st = NULL;
		return sqlite_db_err(s, err, sql);
	}
	c->hash = h;
	*ret = c->st;
	return 0;
}

#ifndef NDEBUG
/* Whether st is one of the cache's statements (for assert). */
static int
cache_holds(const struct sqlite_store *s, const sqlite3_stmt *st)
{
	unsigned i;

	for (i = 0; i < CACHE_SLOTS; i++)
		if (s->cache[i].st == st)
			return 1;
	return 0;
}
#endif

void
sqlite_unprep(struct sqlite_store *s, sqlite3_stmt *st)
{
	assert(st == NULL || cache_holds(s, st));
	if (st != NULL) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
}

void
sqlite_copy_text(char *dst, size_t cap, sqlite3_stmt *st, int col)
{
	const char *v = (const char *)sqlite3_column_text(st, col);

	snprintf(dst, cap, "%s", v ? v : "");
}

/*
 * Steps st to the end, appending one element of elsize bytes per row, filled
 * by fill(); the array is the caller's (free()).
 */
int
sqlite_collect(struct sqlite_store *s, sqlite3_stmt *st, size_t elsize,
    void (*fill)(sqlite3_stmt *st, void *el), void **ret, size_t *ret_n, const char *what,
    struct err *err)
{
	char *v = NULL, *nv;
	size_t n = 0;
	int rc, r = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		nv = realloc(v, (n + 1) * elsize);
		if (nv == NULL) {
			r = err_set(err, LSN_ENOMEM, "store: out of memory");
			break;
		}
		v = nv;
		fill(st, v + n * elsize);
		n++;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = sqlite_db_err(s, err, what);
	sqlite_unprep(s, st);
	if (r < 0) {
		free(v);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/*
 * Binds b[0..n) to ?1..?n. A parameter the statement does not have is a
 * mistake in the caller's list; what the data can cause (too big) shows
 * when the statement is stepped.
 */
static void
bind_all(sqlite3_stmt *st, const struct sqlite_bind *b, size_t n)
{
	size_t i;
	int rc, col;

	for (i = 0; i < n; i++) {
		col = (int)i + 1;
		if (b[i].kind == SQLITE_BIND_INT)
			rc = sqlite3_bind_int64(st, col, b[i].i);
		else if (b[i].kind == SQLITE_BIND_TEXT && b[i].n < 0)
			rc = sqlite3_bind_text(st, col, b[i].p, -1, SQLITE_STATIC);
		else if (b[i].kind == SQLITE_BIND_TEXT)
			rc = sqlite3_bind_text64(st, col, b[i].p, (sqlite3_uint64)b[i].n, SQLITE_STATIC,
			    SQLITE_UTF8);
		else
			rc = sqlite3_bind_blob64(st, col, b[i].p, (sqlite3_uint64)b[i].n, SQLITE_STATIC);
		assert(rc != SQLITE_RANGE && rc != SQLITE_MISUSE);
		(void)rc;
	}
}

int
sqlite_exec1(struct sqlite_store *s, const char *sql, const char *what, struct err *err,
    const struct sqlite_bind *b, size_t n)
{
	sqlite3_stmt *st;
	int r;

	if ((r = sqlite_prep(s, sql, &st, err)) < 0)
		return r;
	bind_all(st, b, n);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = sqlite_db_err(s, err, what);
	sqlite_unprep(s, st);
	return r;
}

int
sqlite_change1(struct sqlite_store *s, const char *sql, const char *what, struct err *err,
    const struct sqlite_bind *b, size_t n)
{
	int r = sqlite_exec1(s, sql, what, err, b, n);

	if (r == 0 && sqlite3_changes(s->db) == 0)
		r = -LSN_ENOTFOUND;
	return r;
}

int
sqlite_row1(struct sqlite_store *s, const char *sql, const char *what, struct err *err,
    sqlite_fill_fn fill, void *arg, const struct sqlite_bind *b, size_t n)
{
	sqlite3_stmt *st;
	int r, rc;

	if ((r = sqlite_prep(s, sql, &st, err)) < 0)
		return r;
	bind_all(st, b, n);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		r = fill(arg, st, err);
	else if (rc == SQLITE_DONE)
		r = -LSN_ENOTFOUND;
	else
		r = sqlite_db_err(s, err, what);
	sqlite_unprep(s, st);
	return r;
}

int
sqlite_fill_int64(void *arg, sqlite3_stmt *st, struct err *err)
{
	*(int64_t *)arg = sqlite3_column_int64(st, 0);
	return 0;
}
