/*
 * The end-to-end tests' view of a node's store from outside the daemon, on
 * either backend: with LIAISON_TEST_PG set (a server URL without a
 * database), every node made by e2e_node_init keeps its store in a fresh
 * database there, and tests read and tamper with it through e2e_db_* with
 * the same SQL (`?` placeholders; a statement whose words differ between
 * SQLite and PostgreSQL is given in both).
 */
#include "e2e.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
e2e_pg(void)
{
	const char *u = getenv("LIAISON_TEST_PG");

	return u != NULL && u[0] != '\0' ? u : NULL;
}

/* Runs sql on the server's postgres database; 0, or -1 with the reason in msg. */
static int
pg_admin_try(const char *sql, char *msg, size_t cap)
{
	char url[512];
	PGconn *c;
	PGresult *res;
	int r = 0;

	snprintf(url, sizeof(url), "%s/postgres", e2e_pg());
	c = PQconnectdb(url);
	res = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		snprintf(msg, cap, "%s: %s", sql, PQerrorMessage(c));
		r = -1;
	}
	PQclear(res);
	PQfinish(c);
	return r;
}

static void
pg_admin(const char *sql)
{
	char msg[600];

	if (pg_admin_try(sql, msg, sizeof(msg)) < 0)
		fail_msg("%s", msg);
}

void
e2e_pg_create(const char *home, char db[64], char url[512])
{
	char sql[160];
	size_t i, j = 0;
	const char *base = strstr(home, "liaison-e2e-");

	/* lsn_e2e_<the mkdtemp suffix>_<node name>, lower case, [a-z0-9_] */
	snprintf(sql, sizeof(sql), "%s", base ? base + strlen("liaison-e2e-") : home);
	j = (size_t)snprintf(db, 64, "lsn_e2e_");
	for (i = 0; sql[i] != '\0' && j < 63; i++)
		db[j++] = isalnum((unsigned char)sql[i]) ? (char)tolower((unsigned char)sql[i]) : '_';
	db[j] = '\0';
	snprintf(sql, sizeof(sql), "CREATE DATABASE \"%s\"", db);
	pg_admin(sql);
	snprintf(url, 512, "%s/%s", e2e_pg(), db);
}

void
e2e_pg_copy(const char *from, char db[64], char url[512])
{
	static int n;
	char sql[200];

	snprintf(db, 64, "%.50s_c%d", from, n++);
	snprintf(sql, sizeof(sql), "CREATE DATABASE \"%s\" TEMPLATE \"%s\"", db, from);
	pg_admin(sql);
	snprintf(url, 512, "%s/%s", e2e_pg(), db);
}

void
e2e_pg_drop(const char *db)
{
	char sql[160], msg[600];

	if (db[0] == '\0' || e2e_pg() == NULL || getenv("E2E_KEEP") != NULL)
		return;
	/* also from teardowns and exit handlers, where a test cannot fail: say it, go on */
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", db);
	if (pg_admin_try(sql, msg, sizeof(msg)) < 0)
		fprintf(stderr, "e2e: %s\n", msg);
}

struct e2e_db {
	sqlite3 *lite;
	PGconn *pg;
};

struct e2e_db *
e2e_db_open(const struct e2e_node *n, int rw)
{
	struct e2e_db *d = calloc(1, sizeof(*d));
	char p[400];

	if (n->db[0] != '\0') {
		snprintf(p, sizeof(p), "%s/%s", e2e_pg(), n->db);
		d->pg = PQconnectdb(p);
		if (PQstatus(d->pg) != CONNECTION_OK)
			fail_msg("cannot connect to %s: %s", p, PQerrorMessage(d->pg));
		return d;
	}
	snprintf(p, sizeof(p), "%s/store.db", n->home);
	if (sqlite3_open_v2(p, &d->lite, rw ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK)
		fail_msg("cannot open %s: %s", p, d->lite ? sqlite3_errmsg(d->lite) : "?");
	sqlite3_busy_timeout(d->lite, 5000);
	return d;
}

void
e2e_db_close(struct e2e_db *d)
{
	if (d == NULL)
		return;
	if (d->lite)
		sqlite3_close(d->lite);
	if (d->pg)
		PQfinish(d->pg);
	free(d);
}

int
e2e_db_is_pg(const struct e2e_db *d)
{
	return d->pg != NULL;
}

/* sql with ?s numbered $1, $2, ... for PostgreSQL. */
static void
numbered(const char *sql, char *out, size_t cap)
{
	size_t j = 0;
	int k = 1;

	for (; *sql && j + 8 < cap; sql++) {
		if (*sql == '?')
			j += (size_t)snprintf(out + j, cap - j, "$%d", k++);
		else
			out[j++] = *sql;
	}
	out[j] = '\0';
}

/* Runs sql with up to two parameters: a blob (b, n; NULL: none) then an integer (has_i). */
static PGresult *
pg_run(struct e2e_db *d, const char *sql, const uint8_t *b, size_t n, int has_i, long long i)
{
	char q[2048], num[32];
	const char *v[2];
	int len[2], fmt[2], np = 0;
	PGresult *res;

	numbered(sql, q, sizeof(q));
	if (b != NULL) {
		v[np] = (const char *)b, len[np] = (int)n, fmt[np++] = 1;
	}
	if (has_i) {
		snprintf(num, sizeof(num), "%lld", i);
		v[np] = num, len[np] = 0, fmt[np++] = 0;
	}
	res = PQexecParams(d->pg, q, np, NULL, v, len, fmt, 1);
	if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK)
		fail_msg("'%s': %s", q, PQerrorMessage(d->pg));
	return res;
}

long long
e2e_db_int(struct e2e_db *d, const char *sql)
{
	sqlite3_stmt *st = NULL;
	long long v = 0;

	if (d->pg != NULL) {
		PGresult *res = pg_run(d, sql, NULL, 0, 0, 0);
		const unsigned char *p;
		int k;

		if (PQntuples(res) != 1)
			fail_msg("'%s' gave no row", sql);
		p = (const unsigned char *)PQgetvalue(res, 0, 0);
		for (k = 0; k < PQgetlength(res, 0, 0); k++)
			v = v << 8 | p[k];
		if (PQgetlength(res, 0, 0) == 4)
			v = (int32_t)v;
		PQclear(res);
		return v;
	}
	if (sqlite3_prepare_v2(d->lite, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("prepare '%s': %s", sql, sqlite3_errmsg(d->lite));
	if (sqlite3_step(st) != SQLITE_ROW)
		fail_msg("'%s' gave no row: %s", sql, sqlite3_errmsg(d->lite));
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

long long
e2e_db_int1(struct e2e_db *d, const char *sql, long long arg, int *ret_found)
{
	sqlite3_stmt *st = NULL;
	long long v = 0;

	*ret_found = 0;
	if (d->pg != NULL) {
		PGresult *res = pg_run(d, sql, NULL, 0, 1, arg);
		const unsigned char *p;
		int k;

		if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0)) {
			*ret_found = 1;
			p = (const unsigned char *)PQgetvalue(res, 0, 0);
			for (k = 0; k < PQgetlength(res, 0, 0); k++)
				v = v << 8 | p[k];
		}
		PQclear(res);
		return v;
	}
	if (sqlite3_prepare_v2(d->lite, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("prepare '%s': %s", sql, sqlite3_errmsg(d->lite));
	sqlite3_bind_int64(st, 1, arg);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*ret_found = 1;
		v = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return v;
}

int
e2e_db_exec(struct e2e_db *d, const char *sql, const char *pg_sql)
{
	char *msg = NULL;
	int r;

	if (d->pg != NULL) {
		PGresult *res = PQexec(d->pg, pg_sql ? pg_sql : sql);

		r = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK ?
		    0 : -1;
		PQclear(res);
		return r;
	}
	r = sqlite3_exec(d->lite, sql, NULL, NULL, &msg) == SQLITE_OK ? 0 : -1;
	sqlite3_free(msg);
	return r;
}

uint8_t *
e2e_db_blob(struct e2e_db *d, const char *sql, long long arg, size_t *ret_len)
{
	sqlite3_stmt *st = NULL;
	uint8_t *b = NULL;

	*ret_len = 0;
	if (d->pg != NULL) {
		PGresult *res = pg_run(d, sql, NULL, 0, 1, arg);

		if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0)) {
			*ret_len = (size_t)PQgetlength(res, 0, 0);
			b = malloc(*ret_len + 1);
			memcpy(b, PQgetvalue(res, 0, 0), *ret_len);
			b[*ret_len] = 0;
		}
		PQclear(res);
		return b;
	}
	if (sqlite3_prepare_v2(d->lite, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("prepare '%s': %s", sql, sqlite3_errmsg(d->lite));
	sqlite3_bind_int64(st, 1, arg);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*ret_len = (size_t)sqlite3_column_bytes(st, 0);
		b = malloc(*ret_len + 1);
		memcpy(b, sqlite3_column_blob(st, 0), *ret_len);
		b[*ret_len] = 0;
	}
	sqlite3_finalize(st);
	return b;
}

void
e2e_db_set_blob(struct e2e_db *d, const char *sql, const uint8_t *b, size_t n, long long arg)
{
	sqlite3_stmt *st = NULL;

	if (d->pg != NULL) {
		PGresult *res = pg_run(d, sql, b, n, 1, arg);

		if (strcmp(PQcmdTuples(res), "1") != 0)
			fail_msg("'%s' (arg %lld) did not change one row", sql, arg);
		PQclear(res);
		return;
	}
	if (sqlite3_prepare_v2(d->lite, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("prepare '%s': %s", sql, sqlite3_errmsg(d->lite));
	sqlite3_bind_blob(st, 1, b, (int)n, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, arg);
	if (sqlite3_step(st) != SQLITE_DONE || sqlite3_changes(d->lite) != 1)
		fail_msg("'%s' (arg %lld) did not change one row: %s", sql, arg,
		    sqlite3_errmsg(d->lite));
	sqlite3_finalize(st);
}
