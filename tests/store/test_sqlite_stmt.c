/*
 * The SQLite backend's one-row helpers (sqlite_stmt.c): each kind of bind,
 * a row, no row, a constraint, a fill that fails. Uses the private header,
 * as only src/store/ and its tests may.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "scratch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/sqlite_int.h"
#include "store/store.h"
#include "util/err.h"

struct fx {
	char dir[SCRATCH_DIR_MAX];
	char path[SCRATCH_PATH_MAX];
	struct store *s;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	scratch_store_open("stmt", f->dir, f->path, &f->s);
	assert_int_equal(sqlite3_exec(ss(f->s)->db, "CREATE TABLE t(k INTEGER PRIMARY KEY,"
	    " name TEXT UNIQUE, note TEXT, data BLOB, hash BLOB)", NULL, NULL, NULL), SQLITE_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	scratch_store_remove(f->s, f->dir);
	free(f);
	return 0;
}

struct row {
	int64_t k;
	char name[32], note[32];
	int note_null;
	size_t data_len;
	uint8_t data[8], hash[32];
};

static int
fill_row(void *arg, sqlite3_stmt *st, struct err *err)
{
	struct row *r = arg;

	r->k = sqlite3_column_int64(st, 0);
	sqlite_copy_text(r->name, sizeof(r->name), st, 1);
	r->note_null = sqlite3_column_type(st, 2) == SQLITE_NULL;
	sqlite_copy_text(r->note, sizeof(r->note), st, 2);
	r->data_len = (size_t)sqlite3_column_bytes(st, 3);
	if (r->data_len > 0 && r->data_len <= sizeof(r->data))
		memcpy(r->data, sqlite3_column_blob(st, 3), r->data_len);
	if (sqlite3_column_bytes(st, 4) == 32)
		memcpy(r->hash, sqlite3_column_blob(st, 4), 32);
	return 0;
}

static int
fill_fails(void *arg, sqlite3_stmt *st, struct err *err)
{
	return err_set(err, LSN_ETOOBIG, "the row is too big");
}

#define INSERT "INSERT INTO t(k, name, note, data, hash) VALUES (?1, ?2, ?3, ?4, ?5)"
#define SELECT "SELECT k, name, note, data, hash FROM t WHERE k = ?1"

static void
test_binds_and_row(void **state)
{
	struct fx *f = *state;
	struct sqlite_store *s = ss(f->s);
	struct err err = ERR_INIT;
	uint8_t hash[32];
	struct row r;

	memset(hash, 0xab, sizeof(hash));
	/* int, text, text with a length (cut at 3), blob with a length, hash */
	assert_int_equal(sqlite_exec1(s, INSERT, "adding a row", &err,
	    SQLITE_BINDS(SB_INT(INT64_C(1) << 40), SB_TEXT("alpha"), SB_TEXTN("beta-gamma", 4),
	    SB_BLOB("\x01\x00\x02", 3), SB_HASH(hash))), 0);
	memset(&r, 0, sizeof(r));
	assert_int_equal(sqlite_row1(s, SELECT, "reading a row", &err, fill_row, &r,
	    SQLITE_BINDS(SB_INT(INT64_C(1) << 40))), 0);
	assert_int_equal(r.k, INT64_C(1) << 40);
	assert_string_equal(r.name, "alpha");
	assert_string_equal(r.note, "beta");
	assert_false(r.note_null);
	assert_int_equal(r.data_len, 3);
	assert_memory_equal(r.data, "\x01\x00\x02", 3);
	assert_memory_equal(r.hash, hash, 32);

	/* NULL pointers bind SQL NULL */
	assert_int_equal(sqlite_exec1(s, INSERT, "adding a row", &err,
	    SQLITE_BINDS(SB_INT(2), SB_TEXT("delta"), SB_TEXT(NULL), SB_BLOB(NULL, 0),
	    SB_HASH(NULL))), 0);
	memset(&r, 0, sizeof(r));
	assert_int_equal(sqlite_row1(s, SELECT, "reading a row", &err, fill_row, &r,
	    SQLITE_BINDS(SB_INT(2))), 0);
	assert_true(r.note_null);
	assert_int_equal(r.data_len, 0);
}

static void
test_no_row_and_count(void **state)
{
	struct fx *f = *state;
	struct sqlite_store *s = ss(f->s);
	struct err err = ERR_INIT;
	int64_t n = -1;
	struct row r;

	/* no row: ENOTFOUND and no sentence, for the caller to write */
	assert_int_equal(sqlite_row1(s, SELECT, "reading a row", &err, fill_row, &r,
	    SQLITE_BINDS(SB_INT(7))), -LSN_ENOTFOUND);
	assert_int_equal(err.code, 0);
	assert_string_equal(err.msg, "");
	/* no binds */
	assert_int_equal(sqlite_row1(s, "SELECT count(*) FROM t", "counting", &err,
	    sqlite_fill_int64, &n, NULL, 0), 0);
	assert_int_equal(n, 0);
	assert_int_equal(sqlite_exec1(s, INSERT, "adding a row", &err,
	    SQLITE_BINDS(SB_INT(7), SB_TEXT("x"), SB_TEXT("y"), SB_BLOB("z", 1), SB_HASH(NULL))), 0);
	/* a fill's own error passes through */
	assert_int_equal(sqlite_row1(s, SELECT, "reading a row", &err, fill_fails, NULL,
	    SQLITE_BINDS(SB_INT(7))), -LSN_ETOOBIG);
	assert_string_equal(err.msg, "the row is too big");
}

static void
test_constraint_and_change(void **state)
{
	struct fx *f = *state;
	struct sqlite_store *s = ss(f->s);
	struct err err = ERR_INIT;

	assert_int_equal(sqlite_exec1(s, INSERT, "adding a row", &err,
	    SQLITE_BINDS(SB_INT(1), SB_TEXT("same"), SB_TEXT(NULL), SB_BLOB(NULL, 0),
	    SB_HASH(NULL))), 0);
	assert_int_equal(sqlite_exec1(s, INSERT, "adding a row", &err,
	    SQLITE_BINDS(SB_INT(2), SB_TEXT("same"), SB_TEXT(NULL), SB_BLOB(NULL, 0),
	    SB_HASH(NULL))), -LSN_EEXIST);
	assert_int_equal(err.code, LSN_EEXIST);
	assert_string_equal(err.msg, "store: adding a row failed: UNIQUE constraint failed: t.name");

	err_clear(&err);
	assert_int_equal(sqlite_change1(s, "UPDATE t SET note = ?2 WHERE k = ?1", "noting", &err,
	    SQLITE_BINDS(SB_INT(1), SB_TEXT("seen"))), 0);
	assert_int_equal(sqlite_change1(s, "UPDATE t SET note = ?2 WHERE k = ?1", "noting", &err,
	    SQLITE_BINDS(SB_INT(99), SB_TEXT("seen"))), -LSN_ENOTFOUND);
	assert_int_equal(err.code, 0);
	/* a statement that fails to prepare names its SQL */
	assert_int_equal(sqlite_exec1(s, "INSERT INTO nowhere VALUES (1)", "adding", &err,
	    NULL, 0), -LSN_EIO);
	assert_non_null(strstr(err.msg, "no such table: nowhere"));
}

/* The callers' own sentences over sqlite_db_err's, read after the statement is reset. */
static void
test_callers_sentences(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_collection c;
	struct store_share sh = { .partner = 42, .coll = 1, .cursor_us = 0 };

	memset(&c, 0, sizeof(c));
	snprintf(c.id, sizeof(c.id), "11111111-2222-4333-8444-555555555555");
	snprintf(c.title, sizeof(c.title), "shared");
	assert_int_equal(store_coll_add(f->s, &c, &err), 0);
	sh.coll = c.rowid;
	assert_int_equal(store_coll_add(f->s, &c, &err), -LSN_EEXIST);
	assert_string_equal(err.msg, "a collection with id 11111111-2222-4333-8444-555555555555 "
	    "or title 'shared' already exists");
	/* a foreign key, told apart by its extended code */
	assert_int_equal(store_share_add(f->s, &sh, &err), -LSN_ENOTFOUND);
	assert_non_null(strstr(err.msg, "cannot be shared with partner 42: one of them does not exist"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_binds_and_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_row_and_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_constraint_and_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_callers_sentences, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
