/*
 * PostgreSQL backend, partner channels: partners, the collections shared
 * with them, every envelope sent to or accepted from them with its
 * receipt, agreements and the policy log. Mirrors sqlite_exchange.c (and
 * the agreement and policy-log entries of sqlite_ledger.c): the same
 * answers, sentences and orders. Envelope writes are singleton writes:
 * each checks the fence first (pg_int.h). Contains no policy.
 */
#include "store/pg_int.h"
#include "store/rules.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/ts.h"

#include <libpq-fe.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const dir_name[] = { [STORE_OUT] = "outgoing", [STORE_IN] = "incoming" };

static int
bad_dir(int dir, struct err *err)
{
	return err_set(err, LSN_EINVAL, "store: %d is not an envelope direction (0 out, 1 in)", dir);
}

static int64_t
seq_db(uint64_t seq)
{
	return seq > INT64_MAX ? INT64_MAX : (int64_t)seq;
}

/* ---- partners ---- */

#define PARTNER_COLS "rowid, name, key, key_id, spki, endpoint, inbox, active, created_us, " \
	"last_contact_us, last_error, last_error_us, retries, compromised_us, agreement, " \
	"peer_agreement, cert_not_after FROM partners"

static void
row_partner(PGresult *res, int i, struct store_partner *p)
{
	memset(p, 0, sizeof(*p));
	p->rowid = pg_i64(res, i, 0);
	pg_copy_text(p->name, sizeof(p->name), res, i, 1);
	pg_copy_hash(p->key, res, i, 2);
	pg_copy_hash(p->key_id, res, i, 3);
	pg_copy_hash(p->spki, res, i, 4);
	pg_copy_text(p->endpoint, sizeof(p->endpoint), res, i, 5);
	p->inbox = pg_i64(res, i, 6);
	p->active = (int)pg_i64(res, i, 7);
	p->created_us = pg_i64(res, i, 8);
	p->last_contact_us = pg_i64(res, i, 9);
	pg_copy_text(p->last_error, sizeof(p->last_error), res, i, 10);
	p->last_error_us = pg_i64(res, i, 11);
	p->retries = (uint64_t)pg_i64(res, i, 12);
	p->compromised_us = pg_i64(res, i, 13);
	p->has_agreement = pg_copy_hash(p->agreement, res, i, 14);
	p->has_peer_agreement = pg_copy_hash(p->peer_agreement, res, i, 15);
	p->cert_not_after_us = pg_i64(res, i, 16);
}

static void
fill_partner(PGresult *res, int i, void *el)
{
	row_partner(res, i, el);
}

static int
partner_counters(struct pg_store *p, struct store_partner *pt, struct err *err)
{
	int r = pg_env_last(&p->base, pt->rowid, STORE_OUT, &pt->out_seq, &pt->out_acked, err);

	if (r == 0)
		r = pg_env_last(&p->base, pt->rowid, STORE_IN, &pt->in_seq, NULL, err);
	return r;
}

static int
fill_partner_row(void *arg, PGresult *res, int i, struct err *err)
{
	row_partner(res, i, arg);
	return 0;
}

static int
partner_one(struct pg_store *p, const char *sql, const struct pg_bind *key,
    struct store_partner *ret, struct err *err)
{
	struct store_partner pt;
	int r = pg_row1(p, sql, "finding a partner", err, fill_partner_row, &pt, key, 1);

	if (r == 0)
		r = partner_counters(p, &pt, err);
	if (r == 0)
		*ret = pt;
	return r;
}

static int
fill_taken(void *arg, PGresult *res, int i, struct err *err)
{
	struct store_partner_taken *t = arg;

	t->name = !pg_null(res, i, 0);
	pg_copy_text(t->key_owner, sizeof(t->key_owner), res, i, 1);
	t->inbox_exists = !pg_null(res, i, 2);
	pg_copy_text(t->inbox_title, sizeof(t->inbox_title), res, i, 2);
	pg_copy_text(t->inbox_owner, sizeof(t->inbox_owner), res, i, 3);
	return 0;
}

static int
partner_check_new(struct pg_store *p, const struct store_partner *pt, struct err *err)
{
	struct store_partner_taken t;
	int r;

	if (pt->name[0] == '\0')
		return err_set(err, LSN_EINVAL, "store: a partner needs a name");
	if ((r = pg_row1(p, "SELECT (SELECT 1 FROM partners WHERE name = $1),"
	    " (SELECT name FROM partners WHERE key = $2 OR key_id = $3 LIMIT 1),"
	    " (SELECT title FROM collections WHERE rowid = $4),"
	    " (SELECT p.name FROM collections c JOIN partners p ON p.rowid = c.partner"
	    "   WHERE c.rowid = $4)", "checking a new partner", err, fill_taken, &t,
	    PG_BINDS(PB_TEXT(pt->name), PB_HASH(pt->key), PB_HASH(pt->key_id),
	    PB_INT(pt->inbox)))) < 0)
		return r;
	return store_partner_refusal(pt, &t, err);
}

int
pg_partner_add(struct store *base, struct store_partner *pt, const char *identity,
    struct err *err)
{
	struct pg_store *p = ps(base);
	int64_t now = clock_now_us();
	int r;

	if ((r = partner_check_new(p, pt, err)) < 0)
		return r;
	/* the partners_inbox trigger marks the inbox collection as this partner's */
	r = pg_row1(p, "INSERT INTO partners(name, key, key_id, spki, endpoint, inbox, active, "
	    "created_us, identity) VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8) "
	    "ON CONFLICT DO NOTHING RETURNING rowid", "adding a partner", err, pg_fill_int64,
	    &pt->rowid, PG_BINDS(PB_TEXT(pt->name), PB_HASH(pt->key), PB_HASH(pt->key_id),
	    PB_HASH(pt->spki), PB_TEXT(pt->endpoint), PB_INT(pt->inbox), PB_INT(now),
	    PB_TEXT(identity ? identity : "")));
	if (r == -LSN_ENOTFOUND)    /* taken by a writer between the check and the insert */
		return err_set(err, LSN_EEXIST, "a partner named '%s' or with its key already exists",
		    pt->name);
	if (r < 0)
		return r;
	pt->created_us = now;
	pt->active = 1;
	return 0;
}

int
pg_partner_find(struct store *base, const char *name, struct store_partner *ret,
    struct err *err)
{
	int r = partner_one(ps(base), "SELECT " PARTNER_COLS " WHERE name = $1",
	    (const struct pg_bind[]){ PB_TEXT(name) }, ret, err);

	if (r == -LSN_ENOTFOUND)
		err_set(err, LSN_ENOTFOUND, "no partner is named '%s'", name);
	return r;
}

int
pg_partner_get(struct store *base, int64_t rowid, struct store_partner *ret, struct err *err)
{
	int r = partner_one(ps(base), "SELECT " PARTNER_COLS " WHERE rowid = $1",
	    (const struct pg_bind[]){ PB_INT(rowid) }, ret, err);

	if (r == -LSN_ENOTFOUND)
		err_set(err, LSN_ENOTFOUND, "no partner has id %lld", (long long)rowid);
	return r;
}

int
pg_partner_by_key_id(struct store *base, const uint8_t key_id[32], struct store_partner *ret,
    struct err *err)
{
	int r = partner_one(ps(base), "SELECT " PARTNER_COLS " WHERE key_id = $1 AND active = 1",
	    (const struct pg_bind[]){ PB_HASH(key_id) }, ret, err);

	if (r == -LSN_ENOTFOUND)
		err_set(err, LSN_ENOTFOUND, "no active partner has this key id");
	return r;
}

int
pg_partner_list(struct store *base, struct store_partner **ret, size_t *ret_n,
    struct err *err)
{
	struct pg_store *p = ps(base);
	struct store_partner *v = NULL;
	size_t n = 0, i;
	int r;

	if ((r = pg_collect(p, "SELECT " PARTNER_COLS " ORDER BY name", "listing partners", err,
	    sizeof(*v), fill_partner, (void **)&v, &n, PG_NOBINDS)) < 0)
		return r;
	for (i = 0; i < n && r == 0; i++)
		r = partner_counters(p, &v[i], err);
	if (r < 0) {
		free(v);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

int
pg_partner_set_active(struct store *base, int64_t rowid, int active, struct err *err)
{
	int r = pg_change1(ps(base), "UPDATE partners SET active = $2 WHERE rowid = $1",
	    "changing whether a partner is active", err,
	    PG_BINDS(PB_INT(rowid), PB_INT(active != 0)));

	if (r == -LSN_ENOTFOUND)
		err_set(err, LSN_ENOTFOUND, "no partner has id %lld", (long long)rowid);
	return r;
}

/*
 * Text the server takes. SQLite keeps any bytes in a text column; here a
 * single byte that is not UTF-8 fails the statement (SQLSTATE 22021) and
 * with it the writer's job, so text that may carry a partner's bytes (an
 * HTTP reply in a link error, a reason quoting an object) goes through
 * stix_utf8_scrub first: each byte that starts no valid character becomes
 * '?', so the length never grows.
 */

int
pg_partner_health(struct store *base, int64_t rowid, int64_t last_contact_us,
    const char *error, int64_t error_us, uint64_t retries, struct err *err)
{
	char text[STORE_ERROR_MAX];
	size_t n = 0;
	int r;

	if (error != NULL) {
		n = store_error_len(error);
		memcpy(text, error, n);
		text[n] = '\0';
		stix_utf8_scrub(text);
	}
	r = pg_change1(ps(base), "UPDATE partners SET "
	    "last_contact_us = CASE WHEN $2 = 0 THEN last_contact_us ELSE $2 END, "
	    "last_error = coalesce($3::text, last_error), "
	    "last_error_us = CASE WHEN $3::text IS NULL THEN last_error_us ELSE $4 END, "
	    "retries = CASE WHEN $5 < 0 THEN retries ELSE $5 END WHERE rowid = $1",
	    "recording a partner's link health", err, PG_BINDS(PB_INT(rowid),
	    PB_INT(last_contact_us), PB_TEXTN(error != NULL ? text : NULL, n),
	    PB_INT(error_us), PB_INT((int64_t)retries)));
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
fill_identity(void *arg, PGresult *res, int i, struct err *err)
{
	struct identity_out *o = arg;
	size_t n = (size_t)PQgetlength(res, i, 0);

	if (n >= o->cap)
		return err_set(err, LSN_ETOOBIG, "the identity document of partner %lld is %zu "
		    "bytes, more than this call can hold", (long long)o->rowid, n);
	memcpy(o->out, pg_text(res, i, 0), n + 1);
	return 0;
}

int
pg_partner_identity(struct store *base, int64_t rowid, char *out, size_t cap, struct err *err)
{
	struct identity_out o = { out, cap, rowid };
	int r = pg_row1(ps(base), "SELECT identity FROM partners WHERE rowid = $1",
	    "reading a partner's identity document", err, fill_identity, &o,
	    PG_BINDS(PB_INT(rowid)));

	if (r == -LSN_ENOTFOUND)
		err_set(err, LSN_ENOTFOUND, "no partner has id %lld", (long long)rowid);
	return r;
}

int
pg_partner_set_agreement(struct store *base, int64_t rowid, int which, const uint8_t *hash,
    struct err *err)
{
	int r = pg_change1(ps(base), which ?
	    "UPDATE partners SET peer_agreement = $2 WHERE rowid = $1" :
	    "UPDATE partners SET agreement = $2 WHERE rowid = $1", "storing an agreement's hash",
	    err, PG_BINDS(PB_INT(rowid), PB_BLOB(hash, hash ? 32 : 0)));

	if (r == -LSN_ENOTFOUND)
		r = err_set(err, LSN_ENOTFOUND, "no partner has id %lld", (long long)rowid);
	return r;
}

/* ---- shares ---- */

static int
fill_exists(void *arg, PGresult *res, int i, struct err *err)
{
	*(int *)arg = pg_i64(res, i, 0) != 0;
	return 0;
}

int
pg_share_add(struct store *base, const struct store_share *sh, struct err *err)
{
	struct pg_store *p = ps(base);
	int both = 0, r;

	/* a foreign key that fails would abort the transaction: look first */
	if ((r = pg_row1(p, "SELECT EXISTS (SELECT 1 FROM partners WHERE rowid = $1) AND "
	    "EXISTS (SELECT 1 FROM collections WHERE rowid = $2)", "sharing a collection", err,
	    fill_exists, &both, PG_BINDS(PB_INT(sh->partner), PB_INT(sh->coll)))) < 0)
		return r;
	if (!both)
		return err_set(err, LSN_ENOTFOUND, "collection %lld cannot be shared with partner "
		    "%lld: one of them does not exist", (long long)sh->coll, (long long)sh->partner);
	return pg_exec1(p, "INSERT INTO shares(partner, coll, cursor_us) VALUES ($1, $2, $3) "
	    "ON CONFLICT (partner, coll) DO NOTHING", "sharing a collection", err,
	    PG_BINDS(PB_INT(sh->partner), PB_INT(sh->coll), PB_INT(sh->cursor_us)));
}

static void
fill_share(PGresult *res, int i, void *el)
{
	struct store_share *sh = el;

	sh->partner = pg_i64(res, i, 0);
	sh->coll = pg_i64(res, i, 1);
	sh->cursor_us = pg_i64(res, i, 2);
}

int
pg_share_list(struct store *base, int64_t partner, struct store_share **ret, size_t *ret_n,
    struct err *err)
{
	return pg_collect(ps(base), "SELECT partner, coll, cursor_us FROM shares WHERE partner = $1 "
	    "ORDER BY coll", "listing shares", err, sizeof(**ret), fill_share, (void **)ret, ret_n,
	    PG_BINDS(PB_INT(partner)));
}

int
pg_share_set_cursor(struct store *base, int64_t partner, int64_t coll, int64_t cursor_us,
    struct err *err)
{
	int r = pg_change1(ps(base), "UPDATE shares SET cursor_us = $3 WHERE partner = $1 AND "
	    "coll = $2", "moving a share's cursor", err,
	    PG_BINDS(PB_INT(partner), PB_INT(coll), PB_INT(cursor_us)));

	if (r == -LSN_ENOTFOUND)
		err_set(err, LSN_ENOTFOUND, "collection %lld is not shared with partner %lld",
		    (long long)coll, (long long)partner);
	return r;
}

/* ---- envelopes ---- */

#define ENV_COLS "seq, id, kind, items, created_us, receipt_us, receipt, len, leaf, proof"
#define ENV_BYTES "(SELECT bytes FROM envelope_bytes WHERE envelope = envelopes.rowid)"
enum { EC_SEQ, EC_ID, EC_KIND, EC_ITEMS, EC_CREATED, EC_RECEIPT_US, EC_RECEIPT, EC_LEN, EC_LEAF,
	EC_PROOF, EC_BYTES };

/* Fills e with pointers into row i of res (valid until it is cleared). */
static void
row_envelope(PGresult *res, int i, int64_t partner, int dir, int with_bytes,
    struct store_envelope *e)
{
	memset(e, 0, sizeof(*e));
	e->partner = partner;
	e->dir = dir;
	e->seq = (uint64_t)pg_i64(res, i, EC_SEQ);
	pg_copy_hash(e->id, res, i, EC_ID);
	e->kind = (int)pg_i64(res, i, EC_KIND);
	e->items = (uint32_t)pg_i64(res, i, EC_ITEMS);
	e->created_us = pg_i64(res, i, EC_CREATED);
	e->receipt_us = pg_i64(res, i, EC_RECEIPT_US);
	e->receipt = pg_bytes(res, i, EC_RECEIPT, &e->receipt_len);
	e->has_leaf = !pg_null(res, i, EC_LEAF);
	e->leaf = (uint64_t)pg_i64(res, i, EC_LEAF);
	if (!pg_null(res, i, EC_PROOF)) {
		e->proof = pg_text(res, i, EC_PROOF);
		e->proof_len = (size_t)PQgetlength(res, i, EC_PROOF);
	}
	if (with_bytes) {
		e->bytes = pg_bytes(res, i, EC_BYTES, &e->len);
		if (e->bytes == NULL)
			e->bytes = (const uint8_t *)"";
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

/* Why an envelope did not go in: its seq is taken, or its partner does not exist. */
static int
env_put_refused(struct pg_store *p, const struct store_envelope *e, struct err *err)
{
	int known = 0, r;

	if ((r = pg_row1(p, "SELECT EXISTS (SELECT 1 FROM partners WHERE rowid = $1)",
	    "storing an envelope", err, fill_exists, &known, PG_BINDS(PB_INT(e->partner)))) < 0)
		return r;
	if (!known)
		return err_set(err, LSN_ENOTFOUND, "no partner has id %lld, so its envelope %llu "
		    "cannot be stored", (long long)e->partner, (unsigned long long)e->seq);
	return err_set(err, LSN_EEXIST, "%s envelope %llu of partner %lld is already stored",
	    dir_name[e->dir], (unsigned long long)e->seq, (long long)e->partner);
}

/*
 * The row and its bytes in one statement, one round trip: the writer's hot
 * path. A taken (partner, dir, seq) inserts neither.
 */
int
pg_env_put(struct store *base, const struct store_envelope *e, struct err *err)
{
	struct pg_store *p = ps(base);
	int64_t rowid = 0;
	int r;

	if ((r = env_put_check(e, err)) < 0 || (r = pg_fence(p, err)) < 0)
		return r;
	r = pg_row1(p, "WITH e AS (INSERT INTO envelopes(partner, dir, seq, id, kind, items, "
	    "created_us, receipt_us, receipt, len, leaf) SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, "
	    "$10, $11 WHERE EXISTS (SELECT 1 FROM partners WHERE rowid = $1) "
	    "ON CONFLICT DO NOTHING RETURNING rowid), "
	    "b AS (INSERT INTO envelope_bytes(envelope, bytes) SELECT rowid, $12 FROM e) "
	    "SELECT rowid FROM e", "storing an envelope", err, pg_fill_int64, &rowid,
	    PG_BINDS(PB_INT(e->partner), PB_INT(e->dir), PB_INT((int64_t)e->seq), PB_HASH(e->id),
	    PB_INT(e->kind), PB_INT(e->items), PB_INT(e->created_us), PB_INT(e->receipt_us),
	    PB_BLOB(e->receipt, e->receipt_len),
	    PB_INT((int64_t)e->len), e->has_leaf ? (struct pg_bind)PB_INT((int64_t)e->leaf) :
	    (struct pg_bind)PB_TEXT(NULL), PB_BLOB(e->bytes ? e->bytes : (const uint8_t *)"",
	    e->len)));
	if (r == -LSN_ENOTFOUND)
		return env_put_refused(p, e, err);
	return r;
}

/* Copies an envelope's bytes, receipt and proof into p->env: ret outlives the result. */
static int
env_keep(struct pg_store *p, int with_bytes, struct store_envelope *e, struct err *err)
{
	size_t len = with_bytes ? e->len : 0, rlen = e->receipt_len, plen = e->proof_len;
	int r;

	buf_reset(&p->env);
	if ((r = buf_reserve(&p->env, len + rlen + plen + 1)) < 0)
		return err_set(err, -r, "store: no room to read envelope %llu (%zu bytes)",
		    (unsigned long long)e->seq, len + rlen + plen);
	buf_add(&p->env, e->bytes, len);
	buf_add(&p->env, e->receipt, rlen);
	buf_add(&p->env, e->proof, plen);
	if (with_bytes)
		e->bytes = (const uint8_t *)p->env.data;
	if (e->receipt != NULL)
		e->receipt = (const uint8_t *)p->env.data + len;
	if (e->proof != NULL)
		e->proof = p->env.data + len + rlen;
	return 0;
}

struct env_out {
	struct pg_store *p;
	int from_row;               /* partner and dir are the row's last two columns */
	int64_t partner;
	int dir;
	int with_bytes;
	struct store_envelope e;
};

static int
fill_envelope(void *arg, PGresult *res, int i, struct err *err)
{
	struct env_out *o = arg;

	if (o->from_row)
		row_envelope(res, i, pg_i64(res, i, EC_BYTES + 1), (int)pg_i64(res, i, EC_BYTES + 2),
		    1, &o->e);
	else
		row_envelope(res, i, o->partner, o->dir, o->with_bytes, &o->e);
	return env_keep(o->p, o->with_bytes, &o->e, err);
}

int
pg_env_get(struct store *base, int64_t partner, int dir, uint64_t seq, int with_bytes,
    struct store_envelope *ret, struct err *err)
{
	struct env_out o = { ps(base), 0, partner, dir, with_bytes, { 0 } };
	int r;

	if (dir != STORE_OUT && dir != STORE_IN)
		return bad_dir(dir, err);
	r = pg_row1(o.p, with_bytes ?
	    "SELECT " ENV_COLS ", " ENV_BYTES " FROM envelopes WHERE partner = $1 AND dir = $2 "
	    "AND seq = $3" :
	    "SELECT " ENV_COLS " FROM envelopes WHERE partner = $1 AND dir = $2 AND seq = $3",
	    "reading an envelope", err, fill_envelope, &o,
	    PG_BINDS(PB_INT(partner), PB_INT(dir), PB_INT(seq_db(seq))));
	if (r == -LSN_ENOTFOUND)
		return err_set(err, LSN_ENOTFOUND, "partner %lld has no %s envelope %llu",
		    (long long)partner, dir_name[dir], (unsigned long long)seq);
	if (r == 0)
		*ret = o.e;
	return r;
}

/* The first receipt stays: a resent envelope's receipt may already be evidence. */
int
pg_env_set_receipt(struct store *base, int64_t partner, uint64_t seq, const uint8_t *receipt,
    size_t len, int64_t receipt_us, struct err *err)
{
	struct pg_store *p = ps(base);
	int exists = 0, r;

	if (receipt == NULL || len == 0)
		return err_set(err, LSN_EINVAL, "store: an envelope's receipt cannot be empty");
	if ((r = pg_fence(p, err)) < 0)
		return r;
	r = pg_change1(p, "UPDATE envelopes SET receipt = $3, receipt_us = $4 "
	    "WHERE partner = $1 AND dir = 0 AND seq = $2 AND receipt IS NULL", "storing a receipt",
	    err, PG_BINDS(PB_INT(partner), PB_INT(seq_db(seq)), PB_BLOB(receipt, len),
	    PB_INT(receipt_us)));
	if (r == -LSN_ENOTFOUND) {
		if ((r = pg_row1(p, "SELECT EXISTS (SELECT 1 FROM envelopes WHERE partner = $1 AND "
		    "dir = 0 AND seq = $2)", "looking up an envelope", err, fill_exists, &exists,
		    PG_BINDS(PB_INT(partner), PB_INT(seq_db(seq))))) < 0)
			return r;
		if (!exists)
			return err_set(err, LSN_ENOTFOUND, "partner %lld has no outgoing envelope %llu",
			    (long long)partner, (unsigned long long)seq);
		return 0;
	}
	if (r < 0)
		return r;
	return pg_step_receipted(p, partner, seq, receipt_us, err);
}

/*
 * Scans read in two steps. A chunk of rows comes without the bytes (the
 * columns below: rowid, partner and dir after ENV_COLS); the rows the
 * query lets through (max_n, max_bytes) then get their bytes, in parts of
 * at most SCAN_BYTES_MAX (one envelope at least). So a batch of 8 MB out
 * of a backlog of hundreds of large envelopes transfers 8 MB, not the
 * whole chunk, and no result holds more than one part.
 */
#define SCAN_COLS ENV_COLS ", rowid, partner, dir"
enum { SC_ROWID = EC_PROOF + 1, SC_PARTNER, SC_DIR };
#define SCAN_BYTES_MAX ((size_t)32 << 20)

/*
 * One chunk of the four scans, indexed by flags without STORE_ENV_BYTES:
 * $3 the keyset bound, $4 the chunk's rows. The unreceipted ones match the
 * partial index envelopes_unreceipted, the others envelopes_seq.
 */
#define ENV_SCAN(cond, cmp, order) \
	"SELECT " SCAN_COLS " FROM envelopes WHERE partner = $1 AND dir = $2" cond " AND seq " \
	cmp " $3 ORDER BY seq " order " LIMIT $4"
#define ENV_FLAGS (STORE_ENV_BYTES | STORE_ENV_UNRECEIPTED | STORE_ENV_DESC)

static const char *const scan_sql[ENV_FLAGS + 1] = {
	[0] = ENV_SCAN("", ">", "ASC"),
	[STORE_ENV_UNRECEIPTED] = ENV_SCAN(" AND receipt IS NULL", ">", "ASC"),
	[STORE_ENV_DESC] = ENV_SCAN("", "<=", "DESC"),
	[STORE_ENV_DESC | STORE_ENV_UNRECEIPTED] = ENV_SCAN(" AND receipt IS NULL", "<=", "DESC"),
};

/* The bytes of rows [from, to) of res, one row each in their order (NULL with err set). */
static PGresult *
bytes_of(struct pg_store *p, PGresult *res, int from, int to, struct err *err)
{
	struct pg_arr ids = { 0 };
	PGresult *b = NULL;
	int i, r;

	r = pg_arr_start(&ids, PG_ELEM_INT8, (size_t)(to - from));
	for (i = from; r == 0 && i < to; i++)
		r = pg_arr_int(&ids, pg_i64(res, i, SC_ROWID));
	if (r < 0) {
		err_set(err, LSN_ENOMEM, "store: out of memory");
		goto out;
	}
	b = pg_query(p, "SELECT b.bytes FROM unnest($1::int8[]) WITH ORDINALITY AS u(id, k) "
	    "LEFT JOIN envelope_bytes b ON b.envelope = u.id ORDER BY u.k",
	    "reading envelopes' bytes", err, PG_BINDS(PB_ARRAY(ids)));
	if (b != NULL && PQntuples(b) != to - from) {
		err_set(err, LSN_EIO, "store: %d envelopes' bytes came back for %d envelopes",
		    PQntuples(b), to - from);
		PQclear(b);
		b = NULL;
	}
out:
	pg_arr_release(&ids);
	return b;
}

/* The end of the part of rows from `from` (before `to`) whose bytes are read together. */
static int
part_end(PGresult *res, int from, int to)
{
	size_t sum = (size_t)pg_i64(res, from, EC_LEN), len;
	int i;

	for (i = from + 1; i < to; i++) {
		len = (size_t)pg_i64(res, i, EC_LEN);
		if (sum + len > SCAN_BYTES_MAX)
			break;
		sum += len;
	}
	return i;
}

/*
 * Passes rows [0, n) of res (SCAN_COLS) to fn, with their bytes if
 * with_bytes; fn's first negative return stops it and is returned.
 */
static int
pass_rows(struct pg_store *p, PGresult *res, int n, int with_bytes, store_env_fn fn,
    void *arg, struct err *err)
{
	struct store_envelope e;
	PGresult *b = NULL;
	int from, to, i, r = 0;

	for (from = 0; from < n && r >= 0; from = to) {
		to = with_bytes ? part_end(res, from, n) : n;
		if (with_bytes && (b = bytes_of(p, res, from, to, err)) == NULL)
			return pg_errcode(err);
		for (i = from; i < to && r >= 0; i++) {
			row_envelope(res, i, pg_i64(res, i, SC_PARTNER), (int)pg_i64(res, i, SC_DIR), 0,
			    &e);
			if (b != NULL) {
				e.bytes = pg_bytes(b, i - from, 0, &e.len);
				if (e.bytes == NULL)
					e.bytes = (const uint8_t *)"";
			}
			r = fn(arg, &e);
		}
		PQclear(b);
		b = NULL;
	}
	return r < 0 ? r : 0;
}

/*
 * How many rows of this chunk the query lets through, counted into n and
 * bytes; done once it stops short. The first always passes, or one large
 * envelope would block the link.
 */
static int
scan_take(const struct store_env_query *q, PGresult *res, size_t *n, size_t *bytes, int *done)
{
	int rows = PQntuples(res), i;
	size_t len;

	for (i = 0; i < rows; i++) {
		len = (size_t)pg_i64(res, i, EC_LEN);
		if ((q->max_bytes != 0 && *n > 0 && *bytes + len > q->max_bytes) ||
		    (q->max_n != 0 && *n >= q->max_n)) {
			*done = 1;
			break;
		}
		(*n)++;
		*bytes += len;
	}
	return i;
}

int
pg_env_scan(struct store *base, const struct store_env_query *q, store_env_fn fn, void *arg,
    struct err *err)
{
	struct pg_store *p = ps(base);
	size_t n = 0, bytes = 0, chunk;
	int64_t bound;
	int done = 0, take, r = 0;
	PGresult *res;

	if (q->dir != STORE_OUT && q->dir != STORE_IN)
		return bad_dir(q->dir, err);
	if (q->flags & ~(unsigned)ENV_FLAGS)
		return err_set(err, LSN_EINVAL, "store: unknown envelope scan flags %#x", q->flags);
	/* descending scans bind seq <= before_seq - 1, so "no bound" is INT64_MAX */
	if (q->flags & STORE_ENV_DESC)
		bound = q->before_seq == 0 ? INT64_MAX : seq_db(q->before_seq - 1);
	else
		bound = seq_db(q->after_seq);
	while (r == 0 && !done) {
		chunk = PG_SCAN_CHUNK;
		if (q->max_n != 0 && q->max_n - n < chunk)
			chunk = q->max_n - n;
		if ((res = pg_query(p, scan_sql[q->flags & ~(unsigned)STORE_ENV_BYTES],
		    "scanning envelopes", err, PG_BINDS(PB_INT(q->partner), PB_INT(q->dir),
		    PB_INT(bound), PB_INT((int64_t)chunk)))) == NULL)
			return pg_errcode(err);
		take = scan_take(q, res, &n, &bytes, &done);
		if ((size_t)PQntuples(res) < chunk || (q->max_n != 0 && n >= q->max_n))
			done = 1;
		if (take > 0)
			bound = pg_i64(res, take - 1, EC_SEQ) - (q->flags & STORE_ENV_DESC ? 1 : 0);
		r = pass_rows(p, res, take, (q->flags & STORE_ENV_BYTES) != 0, fn, arg, err);
		PQclear(res);
	}
	return r;
}

struct env_last {
	uint64_t last, receipted;
};

static int
fill_env_last(void *arg, PGresult *res, int i, struct err *err)
{
	struct env_last *l = arg;

	l->last = (uint64_t)pg_i64(res, i, 0);
	l->receipted = pg_null(res, i, 1) ? l->last : (uint64_t)pg_i64(res, i, 1) - 1;
	return 0;
}

/* Both from the first entry of one index each: the cost does not grow with the history. */
int
pg_env_last(struct store *base, int64_t partner, int dir, uint64_t *ret_seq,
    uint64_t *ret_receipted, struct err *err)
{
	struct env_last l;
	int r;

	if (dir != STORE_OUT && dir != STORE_IN)
		return bad_dir(dir, err);
	if ((r = pg_row1(ps(base), "SELECT coalesce((SELECT max(seq) FROM envelopes "
	    "WHERE partner = $1 AND dir = $2), 0),"
	    " (SELECT seq FROM envelopes WHERE partner = $1 AND dir = $2 AND receipt IS NULL"
	    "  ORDER BY seq LIMIT 1)", "reading the last envelope", err, fill_env_last, &l,
	    PG_BINDS(PB_INT(partner), PB_INT(dir)))) < 0)
		return r;
	if (ret_seq != NULL)
		*ret_seq = l.last;
	if (ret_receipted != NULL)
		*ret_receipted = l.receipted;
	return 0;
}

int
pg_env_set_proof(struct store *base, int64_t partner, int dir, uint64_t seq, const char *proof,
    size_t len, struct err *err)
{
	struct pg_store *p = ps(base);
	int r;

	if (dir != STORE_OUT && dir != STORE_IN)
		return bad_dir(dir, err);
	if ((r = pg_fence(p, err)) < 0)
		return r;
	r = pg_change1(p, "UPDATE envelopes SET proof = $4 WHERE partner = $1 AND dir = $2 AND "
	    "seq = $3", "storing an envelope's proof", err,
	    PG_BINDS(PB_INT(partner), PB_INT(dir), PB_INT(seq_db(seq)), PB_TEXTN(proof, len)));
	if (r == -LSN_ENOTFOUND)
		r = err_set(err, LSN_ENOTFOUND, "partner %lld has no %s envelope %llu",
		    (long long)partner, dir_name[dir], (unsigned long long)seq);
	return r;
}

/* Envelopes with a leaf, in leaf order, in keyset chunks: what `log verify` reads. */
int
pg_env_scan_leaves(struct store *base, int64_t from, store_env_fn fn, void *arg,
    struct err *err)
{
	struct pg_store *p = ps(base);
	PGresult *res;
	int rows, r;

	do {
		if ((res = pg_query(p, "SELECT " SCAN_COLS " FROM envelopes "
		    "WHERE leaf IS NOT NULL AND leaf >= $1 ORDER BY leaf LIMIT $2",
		    "scanning envelopes by leaf", err, PG_BINDS(PB_INT(from),
		    PB_INT(PG_SCAN_CHUNK)))) == NULL)
			return pg_errcode(err);
		rows = PQntuples(res);
		if (rows > 0)
			from = pg_i64(res, rows - 1, EC_LEAF) + 1;
		r = pass_rows(p, res, rows, 1, fn, arg, err);
		PQclear(res);
	} while (r == 0 && rows == PG_SCAN_CHUNK);
	return r;
}

int
pg_env_without_leaf(struct store *base, struct store_envelope *ret, struct err *err)
{
	struct env_out o = { ps(base), 1, 0, 0, 1, { 0 } };
	int r = pg_row1(o.p, "SELECT " ENV_COLS ", " ENV_BYTES ", partner, dir FROM envelopes "
	    "WHERE leaf IS NULL ORDER BY rowid LIMIT 1", "finding an envelope without a leaf", err,
	    fill_envelope, &o, PG_NOBINDS);

	if (r == 0)
		*ret = o.e;
	return r;
}

int
pg_env_set_leaf(struct store *base, int64_t partner, int dir, uint64_t seq, uint64_t leaf,
    struct err *err)
{
	struct pg_store *p = ps(base);
	int r;

	if (dir != STORE_OUT && dir != STORE_IN)
		return bad_dir(dir, err);
	if ((r = pg_fence(p, err)) < 0)
		return r;
	return pg_change1(p, "UPDATE envelopes SET leaf = $4 "
	    "WHERE partner = $1 AND dir = $2 AND seq = $3 AND leaf IS NULL",
	    "giving an envelope its leaf", err,
	    PG_BINDS(PB_INT(partner), PB_INT(dir), PB_INT(seq_db(seq)), PB_INT((int64_t)leaf)));
}

/* ---- the policy log ---- */

/* Copies of the entry's four texts in b, as the server takes them (stix_utf8_scrub). */
static int
policy_texts(const struct store_policy_entry *e, const char *t[4], struct buf *b,
    struct err *err)
{
	const char *in[4] = { e->object, e->version ? e->version : "", e->rule, e->reason };
	size_t off[4], i;

	for (i = 0; i < 4; i++) {
		off[i] = b->len;
		if (in[i] != NULL && buf_add(b, in[i], strlen(in[i]) + 1) < 0)
			return err_set(err, LSN_ENOMEM, "store: no room to record a policy decision");
	}
	for (i = 0; i < 4; i++) {
		t[i] = in[i] != NULL ? b->data + off[i] : NULL;
		if (t[i] != NULL)
			stix_utf8_scrub(b->data + off[i]);
	}
	return 0;
}

int
pg_policy_log_add(struct store *base, const struct store_policy_entry *e, struct err *err)
{
	struct buf b = BUF_INIT((size_t)1 << 20);
	const char *t[4];
	int r;

	if ((r = policy_texts(e, t, &b, err)) == 0)
		r = pg_exec1(ps(base), "INSERT INTO policy_log(time_us, partner, dir, object, "
		    "version, rule, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)",
		    "recording a policy decision", err, PG_BINDS(PB_INT(e->time_us),
		    PB_INT(e->partner), PB_INT(e->dir), PB_TEXT(t[0]), PB_TEXT(t[1]), PB_TEXT(t[2]),
		    PB_TEXT(t[3])));
	buf_release(&b);
	return r;
}

struct policy_scan {
	store_policy_fn fn;
	void *arg;
};

static int
policy_row(void *arg, PGresult *res, int i, struct err *err)
{
	struct policy_scan *sc = arg;
	struct store_policy_entry e;

	e.time_us = pg_i64(res, i, 0);
	e.partner = pg_i64(res, i, 1);
	e.dir = (int)pg_i64(res, i, 2);
	e.object = pg_text(res, i, 3);
	e.version = pg_text(res, i, 4);
	e.rule = pg_text(res, i, 5);
	e.reason = pg_text(res, i, 6);
	return sc->fn(sc->arg, &e);
}

int
pg_policy_log_scan(struct store *base, int64_t partner, size_t limit, store_policy_fn fn,
    void *arg, struct err *err)
{
	struct policy_scan sc = { fn, arg };

	return pg_rows(ps(base), "SELECT time_us, partner, dir, object, version, rule, reason "
	    "FROM policy_log WHERE $1 = 0 OR partner = $1 ORDER BY rowid DESC LIMIT $2",
	    "reading the policy log", err, policy_row, &sc,
	    PG_BINDS(PB_INT(partner), PB_INT(limit == 0 || limit > INT64_MAX ? INT64_MAX :
	    (int64_t)limit)));
}

struct policy_counts {
	store_policy_count_fn fn;
	void *arg;
};

static int
policy_count_row(void *arg, PGresult *res, int i, struct err *err)
{
	struct policy_counts *pc = arg;
	struct store_policy_count c;

	c.partner = pg_i64(res, i, 0);
	c.dir = (int)pg_i64(res, i, 1);
	c.rule = pg_text(res, i, 2);
	c.n = (uint64_t)pg_i64(res, i, 3);
	c.last_us = pg_i64(res, i, 4);
	return pc->fn(pc->arg, &c);
}

int
pg_policy_log_counts(struct store *base, int64_t since_us, store_policy_count_fn fn, void *arg,
    struct err *err)
{
	struct policy_counts pc = { fn, arg };

	return pg_rows(ps(base), "SELECT partner, dir, rule, count(*), max(time_us) FROM policy_log "
	    "WHERE time_us >= $1 GROUP BY partner, dir, rule ORDER BY partner, dir, rule",
	    "counting the policy log", err, policy_count_row, &pc, PG_BINDS(PB_INT(since_us)));
}

int
pg_partner_cert(struct store *base, int64_t rowid, int64_t not_after_us, struct err *err)
{
	int r = pg_change1(ps(base), "UPDATE partners SET cert_not_after = $2 WHERE rowid = $1",
	    "recording a partner's certificate", err, PG_BINDS(PB_INT(rowid), PB_INT(not_after_us)));

	if (r == -LSN_ENOTFOUND)
		err_set(err, LSN_ENOTFOUND, "no partner has id %lld", (long long)rowid);
	return r;
}

const struct store_exchange_ops pg_exchange_ops = {
	.version = STORE_EXCHANGE_VERSION,
	.partner_add = pg_partner_add,
	.partner_find = pg_partner_find,
	.partner_get = pg_partner_get,
	.partner_by_key_id = pg_partner_by_key_id,
	.partner_list = pg_partner_list,
	.partner_set_active = pg_partner_set_active,
	.partner_health = pg_partner_health,
	.partner_identity = pg_partner_identity,
	.share_add = pg_share_add,
	.share_list = pg_share_list,
	.share_set_cursor = pg_share_set_cursor,
	.env_put = pg_env_put,
	.env_get = pg_env_get,
	.env_set_receipt = pg_env_set_receipt,
	.env_scan = pg_env_scan,
	.env_last = pg_env_last,
	.env_set_proof = pg_env_set_proof,
	.env_scan_leaves = pg_env_scan_leaves,
	.env_without_leaf = pg_env_without_leaf,
	.env_set_leaf = pg_env_set_leaf,
	.partner_set_agreement = pg_partner_set_agreement,
	.policy_log_add = pg_policy_log_add,
	.policy_log_scan = pg_policy_log_scan,
	.policy_log_counts = pg_policy_log_counts,
	.partner_cert = pg_partner_cert,
};
