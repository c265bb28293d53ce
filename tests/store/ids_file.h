/*
 * For the store's tests: one integer from the index by id's own file
 * (STORE-ids), opened with the default VFS as any other program would,
 * outside the store. Include after <cmocka.h>.
 */
#ifndef LSN_TESTS_STORE_IDS_FILE_H
#define LSN_TESTS_STORE_IDS_FILE_H

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>

static inline int64_t
ids_file_int(const char *store_path, const char *sql)
{
	char path[512];
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v = -1;

	snprintf(path, sizeof(path), "%s-ids", store_path);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

#endif
