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
	sqlite3_stmt *st;
	int r;

	if ((r = sqlite_prep(s, "INSERT INTO users(name, pwhash, admin, created_us) VALUES (?1, ?2, ?3, ?4)",
	    &st, err)) < 0)
		return r;
	sqlite3_bind_text(st, 1, u->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, u->pwhash, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, u->admin);
	sqlite3_bind_int64(st, 4, clock_now_us());
	if (sqlite3_step(st) != SQLITE_DONE) {
		if (sqlite3_errcode(s->db) == SQLITE_CONSTRAINT)
			r = err_set(err, LSN_EEXIST, "a user named '%s' already exists", u->name);
		else
			r = sqlite_db_err(s, err, "adding a user");
	} else {
		u->rowid = sqlite3_last_insert_rowid(s->db);
	}
	sqlite_unprep(s, st);
	return r;
}

static int
user_by(struct sqlite_store *s, const char *sql, const char *name, int64_t rowid,
    struct store_user *ret, struct err *err)
{
	sqlite3_stmt *st;
	int r, rc;

	if ((r = sqlite_prep(s, sql, &st, err)) < 0)
		return r;
	if (name != NULL)
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, rowid);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		row_user(st, ret);
	else if (rc == SQLITE_DONE)
		r = name ? err_set(err, LSN_ENOTFOUND, "no user is named '%s'", name) :
			   err_set(err, LSN_ENOTFOUND, "no user has id %lld", (long long)rowid);
	else
		r = sqlite_db_err(s, err, "finding a user");
	sqlite_unprep(s, st);
	return r;
}

int
sqlite_user_find(struct store *base, const char *name, struct store_user *ret, struct err *err)
{
	return user_by(ss(base), "SELECT rowid, name, pwhash, admin FROM users WHERE name = ?1",
	    name, 0, ret, err);
}

int
sqlite_user_get(struct store *base, int64_t rowid, struct store_user *ret, struct err *err)
{
	return user_by(ss(base), "SELECT rowid, name, pwhash, admin FROM users WHERE rowid = ?1",
	    NULL, rowid, ret, err);
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
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int r;

	if ((r = sqlite_prep(s, "DELETE FROM users WHERE name = ?1", &st, err)) < 0)
		return r;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = sqlite_db_err(s, err, "removing a user");
	else if (sqlite3_changes(s->db) == 0)
		r = err_set(err, LSN_ENOTFOUND, "no user is named '%s'", name);
	sqlite_unprep(s, st);
	return r;
}

int
sqlite_grant_set(struct store *base, int64_t user, const struct store_grant *g, struct err *err)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int r;

	if ((r = sqlite_prep(s, "INSERT INTO grants(user, coll, can_read, can_write) VALUES (?1, ?2, ?3, ?4) "
	    "ON CONFLICT(user, coll) DO UPDATE SET can_read = excluded.can_read, "
	    "can_write = excluded.can_write", &st, err)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, user);
	sqlite3_bind_int64(st, 2, g->coll);
	sqlite3_bind_int(st, 3, g->can_read);
	sqlite3_bind_int(st, 4, g->can_write);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = sqlite_db_err(s, err, "granting access");
	sqlite_unprep(s, st);
	return r;
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
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int r;

	if ((r = sqlite_prep(s, "INSERT INTO tokens(hash, user, name, created_us) VALUES (?1, ?2, ?3, ?4)",
	    &st, err)) < 0)
		return r;
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, user);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, clock_now_us());
	if (sqlite3_step(st) != SQLITE_DONE)
		r = sqlite_db_err(s, err, "adding a token");
	sqlite_unprep(s, st);
	return r;
}

int
sqlite_token_find(struct store *base, const uint8_t hash[32], int64_t *ret_user, struct err *err)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int r, rc;

	if ((r = sqlite_prep(s, "SELECT user FROM tokens WHERE hash = ?1", &st, err)) < 0)
		return r;
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*ret_user = sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		r = err_set(err, LSN_ENOTFOUND, "unknown token");
	else
		r = sqlite_db_err(s, err, "finding a token");
	sqlite_unprep(s, st);
	return r;
}

