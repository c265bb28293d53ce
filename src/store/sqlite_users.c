/*
 * SQLite backend, local users: accounts, their grants per collection and
 * their bearer tokens (kept only as hashes). Stores what src/http decides;
 * never checks a password or a right itself.
 */
#include "store/sqlite_int.h"
#include "store/store.h"
#include "util/err.h"
#include "util/ts.h"

#include <sqlite3.h>
#include <stdint.h>

static void
row_user(sqlite3_stmt *st, struct store_user *u)
{
	u->rowid = sqlite3_column_int64(st, 0);
	sqlite_copy_text(u->name, sizeof(u->name), st, 1);
	sqlite_copy_text(u->pwhash, sizeof(u->pwhash), st, 2);
	u->admin = sqlite3_column_int(st, 3);
}

int
sqlite_user_add(struct store *base, struct store_user *u, struct err *err)
{
	struct sqlite_store *s = ss(base);
	int r;

	r = sqlite_exec1(s, "INSERT INTO users(name, pwhash, admin, created_us) VALUES (?1, ?2, ?3, ?4)",
	    "adding a user", err, SQLITE_BINDS(SB_TEXT(u->name), SB_TEXT(u->pwhash),
	    SB_INT(u->admin), SB_INT(clock_now_us())));
	if (r == -LSN_EEXIST)
		return err_set(err, LSN_EEXIST, "a user named '%s' already exists", u->name);
	if (r == 0)
		u->rowid = sqlite3_last_insert_rowid(s->db);
	return r;
}

static int
fill_user_row(void *arg, sqlite3_stmt *st, struct err *err)
{
	row_user(st, arg);
	return 0;
}

int
sqlite_user_find(struct store *base, const char *name, struct store_user *ret, struct err *err)
{
	int r = sqlite_row1(ss(base), "SELECT rowid, name, pwhash, admin FROM users WHERE name = ?1",
	    "finding a user", err, fill_user_row, ret, SQLITE_BINDS(SB_TEXT(name)));

	if (r == -LSN_ENOTFOUND)
		err_set(err, LSN_ENOTFOUND, "no user is named '%s'", name);
	return r;
}

int
sqlite_user_get(struct store *base, int64_t rowid, struct store_user *ret, struct err *err)
{
	int r = sqlite_row1(ss(base), "SELECT rowid, name, pwhash, admin FROM users WHERE rowid = ?1",
	    "finding a user", err, fill_user_row, ret, SQLITE_BINDS(SB_INT(rowid)));

	if (r == -LSN_ENOTFOUND)
		err_set(err, LSN_ENOTFOUND, "no user has id %lld", (long long)rowid);
	return r;
}

static void
fill_user(sqlite3_stmt *st, void *el)
{
	row_user(st, el);
}

int
sqlite_user_list(struct store *base, struct store_user **ret, size_t *ret_n, struct err *err)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int r;

	if ((r = sqlite_prep(s, "SELECT rowid, name, pwhash, admin FROM users ORDER BY name", &st, err)) < 0)
		return r;
	return sqlite_collect(s, st, sizeof(**ret), fill_user, (void **)ret, ret_n, "listing users", err);
}

int
sqlite_user_remove(struct store *base, const char *name, struct err *err)
{
	int r = sqlite_change1(ss(base), "DELETE FROM users WHERE name = ?1", "removing a user", err,
	    SQLITE_BINDS(SB_TEXT(name)));

	if (r == -LSN_ENOTFOUND)
		err_set(err, LSN_ENOTFOUND, "no user is named '%s'", name);
	return r;
}

int
sqlite_grant_set(struct store *base, int64_t user, const struct store_grant *g, struct err *err)
{
	return sqlite_exec1(ss(base), "INSERT INTO grants(user, coll, can_read, can_write) "
	    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(user, coll) DO UPDATE SET "
	    "can_read = excluded.can_read, can_write = excluded.can_write", "granting access", err,
	    SQLITE_BINDS(SB_INT(user), SB_INT(g->coll), SB_INT(g->can_read), SB_INT(g->can_write)));
}

static void
fill_grant(sqlite3_stmt *st, void *el)
{
	struct store_grant *g = el;

	g->coll = sqlite3_column_int64(st, 0);
	g->can_read = sqlite3_column_int(st, 1);
	g->can_write = sqlite3_column_int(st, 2);
}

int
sqlite_grant_list(struct store *base, int64_t user, struct store_grant **ret, size_t *ret_n,
    struct err *err)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int r;

	if ((r = sqlite_prep(s, "SELECT coll, can_read, can_write FROM grants WHERE user = ?1", &st, err)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, user);
	return sqlite_collect(s, st, sizeof(**ret), fill_grant, (void **)ret, ret_n, "listing grants", err);
}

int
sqlite_token_add(struct store *base, int64_t user, const char *name, const uint8_t hash[32],
    struct err *err)
{
	return sqlite_exec1(ss(base), "INSERT INTO tokens(hash, user, name, created_us) "
	    "VALUES (?1, ?2, ?3, ?4)", "adding a token", err,
	    SQLITE_BINDS(SB_HASH(hash), SB_INT(user), SB_TEXT(name), SB_INT(clock_now_us())));
}

int
sqlite_token_find(struct store *base, const uint8_t hash[32], int64_t *ret_user, struct err *err)
{
	int r = sqlite_row1(ss(base), "SELECT user FROM tokens WHERE hash = ?1", "finding a token",
	    err, sqlite_fill_int64, ret_user, SQLITE_BINDS(SB_HASH(hash)));

	if (r == -LSN_ENOTFOUND)
		err_set(err, LSN_ENOTFOUND, "unknown token");
	return r;
}
