/*
 * The store's VFS (src/store/sqlite_vfs.c) gathers a commit's WAL frames
 * into a few writes. What must hold: when COMMIT returns, every frame of it
 * is in the WAL file, whatever the sync setting, so a copy of the files
 * taken at that moment (what a power cut leaves, once synced) opens with
 * the default VFS and holds exactly what was committed; other connections
 * read what was committed; spilled and rolled-back frames never surface.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/sqlite_int.h"

struct fx {
	char dir[64];
	char path[128];
	sqlite3 *db;                /* through the store's VFS */
};

static void
exec_ok(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
}

static int64_t
one_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
open_fx(struct fx *f, const char *sync)
{
	char sql[128];

	snprintf(f->dir, sizeof(f->dir), "/tmp/lsn-vfs-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/t.db", f->dir);
	assert_string_equal(sqlite_vfs_name(), SQLITE_VFS_NAME);
	assert_int_equal(sqlite3_open_v2(f->path, &f->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, sqlite_vfs_name()), SQLITE_OK);
	snprintf(sql, sizeof(sql), "PRAGMA journal_mode = WAL; PRAGMA synchronous = %s;", sync);
	exec_ok(f->db, sql);
	/* the connection never checkpoints by itself: every committed page stays in the WAL */
	sqlite3_wal_autocheckpoint(f->db, 0);
	exec_ok(f->db, "CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB NOT NULL)");
}

static void
close_fx(struct fx *f)
{
	char cmd[160];

	sqlite3_close(f->db);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
}

/* Rows k in [from, to) with a blob of n bytes that depends on k. */
static void
insert_rows(sqlite3 *db, int from, int to, int n)
{
	sqlite3_stmt *st;
	unsigned char *v = malloc((size_t)n);
	int k, i;

	assert_non_null(v);
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO t VALUES (?1, ?2)", -1, &st, NULL),
	    SQLITE_OK);
	for (k = from; k < to; k++) {
		for (i = 0; i < n; i++)
			v[i] = (unsigned char)(k * 31 + i);
		sqlite3_bind_int(st, 1, k);
		sqlite3_bind_blob(st, 2, v, n, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	free(v);
}

/*
 * Copies the database and its WAL as they are in the files right now (the
 * writer still open, nothing closed or checkpointed) and opens the copy
 * with the default VFS, which recovers the WAL as after a crash.
 */
static sqlite3 *
open_copy(const struct fx *f)
{
	char cmd[400], copy[160];
	sqlite3 *db;

	snprintf(copy, sizeof(copy), "%s/copy", f->dir);
	snprintf(cmd, sizeof(cmd), "rm -rf %s && mkdir %s && cp %s %s/t.db && cp %s-wal %s/t.db-wal",
	    copy, copy, f->path, copy, f->path, copy);
	assert_int_equal(system(cmd), 0);
	snprintf(copy, sizeof(copy), "%s/copy/t.db", f->dir);
	assert_int_equal(sqlite3_open_v2(copy, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	return db;
}

/* Count, integrity, and every blob as insert_rows wrote it. */
static void
check_rows(sqlite3 *db, int64_t rows, int n)
{
	sqlite3_stmt *st;
	int64_t seen = 0;
	int i;

	assert_int_equal(one_int(db, "SELECT count(*) FROM t"), rows);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT k, v FROM t ORDER BY k", -1, &st, NULL),
	    SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int k = sqlite3_column_int(st, 0);
		const unsigned char *v = sqlite3_column_blob(st, 1);

		assert_int_equal(sqlite3_column_bytes(st, 1), n);
		for (i = 0; i < n; i++)
			if (v[i] != (unsigned char)(k * 31 + i))
				fail_msg("row %d: byte %d differs", k, i);
		seen++;
	}
	sqlite3_finalize(st);
	assert_int_equal(seen, rows);
}

static void
committed_frames_are_in_the_file(const char *sync)
{
	struct fx f;
	sqlite3 *copy;

	open_fx(&f, sync);
	/* many small commits, then one of about 5 MB, more than the 1 MiB buffer */
	for (int c = 0; c < 20; c++)
		insert_rows(f.db, c * 10, c * 10 + 10, 600);
	exec_ok(f.db, "BEGIN");
	insert_rows(f.db, 200, 1400, 4000);
	exec_ok(f.db, "COMMIT");
	copy = open_copy(&f);       /* at once: a read on f.db could write the buffer out itself */
	/* rows of both sizes: check each group */
	assert_int_equal(one_int(copy, "SELECT count(*) FROM t WHERE length(v) = 600"), 200);
	exec_ok(copy, "DELETE FROM t WHERE length(v) = 600");
	check_rows(copy, 1200, 4000);
	sqlite3_close(copy);
	close_fx(&f);
}

static void
test_frames_in_file_full(void **state)
{
	(void)state;
	committed_frames_are_in_the_file("FULL");
}

/* No sync at commit: the commit frame alone must push the buffer out. */
static void
test_frames_in_file_normal(void **state)
{
	(void)state;
	committed_frames_are_in_the_file("NORMAL");
}

static void
test_frames_in_file_off(void **state)
{
	(void)state;
	committed_frames_are_in_the_file("OFF");
}

/* Another connection, with the default VFS, reads every commit as soon as it returns. */
static void
test_other_connection_reads(void **state)
{
	struct fx f;
	sqlite3 *rd;
	int c;

	(void)state;
	open_fx(&f, "NORMAL");
	assert_int_equal(sqlite3_open_v2(f.path, &rd, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	for (c = 1; c <= 30; c++) {
		insert_rows(f.db, c * 1000, c * 1000 + 7 * c, 900);
		assert_int_equal(one_int(rd, "SELECT count(*) FROM t"), 7 * c * (c + 1) / 2);
		assert_int_equal(one_int(rd, "SELECT max(k) FROM t"), c * 1000 + 7 * c - 1);
	}
	sqlite3_close(rd);
	close_fx(&f);
}

/*
 * A transaction larger than the page cache spills frames into the WAL before
 * it commits; rolled back, those frames must never count, and the next
 * commit writes over them.
 */
static void
test_spill_rollback(void **state)
{
	struct fx f;
	sqlite3 *copy;

	(void)state;
	open_fx(&f, "FULL");
	exec_ok(f.db, "PRAGMA cache_size = 20");
	insert_rows(f.db, 0, 50, 1000);
	exec_ok(f.db, "BEGIN");
	insert_rows(f.db, 1000, 4000, 1000);
	exec_ok(f.db, "ROLLBACK");
	insert_rows(f.db, 50, 60, 1000);
	assert_int_equal(one_int(f.db, "SELECT count(*) FROM t"), 60);
	copy = open_copy(&f);
	check_rows(copy, 60, 1000);
	sqlite3_close(copy);
	close_fx(&f);
}

/* Checkpoints read the WAL back through the VFS; a restarted log is written from its start again. */
static void
test_checkpoint_restart(void **state)
{
	struct fx f;
	sqlite3 *copy;
	int log = -1, done = -1;

	(void)state;
	open_fx(&f, "FULL");
	insert_rows(f.db, 0, 300, 2000);
	assert_int_equal(sqlite3_wal_checkpoint_v2(f.db, NULL, SQLITE_CHECKPOINT_RESTART, &log, &done),
	    SQLITE_OK);
	assert_true(log > 0);
	assert_int_equal(done, log);
	insert_rows(f.db, 300, 320, 2000);
	assert_int_equal(sqlite3_wal_checkpoint_v2(f.db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &done),
	    SQLITE_OK);
	assert_int_equal(log, 0);
	insert_rows(f.db, 320, 330, 2000);
	copy = open_copy(&f);
	check_rows(copy, 330, 2000);
	sqlite3_close(copy);
	close_fx(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frames_in_file_full),
		cmocka_unit_test(test_frames_in_file_normal),
		cmocka_unit_test(test_frames_in_file_off),
		cmocka_unit_test(test_other_connection_reads),
		cmocka_unit_test(test_spill_rollback),
		cmocka_unit_test(test_checkpoint_restart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
