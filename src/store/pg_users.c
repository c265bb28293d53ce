/*
 * PostgreSQL backend, users: local users, their grants per collection and
 * their bearer tokens (by SHA-256). Mirrors sqlite_users.c. No policy.
 */
#include "store/pg_int.h"
#include "store/store.h"
#include "util/err.h"
#include "util/ts.h"

#include <libpq-fe.h>

#define USER_COLS "rowid, name, pwhash, admin"

static void
row_user(PGresult *res, int row, struct store_user *u)
{
	u->rowid = pg_i64(res, row, 0);
	pg_copy_text(u->name, sizeof(u->name), res, row, 1);
	pg_copy_text(u->pwhash, sizeof(u->pwhash), res, row, 2);
	u->admin = (int)pg_i64(res, row, 3);
}

int
pg_user_add(struct store *base, struct store_user *u, struct err *err)
{
	int r = pg_row1(ps(base), "INSERT INTO users(name, pwhash, admin, created_us) "
	    "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING rowid", "adding a user", err,
	    pg_fill_int64, &u->rowid, PG_BINDS(PB_TEXT(u->name), PB_TEXT(u->pwhash),
	    PB_INT(u->admin), PB_INT(clock_now_us())));

	if (r == -LSN_ENOTFOUND)
		return err_set(err, LSN_EEXIST, "a user named '%s' already exists", u->name);
	return r;
}

static int
fill_user_row(void *arg, PGresult *res, int row, struct err *err)
{
	row_user(res, row, arg);
	return 0;
}

int
pg_user_find(struct store *base, const char *name, struct store_user *ret, struct err *err)
{
	int r = pg_row1(ps(base), "SELECT " USER_COLS " FROM users WHERE name = $1",
	    "finding a user", err, fill_user_row, ret, PG_BINDS(PB_TEXT(name)));

	if (r == -LSN_ENOTFOUND)
		err_set(err, LSN_ENOTFOUND, "no user is named '%s'", name);
	return r;
}

int
pg_user_get(struct store *base, int64_t rowid, struct store_user *ret, struct err *err)
{
	int r = pg_row1(ps(base), "SELECT " USER_COLS " FROM users WHERE rowid = $1",
	    "reading a user", err, fill_user_row, ret, PG_BINDS(PB_INT(rowid)));

	if (r == -LSN_ENOTFOUND)
		err_set(err, LSN_ENOTFOUND, "no user has id %lld", (long long)rowid);
	return r;
}

static void
fill_user(PGresult *res, int row, void *el)
{
	row_user(res, row, el);
}

int
pg_user_list(struct store *base, struct store_user **ret, size_t *ret_n, struct err *err)
{
	return pg_collect(ps(base), "SELECT " USER_COLS " FROM users ORDER BY name",
	    "listing users", err, sizeof(**ret), fill_user, (void **)ret, ret_n, PG_NOBINDS);
}

int
pg_user_remove(struct store *base, const char *name, struct err *err)
{
	int r = pg_change1(ps(base), "DELETE FROM users WHERE name = $1", "removing a user", err,
	    PG_BINDS(PB_TEXT(name)));

	if (r == -LSN_ENOTFOUND)
		err_set(err, LSN_ENOTFOUND, "no user is named '%s'", name);
	return r;
}

int
pg_grant_set(struct store *base, int64_t user, const struct store_grant *g, struct err *err)
{
	return pg_exec1(ps(base), "INSERT INTO grants(uid, coll, can_read, can_write) "
	    "VALUES ($1, $2, $3, $4) ON CONFLICT (uid, coll) DO UPDATE SET "
	    "can_read = excluded.can_read, can_write = excluded.can_write", "granting access", err,
	    PG_BINDS(PB_INT(user), PB_INT(g->coll), PB_INT(g->can_read), PB_INT(g->can_write)));
}

static void
fill_grant(PGresult *res, int row, void *el)
{
	struct store_grant *g = el;

	g->coll = pg_i64(res, row, 0);
	g->can_read = (int)pg_i64(res, row, 1);
	g->can_write = (int)pg_i64(res, row, 2);
}

int
pg_grant_list(struct store *base, int64_t user, struct store_grant **ret, size_t *ret_n,
    struct err *err)
{
	return pg_collect(ps(base), "SELECT coll, can_read, can_write FROM grants WHERE uid = $1 "
	    "ORDER BY coll", "listing grants", err, sizeof(**ret), fill_grant, (void **)ret, ret_n,
	    PG_BINDS(PB_INT(user)));
}

int
pg_token_add(struct store *base, int64_t user, const char *name, const uint8_t hash[32],
    struct err *err)
{
	int r = pg_insert1(ps(base), "INSERT INTO tokens(hash, uid, name, created_us) "
	    "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", "adding a token", err,
	    PG_BINDS(PB_HASH(hash), PB_INT(user), PB_TEXT(name), PB_INT(clock_now_us())));

	if (r == -LSN_EEXIST)
		err_set(err, LSN_EEXIST, "store: adding a token failed: that token exists");
	return r;
}

int
pg_token_find(struct store *base, const uint8_t hash[32], int64_t *ret_user, struct err *err)
{
	int r = pg_row1(ps(base), "SELECT uid FROM tokens WHERE hash = $1", "finding a token",
	    err, pg_fill_int64, ret_user, PG_BINDS(PB_HASH(hash)));

	if (r == -LSN_ENOTFOUND)
		err_set(err, LSN_ENOTFOUND, "unknown token");
	return r;
}
