/*
 * SQLite backend, partner channels: partners, the collections shared with
 * them, and every envelope sent to or accepted from them with its receipt.
 * env_put and env_set_receipt run on the writer's hot path, so each is one
 * cached statement over one index and allocates nothing. Contains no
 * policy: what may be sent to whom is decided above the store.
 */
#include "store/rules.h"
#include "store/sqlite_int.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/ts.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const dir_name[] = { [STORE_OUT] = "outgoing", [STORE_IN] = "incoming" };

static int
bad_dir(int dir, struct err *err)
{
	return err_set(err, LSN_EINVAL, "store: %d is not an envelope direction (0 out, 1 in)", dir);
}

/* Sequence numbers are SQLite integers: 1 .. INT64_MAX (0 means "none"). */
static int64_t
seq_db(uint64_t seq)
{
	return seq > INT64_MAX ? INT64_MAX : (int64_t)seq;
}

static void
copy_blob32(uint8_t dst[static 32], sqlite3_stmt *st, int col)
{
	const void *v = sqlite3_column_blob(st, col);

	if (v != NULL && sqlite3_column_bytes(st, col) == 32)
		memcpy(dst, v, 32);
	else
		memset(dst, 0, 32);
}

/* ---- partners ---- */

#define PARTNER_COLS "rowid, name, key, key_id, spki, endpoint, inbox, active, created_us, " \
	"last_contact_us, last_error, last_error_us, retries, compromised_us, agreement, " \
	"peer_agreement, cert_not_after FROM partners"

static void
row_partner(sqlite3_stmt *st, struct store_partner *p)
{
	memset(p, 0, sizeof(*p));
	p->rowid = sqlite3_column_int64(st, 0);
	sqlite_copy_text(p->name, sizeof(p->name), st, 1);
	copy_blob32(p->key, st, 2);
	copy_blob32(p->key_id, st, 3);
	copy_blob32(p->spki, st, 4);
	sqlite_copy_text(p->endpoint, sizeof(p->endpoint), st, 5);
	p->inbox = sqlite3_column_int64(st, 6);
	p->active = sqlite3_column_int(st, 7);
	p->created_us = sqlite3_column_int64(st, 8);
	p->last_contact_us = sqlite3_column_int64(st, 9);
	sqlite_copy_text(p->last_error, sizeof(p->last_error), st, 10);
	p->last_error_us = sqlite3_column_int64(st, 11);
	p->retries = (uint64_t)sqlite3_column_int64(st, 12);
	p->compromised_us = sqlite3_column_int64(st, 13);
	p->has_agreement = sqlite3_column_bytes(st, 14) == 32;
	if (p->has_agreement)
		copy_blob32(p->agreement, st, 14);
	p->has_peer_agreement = sqlite3_column_bytes(st, 15) == 32;
	if (p->has_peer_agreement)
		copy_blob32(p->peer_agreement, st, 15);
	p->cert_not_after_us = sqlite3_column_int64(st, 16);
}

static void
fill_partner(sqlite3_stmt *st, void *el)
{
	row_partner(st, el);
}

/* The sequence counters of struct store_partner, from the envelopes' indexes. */
static int
partner_counters(struct sqlite_store *s, struct store_partner *p, struct err *err)
{
	int r = sqlite_env_last(&s->base, p->rowid, STORE_OUT, &p->out_seq, &p->out_acked, err);

	if (r == 0)
		r = sqlite_env_last(&s->base, p->rowid, STORE_IN, &p->in_seq, NULL, err);
	return r;
}

static int
fill_partner_row(void *arg, sqlite3_stmt *st, struct err *err)
{
	row_partner(st, arg);
	return 0;
}

/*
 * The partner `where` finds (bound to ?1), with its counters;
 * -LSN_ENOTFOUND without a message (the caller knows what was looked for).
 */
static int
partner_one(struct sqlite_store *s, const char *sql, const struct sqlite_bind *key,
    struct store_partner *ret, struct err *err)
{
	struct store_partner p;
	int r = sqlite_row1(s, sql, "finding a partner", err, fill_partner_row, &p, key, 1);

	if (r == 0)
		r = partner_counters(s, &p, err);
	if (r == 0)
		*ret = p;
	return r;
}

static int
fill_taken(void *arg, sqlite3_stmt *st, struct err *err)
{
	struct store_partner_taken *t = arg;

	t->name = sqlite3_column_type(st, 0) != SQLITE_NULL;
	sqlite_copy_text(t->key_owner, sizeof(t->key_owner), st, 1);
	t->inbox_exists = sqlite3_column_type(st, 2) != SQLITE_NULL;
	sqlite_copy_text(t->inbox_title, sizeof(t->inbox_title), st, 2);
	sqlite_copy_text(t->inbox_owner, sizeof(t->inbox_owner), st, 3);
	return 0;
}

static int
partner_taken(struct sqlite_store *s, const struct store_partner *p, struct store_partner_taken *t,
    struct err *err)
{
	return sqlite_row1(s, "SELECT (SELECT 1 FROM partners WHERE name = ?1),"
	    " (SELECT name FROM partners WHERE key = ?2 OR key_id = ?3 LIMIT 1),"
	    " (SELECT title FROM collections WHERE rowid = ?4),"
	    " (SELECT p.name FROM collections c JOIN partners p ON p.rowid = c.partner"
	    "   WHERE c.rowid = ?4)", "checking a new partner", err, fill_taken, t,
	    SQLITE_BINDS(SB_TEXT(p->name), SB_HASH(p->key), SB_HASH(p->key_id), SB_INT(p->inbox)));
}

/* Refuses a partner whose name or key is taken, or whose inbox is wrong. */
static int
partner_check_new(struct sqlite_store *s, const struct store_partner *p, struct err *err)
{
	struct store_partner_taken t;
	int r;

	if (p->name[0] == '\0')
		return err_set(err, LSN_EINVAL, "store: a partner needs a name");
	if ((r = partner_taken(s, p, &t, err)) < 0)
		return r;
	return store_partner_refusal(p, &t, err);
}

int
sqlite_partner_add(struct store *base, struct store_partner *p, const char *identity,
    struct err *err)
{
	struct sqlite_store *s = ss(base);
	int64_t now = clock_now_us();
	int r;

	if ((r = partner_check_new(s, p, err)) < 0)
		return r;
	/* The partners_inbox trigger marks the inbox collection as this partner's. */
	if ((r = sqlite_exec1(s, "INSERT INTO partners(name, key, key_id, spki, endpoint, inbox, "
	    "active, created_us, identity) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8)",
	    "adding a partner", err, SQLITE_BINDS(SB_TEXT(p->name), SB_HASH(p->key),
	    SB_HASH(p->key_id), SB_HASH(p->spki), SB_TEXT(p->endpoint), SB_INT(p->inbox),
	    SB_INT(now), SB_TEXT(identity ? identity : "")))) < 0)
		return r;
	p->rowid = sqlite3_last_insert_rowid(s->db);
	p->created_us = now;
	p->active = 1;
	return 0;
}

int
sqlite_partner_find(struct store *base, const char *name, struct store_partner *ret,
    struct err *err)
{
	int r = partner_one(ss(base), "SELECT " PARTNER_COLS " WHERE name = ?1",
	    (const struct sqlite_bind[]){ SB_TEXT(name) }, ret, err);

	if (r == -LSN_ENOTFOUND)
		err_set(err, LSN_ENOTFOUND, "no partner is named '%s'", name);
	return r;
}

int
sqlite_partner_get(struct store *base, int64_t rowid, struct store_partner *ret, struct err *err)
{
	int r = partner_one(ss(base), "SELECT " PARTNER_COLS " WHERE rowid = ?1",
	    (const struct sqlite_bind[]){ SB_INT(rowid) }, ret, err);

	if (r == -LSN_ENOTFOUND)
		err_set(err, LSN_ENOTFOUND, "no partner has id %lld", (long long)rowid);
	return r;
}

/* Removed partners keep their key in the table, but it no longer opens anything. */
int
sqlite_partner_by_key_id(struct store *base, const uint8_t key_id[32], struct store_partner *ret,
    struct err *err)
{
	int r = partner_one(ss(base), "SELECT " PARTNER_COLS " WHERE key_id = ?1 AND active = 1",
	    (const struct sqlite_bind[]){ SB_HASH(key_id) }, ret, err);

	if (r == -LSN_ENOTFOUND)
		err_set(err, LSN_ENOTFOUND, "no active partner has this key id");
	return r;
}

int
sqlite_partner_list(struct store *base, struct store_partner **ret, size_t *ret_n,
    struct err *err)
{
	struct sqlite_store *s = ss(base);
	struct store_partner *v = NULL;
	sqlite3_stmt *st;
	size_t n = 0, i;
	int r;

	if ((r = sqlite_prep(s, "SELECT " PARTNER_COLS " ORDER BY name", &st, err)) < 0)
		return r;
	if ((r = sqlite_collect(s, st, sizeof(*v), fill_partner, (void **)&v, &n,
	    "listing partners", err)) < 0)
		return r;
	for (i = 0; i < n && r == 0; i++)
		r = partner_counters(s, &v[i], err);
	if (r < 0) {
		free(v);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

int
sqlite_partner_set_active(struct store *base, int64_t rowid, int active, struct err *err)
{
	int r = sqlite_change1(ss(base), "UPDATE partners SET active = ?2 WHERE rowid = ?1",
	    "changing whether a partner is active", err,
	    SQLITE_BINDS(SB_INT(rowid), SB_INT(active != 0)));

	if (r == -LSN_ENOTFOUND)
		err_set(err, LSN_ENOTFOUND, "no partner has id %lld", (long long)rowid);
	return r;
}

/*
 * A new error (or "" for a success) replaces the old one together with its
 * time; error NULL keeps both.
 */
int
sqlite_partner_health(struct store *base, int64_t rowid, int64_t last_contact_us,
    const char *error, int64_t error_us, uint64_t retries, struct err *err)
{
	int r = sqlite_change1(ss(base), "UPDATE partners SET "
	    "last_contact_us = CASE WHEN ?2 = 0 THEN last_contact_us ELSE ?2 END, "
	    "last_error = coalesce(?3, last_error), "
	    "last_error_us = CASE WHEN ?3 IS NULL THEN last_error_us ELSE ?4 END, "
	    "retries = CASE WHEN ?5 < 0 THEN retries ELSE ?5 END WHERE rowid = ?1",
	    "recording a partner's link health", err, SQLITE_BINDS(SB_INT(rowid),
	    SB_INT(last_contact_us), SB_TEXTN(error, error != NULL ? store_error_len(error) : 0),
	    SB_INT(error_us), SB_INT((int64_t)retries)));

	if (r == -LSN_ENOTFOUND)
		err_set(err, LSN_ENOTFOUND, "no partner has id %lld", (long long)rowid);
	return r;
}

int
sqlite_partner_cert(struct store *base, int64_t rowid, int64_t not_after_us, struct err *err)
{
	int r = sqlite_change1(ss(base), "UPDATE partners SET cert_not_after = ?2 WHERE rowid = ?1",
	    "recording a partner's certificate", err, SQLITE_BINDS(SB_INT(rowid),
	    SB_INT(not_after_us)));

	if (r == -LSN_ENOTFOUND)
		err_set(err, LSN_ENOTFOUND, "no partner has id %lld", (long long)rowid);
	return r;
}

struct identity_out {
	char *out;
	size_t cap;
	int64_t rowid;
};

static int
fill_identity(void *arg, sqlite3_stmt *st, struct err *err)
{
	struct identity_out *o = arg;
	const char *v = (const char *)sqlite3_column_text(st, 0);
	size_t n = (size_t)sqlite3_column_bytes(st, 0);

	if (n >= o->cap)
		return err_set(err, LSN_ETOOBIG, "the identity document of partner %lld is %zu "
		    "bytes, more than this call can hold", (long long)o->rowid, n);
	if (v != NULL)
		memcpy(o->out, v, n + 1);
	else
		o->out[0] = '\0';
	return 0;
}

/* The document exactly as stored: evidence bundles carry it to a third party. */
int
sqlite_partner_identity(struct store *base, int64_t rowid, char *out, size_t cap,
    struct err *err)
{
	struct identity_out o = { out, cap, rowid };
	int r = sqlite_row1(ss(base), "SELECT identity FROM partners WHERE rowid = ?1",
	    "reading a partner's identity document", err, fill_identity, &o,
	    SQLITE_BINDS(SB_INT(rowid)));

	if (r == -LSN_ENOTFOUND)
		err_set(err, LSN_ENOTFOUND, "no partner has id %lld", (long long)rowid);
	return r;
}

/* ---- shares ---- */

int
sqlite_share_add(struct store *base, const struct store_share *sh, struct err *err)
{
	struct sqlite_store *s = ss(base);
	int r = sqlite_exec1(s, "INSERT INTO shares(partner, coll, cursor_us) VALUES (?1, ?2, ?3) "
	    "ON CONFLICT(partner, coll) DO NOTHING", "sharing a collection", err,
	    SQLITE_BINDS(SB_INT(sh->partner), SB_INT(sh->coll), SB_INT(sh->cursor_us)));

	/* a reset statement leaves the connection's error as its step set it */
	if (r == -LSN_EEXIST && sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_FOREIGNKEY)
		r = err_set(err, LSN_ENOTFOUND, "collection %lld cannot be shared with partner %lld: "
		    "one of them does not exist", (long long)sh->coll, (long long)sh->partner);
	return r;
}

static void
fill_share(sqlite3_stmt *st, void *el)
{
	struct store_share *sh = el;

	sh->partner = sqlite3_column_int64(st, 0);
	sh->coll = sqlite3_column_int64(st, 1);
	sh->cursor_us = sqlite3_column_int64(st, 2);
}

int
sqlite_share_list(struct store *base, int64_t partner, struct store_share **ret, size_t *ret_n,
    struct err *err)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int r;

	if ((r = sqlite_prep(s, "SELECT partner, coll, cursor_us FROM shares WHERE partner = ?1 "
	    "ORDER BY coll", &st, err)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, partner);
	return sqlite_collect(s, st, sizeof(**ret), fill_share, (void **)ret, ret_n,
	    "listing shares", err);
}

int
sqlite_share_set_cursor(struct store *base, int64_t partner, int64_t coll, int64_t cursor_us,
    struct err *err)
{
	int r = sqlite_change1(ss(base), "UPDATE shares SET cursor_us = ?3 WHERE partner = ?1 AND "
	    "coll = ?2", "moving a share's cursor", err,
	    SQLITE_BINDS(SB_INT(partner), SB_INT(coll), SB_INT(cursor_us)));

	if (r == -LSN_ENOTFOUND)
		err_set(err, LSN_ENOTFOUND, "collection %lld is not shared with partner %lld",
		    (long long)coll, (long long)partner);
	return r;
}

/* ---- envelopes ---- */

/*
 * Column order of every envelope read; bytes, when asked for, comes last,
 * from envelope_bytes, so a scan without STORE_ENV_BYTES never touches the
 * bodies' pages.
 */
#define ENV_COLS "seq, id, kind, items, created_us, receipt_us, receipt, len, leaf, proof"
#define ENV_BYTES "(SELECT bytes FROM envelope_bytes WHERE envelope = envelopes.rowid)"
enum { EC_SEQ, EC_ID, EC_KIND, EC_ITEMS, EC_CREATED, EC_RECEIPT_US, EC_RECEIPT, EC_LEN, EC_LEAF,
	EC_PROOF, EC_BYTES };

/* Fills e with pointers into the current row of st (valid until it moves). */
static void
row_envelope(sqlite3_stmt *st, int64_t partner, int dir, int with_bytes,
    struct store_envelope *e)
{
	memset(e, 0, sizeof(*e));
	e->partner = partner;
	e->dir = dir;
	e->seq = (uint64_t)sqlite3_column_int64(st, EC_SEQ);
	copy_blob32(e->id, st, EC_ID);
	e->kind = sqlite3_column_int(st, EC_KIND);
	e->items = (uint32_t)sqlite3_column_int64(st, EC_ITEMS);
	e->created_us = sqlite3_column_int64(st, EC_CREATED);
	e->receipt_us = sqlite3_column_int64(st, EC_RECEIPT_US);
	if (sqlite3_column_type(st, EC_RECEIPT) != SQLITE_NULL) {
		e->receipt = sqlite3_column_blob(st, EC_RECEIPT);
		e->receipt_len = (size_t)sqlite3_column_bytes(st, EC_RECEIPT);
	}
	e->has_leaf = sqlite3_column_type(st, EC_LEAF) != SQLITE_NULL;
	e->leaf = (uint64_t)sqlite3_column_int64(st, EC_LEAF);
	if (sqlite3_column_type(st, EC_PROOF) != SQLITE_NULL) {
		e->proof = (const char *)sqlite3_column_text(st, EC_PROOF);
		e->proof_len = (size_t)sqlite3_column_bytes(st, EC_PROOF);
	}
	if (with_bytes) {
		e->bytes = sqlite3_column_blob(st, EC_BYTES);
		e->len = (size_t)sqlite3_column_bytes(st, EC_BYTES);
	}
}

static int
env_put_check(const struct store_envelope *e, struct err *err)
{
	if (e->dir != STORE_OUT && e->dir != STORE_IN)
		return bad_dir(e->dir, err);
	if (e->seq == 0 || e->seq > INT64_MAX)
		return err_set(err, LSN_EINVAL, "store: envelope sequence number %llu is out of range "
		    "(1 to 2^63-1)", (unsigned long long)e->seq);
	if (e->receipt != NULL && e->receipt_len == 0)
		return err_set(err, LSN_EINVAL, "store: an envelope's receipt cannot be empty");
	return 0;
}

static int
env_put_failed(struct sqlite_store *s, const struct store_envelope *e, struct err *err)
{
	switch (sqlite3_extended_errcode(s->db)) {
	case SQLITE_CONSTRAINT_UNIQUE:
		return err_set(err, LSN_EEXIST, "%s envelope %llu of partner %lld is already stored",
		    dir_name[e->dir], (unsigned long long)e->seq, (long long)e->partner);
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return err_set(err, LSN_ENOTFOUND, "no partner has id %lld, so its envelope %llu "
		    "cannot be stored", (long long)e->partner, (unsigned long long)e->seq);
	default:
		return sqlite_db_err(s, err, "storing an envelope");
	}
}

static int
put_bytes(struct sqlite_store *s, int64_t envelope, const struct store_envelope *e, struct err *err)
{
	sqlite3_stmt *st;
	int r;

	if ((r = sqlite_prep(s, "INSERT INTO envelope_bytes(envelope, bytes) VALUES (?1, ?2)",
	    &st, err)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, envelope);
	/* "" rather than NULL: a NULL pointer would bind SQL NULL, refused by NOT NULL */
	sqlite3_bind_blob64(st, 2, e->bytes ? (const void *)e->bytes : "", e->len, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = sqlite_db_err(s, err, "storing an envelope's bytes");
	sqlite_unprep(s, st);
	return r;
}

int
sqlite_env_put(struct store *base, const struct store_envelope *e, struct err *err)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int r;

	if ((r = env_put_check(e, err)) < 0)
		return r;
	if ((r = sqlite_prep(s, "INSERT INTO envelopes(partner, dir, seq, id, kind, items, "
	    "created_us, receipt_us, receipt, len, leaf) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)", &st, err)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, e->partner);
	sqlite3_bind_int(st, 2, e->dir);
	sqlite3_bind_int64(st, 3, (int64_t)e->seq);
	sqlite3_bind_blob(st, 4, e->id, 32, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, e->kind);
	sqlite3_bind_int64(st, 6, e->items);
	sqlite3_bind_int64(st, 7, e->created_us);
	sqlite3_bind_int64(st, 8, e->receipt_us);
	if (e->receipt != NULL)
		sqlite3_bind_blob64(st, 9, e->receipt, e->receipt_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 9);
	sqlite3_bind_int64(st, 10, (int64_t)e->len);
	if (e->has_leaf)
		sqlite3_bind_int64(st, 11, (int64_t)e->leaf);
	else
		sqlite3_bind_null(st, 11);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = env_put_failed(s, e, err);
	sqlite_unprep(s, st);
	if (r < 0)
		return r;
	return put_bytes(s, sqlite3_last_insert_rowid(s->db), e, err);
}

/*
 * Copies the row's bytes and receipt into s->env, so ret stays valid after
 * the statement is reset: an open statement would pin a read snapshot.
 */
static int
env_keep(struct sqlite_store *s, int with_bytes, struct store_envelope *e, struct err *err)
{
	size_t len = e->len, rlen = e->receipt_len, plen = e->proof_len;
	int r;

	buf_reset(&s->env);
	if ((r = buf_reserve(&s->env, len + rlen + plen + 1)) < 0)
		return err_set(err, -r, "store: no room to read envelope %llu (%zu bytes)",
		    (unsigned long long)e->seq, len + rlen + plen);
	buf_add(&s->env, e->bytes, len);
	buf_add(&s->env, e->receipt, rlen);
	buf_add(&s->env, e->proof, plen);
	if (with_bytes)
		e->bytes = (const uint8_t *)s->env.data;
	if (e->receipt != NULL)
		e->receipt = (const uint8_t *)s->env.data + len;
	if (e->proof != NULL)
		e->proof = s->env.data + len + rlen;
	return 0;
}

/* What env_get and env_without_leaf's fill needs: the row is kept in s->env. */
struct env_out {
	struct sqlite_store *s;
	int from_row;               /* partner and dir are the row's last two columns */
	int64_t partner;
	int dir;
	int with_bytes;
	struct store_envelope e;
};

static int
fill_envelope(void *arg, sqlite3_stmt *st, struct err *err)
{
	struct env_out *o = arg;

	if (o->from_row)
		row_envelope(st, sqlite3_column_int64(st, EC_BYTES + 1),
		    sqlite3_column_int(st, EC_BYTES + 2), 1, &o->e);
	else
		row_envelope(st, o->partner, o->dir, o->with_bytes, &o->e);
	return env_keep(o->s, o->with_bytes, &o->e, err);
}

int
sqlite_env_get(struct store *base, int64_t partner, int dir, uint64_t seq, int with_bytes,
    struct store_envelope *ret, struct err *err)
{
	struct env_out o = { ss(base), 0, partner, dir, with_bytes, { 0 } };
	int r;

	if (dir != STORE_OUT && dir != STORE_IN)
		return bad_dir(dir, err);
	r = sqlite_row1(o.s, with_bytes ?
	    "SELECT " ENV_COLS ", " ENV_BYTES " FROM envelopes WHERE partner = ?1 AND dir = ?2 AND seq = ?3" :
	    "SELECT " ENV_COLS " FROM envelopes WHERE partner = ?1 AND dir = ?2 AND seq = ?3",
	    "reading an envelope", err, fill_envelope, &o,
	    SQLITE_BINDS(SB_INT(partner), SB_INT(dir), SB_INT(seq_db(seq))));
	if (r == -LSN_ENOTFOUND)
		return err_set(err, LSN_ENOTFOUND, "partner %lld has no %s envelope %llu",
		    (long long)partner, dir_name[dir], (unsigned long long)seq);
	if (r == 0)
		*ret = o.e;
	return r;
}

static int
fill_nothing(void *arg, sqlite3_stmt *st, struct err *err)
{
	return 0;
}

/* Existence of an outgoing envelope, when a receipt update matched nothing. */
static int
env_out_exists(struct sqlite_store *s, int64_t partner, uint64_t seq, struct err *err)
{
	int r = sqlite_row1(s, "SELECT 1 FROM envelopes WHERE partner = ?1 AND dir = 0 AND seq = ?2",
	    "looking up an envelope", err, fill_nothing, NULL,
	    SQLITE_BINDS(SB_INT(partner), SB_INT(seq_db(seq))));

	if (r == -LSN_ENOTFOUND)
		err_set(err, LSN_ENOTFOUND, "partner %lld has no outgoing envelope %llu",
		    (long long)partner, (unsigned long long)seq);
	return r;
}

/*
 * The first receipt stays: a partner answers a resent envelope with the
 * receipt it gave the first time, and the one already stored may already
 * be in an evidence bundle.
 */
int
sqlite_env_set_receipt(struct store *base, int64_t partner, uint64_t seq, const uint8_t *receipt,
    size_t len, int64_t receipt_us, struct err *err)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int r;

	if (receipt == NULL || len == 0)
		return err_set(err, LSN_EINVAL, "store: an envelope's receipt cannot be empty");
	if ((r = sqlite_prep(s, "UPDATE envelopes SET receipt = ?3, receipt_us = ?4 "
	    "WHERE partner = ?1 AND dir = 0 AND seq = ?2 AND receipt IS NULL", &st, err)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, partner);
	sqlite3_bind_int64(st, 2, seq_db(seq));
	sqlite3_bind_blob64(st, 3, receipt, len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, receipt_us);
	/* bound by hand, not with sqlite_change1: the writer's hot path */
	if (sqlite3_step(st) != SQLITE_DONE)
		r = sqlite_db_err(s, err, "storing a receipt");
	else if (sqlite3_changes(s->db) == 0)
		r = -LSN_ENOTFOUND;
	sqlite_unprep(s, st);
	if (r == -LSN_ENOTFOUND)
		return env_out_exists(s, partner, seq, err);
	if (r < 0)
		return r;
	return sqlite_step_receipted(s, partner, seq, receipt_us, err);
}

/*
 * The eight scans, indexed by flags: direction, receipted or not, with or
 * without bytes. INDEXED BY makes the unreceipted ones use the partial
 * index (the planner, without statistics, might filter the full one).
 */
#define ENV_SCAN(cols, idx, cond, cmp, order) \
	"SELECT " cols " FROM envelopes INDEXED BY " idx " WHERE partner = ?1 AND dir = ?2" \
	cond " AND seq " cmp " ?3 ORDER BY seq " order " LIMIT ?4"
#define SCAN_ALL(cols, cmp, order) ENV_SCAN(cols, "envelopes_seq", "", cmp, order)
#define SCAN_UNRC(cols, cmp, order) \
	ENV_SCAN(cols, "envelopes_unreceipted", " AND receipt IS NULL", cmp, order)
#define ENV_FLAGS (STORE_ENV_BYTES | STORE_ENV_UNRECEIPTED | STORE_ENV_DESC)

static const char *const scan_sql[ENV_FLAGS + 1] = {
	[0] = SCAN_ALL(ENV_COLS, ">", "ASC"),
	[STORE_ENV_BYTES] = SCAN_ALL(ENV_COLS ", " ENV_BYTES, ">", "ASC"),
	[STORE_ENV_UNRECEIPTED] = SCAN_UNRC(ENV_COLS, ">", "ASC"),
	[STORE_ENV_UNRECEIPTED | STORE_ENV_BYTES] = SCAN_UNRC(ENV_COLS ", " ENV_BYTES, ">", "ASC"),
	[STORE_ENV_DESC] = SCAN_ALL(ENV_COLS, "<=", "DESC"),
	[STORE_ENV_DESC | STORE_ENV_BYTES] = SCAN_ALL(ENV_COLS ", " ENV_BYTES, "<=", "DESC"),
	[STORE_ENV_DESC | STORE_ENV_UNRECEIPTED] = SCAN_UNRC(ENV_COLS, "<=", "DESC"),
	[ENV_FLAGS] = SCAN_UNRC(ENV_COLS ", " ENV_BYTES, "<=", "DESC"),
};

static int
env_scan_prep(struct sqlite_store *s, const struct store_env_query *q, sqlite3_stmt **ret,
    struct err *err)
{
	sqlite3_stmt *st;
	int64_t bound;
	int r;

	if (q->dir != STORE_OUT && q->dir != STORE_IN)
		return bad_dir(q->dir, err);
	if (q->flags & ~(unsigned)ENV_FLAGS)
		return err_set(err, LSN_EINVAL, "store: unknown envelope scan flags %#x", q->flags);
	if ((r = sqlite_prep(s, scan_sql[q->flags], &st, err)) < 0)
		return r;
	/* Descending scans bind seq <= before_seq - 1, so "no bound" is INT64_MAX. */
	if (q->flags & STORE_ENV_DESC)
		bound = q->before_seq == 0 ? INT64_MAX : seq_db(q->before_seq - 1);
	else
		bound = seq_db(q->after_seq);
	sqlite3_bind_int64(st, 1, q->partner);
	sqlite3_bind_int(st, 2, q->dir);
	sqlite3_bind_int64(st, 3, bound);
	sqlite3_bind_int64(st, 4, q->max_n == 0 || q->max_n > INT64_MAX ? -1 : (int64_t)q->max_n);
	*ret = st;
	return 0;
}

int
sqlite_env_scan(struct store *base, const struct store_env_query *q, store_env_fn fn, void *arg,
    struct err *err)
{
	struct sqlite_store *s = ss(base);
	struct store_envelope e;
	sqlite3_stmt *st = NULL;
	size_t n = 0, bytes = 0, len;
	int r, rc;

	if ((r = env_scan_prep(s, q, &st, err)) < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		len = (size_t)sqlite3_column_int64(st, EC_LEN);
		/* The first always passes, or one large envelope would block the link. */
		if (q->max_bytes != 0 && n > 0 && bytes + len > q->max_bytes)
			break;
		row_envelope(st, q->partner, q->dir, q->flags & STORE_ENV_BYTES, &e);
		n++;
		bytes += len;
		if ((r = fn(arg, &e)) < 0)
			goto out;
	}
	r = 0;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = sqlite_db_err(s, err, "scanning envelopes");
out:
	sqlite_unprep(s, st);
	return r;
}

/*
 * Both answers come from the first entry of one index each: the highest
 * seq from envelopes_seq, the lowest seq still without a receipt from the
 * partial index (receipted envelopes are not in it), so the cost does not
 * grow with the history.
 */
struct env_last {
	uint64_t last, receipted;
};

static int
fill_env_last(void *arg, sqlite3_stmt *st, struct err *err)
{
	struct env_last *l = arg;

	l->last = (uint64_t)sqlite3_column_int64(st, 0);
	l->receipted = sqlite3_column_type(st, 1) == SQLITE_NULL ? l->last :
	    (uint64_t)sqlite3_column_int64(st, 1) - 1;
	return 0;
}

int
sqlite_env_last(struct store *base, int64_t partner, int dir, uint64_t *ret_seq,
    uint64_t *ret_receipted, struct err *err)
{
	struct env_last l;
	int r;

	if (dir != STORE_OUT && dir != STORE_IN)
		return bad_dir(dir, err);
	if ((r = sqlite_row1(ss(base), "SELECT (SELECT max(seq) FROM envelopes INDEXED BY "
	    "envelopes_seq WHERE partner = ?1 AND dir = ?2),"
	    " (SELECT seq FROM envelopes INDEXED BY envelopes_unreceipted"
	    "   WHERE partner = ?1 AND dir = ?2 AND receipt IS NULL ORDER BY seq LIMIT 1)",
	    "reading the last envelope", err, fill_env_last, &l,
	    SQLITE_BINDS(SB_INT(partner), SB_INT(dir)))) < 0)
		return r;
	if (ret_seq != NULL)
		*ret_seq = l.last;
	if (ret_receipted != NULL)
		*ret_receipted = l.receipted;
	return 0;
}

int
sqlite_env_set_proof(struct store *base, int64_t partner, int dir, uint64_t seq,
    const char *proof, size_t len, struct err *err)
{
	int r;

	if (dir != STORE_OUT && dir != STORE_IN)
		return bad_dir(dir, err);
	r = sqlite_change1(ss(base), "UPDATE envelopes SET proof = ?4 "
	    "WHERE partner = ?1 AND dir = ?2 AND seq = ?3", "storing an envelope's proof", err,
	    SQLITE_BINDS(SB_INT(partner), SB_INT(dir), SB_INT(seq_db(seq)), SB_TEXTN(proof, len)));
	if (r == -LSN_ENOTFOUND)
		r = err_set(err, LSN_ENOTFOUND, "partner %lld has no %s envelope %llu",
		    (long long)partner, dir_name[dir], (unsigned long long)seq);
	return r;
}

/* Envelopes with a leaf, in leaf order: what `log verify` matches entries against. */
int
sqlite_env_scan_leaves(struct store *base, int64_t from, store_env_fn fn, void *arg,
    struct err *err)
{
	struct sqlite_store *s = ss(base);
	struct store_envelope e;
	sqlite3_stmt *st;
	int r, rc;

	if ((r = sqlite_prep(s, "SELECT " ENV_COLS ", " ENV_BYTES ", partner, dir FROM envelopes "
	    "INDEXED BY envelopes_leaf WHERE leaf IS NOT NULL AND leaf >= ?1 ORDER BY leaf",
	    &st, err)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, from);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_envelope(st, sqlite3_column_int64(st, EC_BYTES + 1),
		    sqlite3_column_int(st, EC_BYTES + 2), 1, &e);
		if ((r = fn(arg, &e)) < 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		r = sqlite_db_err(s, err, "scanning envelopes by leaf");
out:
	sqlite_unprep(s, st);
	return r;
}

int
sqlite_env_without_leaf(struct store *base, struct store_envelope *ret, struct err *err)
{
	struct env_out o = { ss(base), 1, 0, 0, 1, { 0 } };
	int r = sqlite_row1(o.s, "SELECT " ENV_COLS ", " ENV_BYTES ", partner, dir FROM envelopes "
	    "WHERE leaf IS NULL ORDER BY rowid LIMIT 1", "finding an envelope without a leaf", err,
	    fill_envelope, &o, NULL, 0);

	if (r == 0)
		*ret = o.e;
	return r;
}

int
sqlite_env_set_leaf(struct store *base, int64_t partner, int dir, uint64_t seq, uint64_t leaf,
    struct err *err)
{
	if (dir != STORE_OUT && dir != STORE_IN)
		return bad_dir(dir, err);
	return sqlite_change1(ss(base), "UPDATE envelopes SET leaf = ?4 "
	    "WHERE partner = ?1 AND dir = ?2 AND seq = ?3 AND leaf IS NULL",
	    "giving an envelope its leaf", err,
	    SQLITE_BINDS(SB_INT(partner), SB_INT(dir), SB_INT(seq_db(seq)), SB_INT((int64_t)leaf)));
}
