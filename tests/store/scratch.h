/*
 * For the store's tests: a fresh store in a scratch folder of its own, and
 * its removal, so every fixture opens and removes it the same way. Include
 * after <cmocka.h>.
 *
 * With LIAISON_TEST_PG set to a server's URL without a database
 * (postgresql://postgres@127.0.0.1:5432), the store is a new database
 * on that server instead, made here and dropped by scratch_store_remove:
 * the same tests then run on the postgres backend. path is its URL.
 */
#ifndef LSN_TESTS_STORE_SCRATCH_H
#define LSN_TESTS_STORE_SCRATCH_H

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "util/err.h"

#define SCRATCH_DIR_MAX 64
#define SCRATCH_PATH_MAX 256

/* The server of LIAISON_TEST_PG, or NULL: the tests run on SQLite. */
static inline const char *
scratch_pg(void)
{
	const char *u = getenv("LIAISON_TEST_PG");

	return u != NULL && u[0] != '\0' ? u : NULL;
}

/* Runs one statement on the server's postgres database (CREATE/DROP DATABASE). */
static inline void
scratch_pg_admin(const char *sql)
{
	char url[SCRATCH_PATH_MAX];
	PGconn *c;
	PGresult *res;

	snprintf(url, sizeof(url), "%s/postgres", scratch_pg());
	c = PQconnectdb(url);
	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("connecting to %s: %s", scratch_pg(), PQerrorMessage(c));
	res = PQexec(c, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(res);
	PQfinish(c);
}

/*
 * Creates /tmp/lsn-NAME-XXXXXX in dir and a new store in it, or a new
 * database lsn_NAME_XXXXXX (the folder's suffix) with LIAISON_TEST_PG;
 * its path or URL in path.
 */
static inline void
scratch_store_open(const char *name, char dir[static SCRATCH_DIR_MAX],
    char path[static SCRATCH_PATH_MAX], struct store **ret)
{
	struct err err = ERR_INIT;
	char sql[160], db[SCRATCH_DIR_MAX + 16];
	size_t i;

	snprintf(dir, SCRATCH_DIR_MAX, "/tmp/lsn-%s-XXXXXX", name);
	assert_non_null(mkdtemp(dir));
	if (scratch_pg() == NULL) {
		snprintf(path, SCRATCH_PATH_MAX, "%s/store.db", dir);
	} else {
		snprintf(db, sizeof(db), "lsn_%s_%s", name, strrchr(dir, '-') + 1);
		for (i = 0; db[i] != '\0'; i++)
			if (db[i] >= 'A' && db[i] <= 'Z')
				db[i] = (char)(db[i] - 'A' + 'a');
		snprintf(sql, sizeof(sql), "CREATE DATABASE \"%s\"", db);
		scratch_pg_admin(sql);
		snprintf(path, SCRATCH_PATH_MAX, "%s/%s", scratch_pg(), db);
	}
	if (store_open(path, 1, ret, &err) != 0)
		fail_msg("store_open %s: %s", path, err.msg);
}

/* Closes s (NULL: nothing to close) and removes the folder (and database) with everything in it. */
static inline void
scratch_store_remove(struct store *s, const char *dir)
{
	char cmd[SCRATCH_DIR_MAX + 64], db[SCRATCH_DIR_MAX + 16];
	size_t i;

	store_close(s);
	if (scratch_pg() != NULL) {
		/* dir is /tmp/lsn-NAME-XXXXXX: the database lsn_name_xxxxxx */
		snprintf(db, sizeof(db), "lsn_%s", dir + strlen("/tmp/lsn-"));
		for (i = 0; db[i] != '\0'; i++) {
			if (db[i] == '-')
				db[i] = '_';
			if (db[i] >= 'A' && db[i] <= 'Z')
				db[i] = (char)(db[i] - 'A' + 'a');
		}
		snprintf(cmd, sizeof(cmd), "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", db);
		scratch_pg_admin(cmd);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

#endif
