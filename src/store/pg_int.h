/*
 * What the files of the PostgreSQL backend share. Private to src/store/:
 * nothing else includes it, and it holds no policy. From the bottom up:
 * pg_stmt.c (statements, parameters, results, errors, one-row helpers),
 * pg_schema.c; the domains pg_objects.c, pg_users.c, pg_hotline.c,
 * pg_exchange.c (which calls pg_hotline.c), pg_ledger.c; on top pg.c, the
 * connection, transactions, the active role and the backend's tables. A
 * file calls only files listed before it.
 *
 * Rules every domain file follows (docs/decisions/0013-postgres.md):
 * - Results come back in binary: read them with pg_i64/pg_text/pg_bytes.
 * - An error inside a transaction aborts it in PostgreSQL (not only the
 *   statement, as in SQLite). So an insert that may meet a unique key is
 *   written `INSERT ... ON CONFLICT DO NOTHING` and run with pg_insert1,
 *   which answers -LSN_EEXIST when no row went in; nothing expected ever
 *   raises inside a transaction.
 * - Bytes are bytea, stored and returned exactly as given.
 * - A scan that can be long (the ledger, envelopes, steps) reads in keyset
 *   chunks of PG_SCAN_CHUNK rows, each its own query, so memory stays
 *   bounded and callbacks may call the store between rows (the result is
 *   a copy: the connection is free while the callback runs).
 */
#ifndef LSN_STORE_PG_INT_H
#define LSN_STORE_PG_INT_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"

struct err;

#define PG_CACHE_SLOTS 128
/* Statements a pipeline holds before it is read (pg_defer). */
#define PG_PIPE_MAX 32
#define PG_SCAN_CHUNK 512
/* Room for an envelope's copy (env_get): bytes and receipt as large as bytea holds. */
#define PG_ENV_BUF_MAX ((size_t)2 * 1000 * 1000 * 1000)

/* A statement prepared on this connection, by the hash of its SQL text. */
struct pg_cached {
	uint64_t hash;
	char *sql;
	unsigned serial;            /* its name is "lsn<serial>" */
};

struct pg_store {
	struct store base;          /* first: the generic handle */
	PGconn *conn;
	char conninfo[1024];        /* as given (may hold a password: never printed) */
	char where[256];            /* host:port/dbname, for messages: no credentials */
	struct pg_cached cache[PG_CACHE_SLOTS];
	unsigned cache_next, serial;
	int tx;                     /* a transaction of begin() or of an outer savepoint is open */
	int sp_depth;               /* savepoints open */
	int sp_outer;               /* the outermost savepoint opened the transaction */
	int linger, rd_open, rd_depth;
	int rd_in_tx;               /* read_begin calls inside a write transaction */
	unsigned long rd_gen;
	int64_t rd_version;         /* the read snapshot's data version */
	int64_t epoch;              /* fencing: singleton writes require this epoch (0: none) */
	int fence_checked;          /* this transaction already checked the epoch */
	/*
	 * pg_defer's pipeline: statements sent whose results are unread, each
	 * with what it did (for its error) and the cache slot it prepared (-1:
	 * none; -2: an eviction's DEALLOCATE, whose failure is harmless).
	 */
	int piped, n_pend;
	struct { const char *what; int slot; PGresult **out; } pend[PG_PIPE_MAX];
	int tx_failed;              /* a deferred statement failed: the transaction is lost */
	struct err tx_err;          /* its error */
	struct buf env;             /* env_get's copy */
	struct buf note;            /* ckpt_latest/ckpt_get's copy of a note */
};

static inline struct pg_store *
ps(struct store *s)
{
	return (struct pg_store *)s;
}

/* The code of the error in err after a helper returned NULL (err may be NULL). */
static inline int
pg_errcode(const struct err *err)
{
	return err != NULL && err->code > 0 ? -err->code : -LSN_EIO;
}

/* ---- pg_stmt.c ---- */

/* The session's settings, at connect and reconnect: synchronous_commit on, among others. */
int pg_session_setup(struct pg_store *p, struct err *err);

/* host:port/dbname of a connection string, for messages: never its password. */
void pg_describe(const char *url, char *out, size_t cap);

/*
 * Parameters: a list the compiler type-checks, as in sqlite_int.h:
 *   pg_exec1(p, "UPDATE partners SET active = $2 WHERE rowid = $1",
 *       "setting a partner active", err, PG_BINDS(PB_INT(rowid), PB_INT(on)));
 * Integers travel as int8 (write `$1` where an int8 fits; compare with
 * integer columns freely), text as text, blobs as bytea. A NULL pointer
 * binds SQL NULL.
 */
enum pg_bind_kind { PG_BIND_INT, PG_BIND_TEXT, PG_BIND_BLOB, PG_BIND_ARRAY };
struct pg_bind {
	enum pg_bind_kind kind;
	int64_t i;                  /* an array: its type's OID */
	const void *p;
	int64_t n;                  /* text: -1 up to its NUL */
};
#define PB_INT(x) { .kind = PG_BIND_INT, .i = (int64_t)(x) }
#define PB_TEXT(s) { .kind = PG_BIND_TEXT, .p = (s), .n = -1 }
#define PB_TEXTN(s, len) { .kind = PG_BIND_TEXT, .p = (s), .n = (int64_t)(len) }
#define PB_BLOB(b, len) { .kind = PG_BIND_BLOB, .p = (b), .n = (int64_t)(len) }
#define PB_HASH(h) PB_BLOB(h, 32)
/* A binary array built with pg_arr_* in a struct pg_arr (below). */
#define PB_ARRAY(a) { .kind = PG_BIND_ARRAY, .i = (a).type, .p = (a).b.data, .n = (int64_t)(a).b.len }
#define PG_BINDS(...) (const struct pg_bind[]){ __VA_ARGS__ }, \
	(sizeof((const struct pg_bind[]){ __VA_ARGS__ }) / sizeof(struct pg_bind))
#define PG_NOBINDS NULL, 0

/*
 * Fills err from a failed result (or the connection) and returns its
 * -LSN_E* code: unique violation -> EEXIST, serialization or deadlock ->
 * EBUSY, a lost connection -> EIO naming where; what names the action.
 * res may be NULL (the connection's error).
 */
int pg_res_err(struct pg_store *p, PGresult *res, struct err *err, const char *what);

/*
 * Runs sql with the parameters (prepared once per connection and cached;
 * dynamic SQL is prepared too, and evicted when the cache is full) and
 * returns its result, binary, or NULL with err set. PQclear() it.
 */
PGresult *pg_query(struct pg_store *p, const char *sql, const char *what, struct err *err,
    const struct pg_bind *b, size_t n);
/* As pg_query for a statement run once (no prepare): SQL built per call with many rows. */
PGresult *pg_query_once(struct pg_store *p, const char *sql, const char *what, struct err *err,
    const struct pg_bind *b, size_t n);

/*
 * Sends sql, whose result is not needed but its success, without waiting:
 * it goes to the server with the next statement that waits for its own
 * (libpq's pipeline mode), one round trip for them all. Inside a
 * transaction only (outside one it runs as pg_exec1). A deferred
 * statement that fails loses the whole transaction: the statement that
 * reads its result fails with its error, and so does every later one,
 * savepoint releases and the commit included, until the rollback.
 * pg_flush reads the pipeline now.
 */
int pg_defer(struct pg_store *p, const char *sql, const char *what, struct err *err,
    const struct pg_bind *b, size_t n);
int pg_flush(struct pg_store *p, struct err *err);
/*
 * As pg_defer, and the statement's result, once read, goes to *out (the
 * caller's to PQclear; NULL until then, and if it failed): a statement
 * whose answer can wait for the next one's, both in one round trip.
 */
int pg_defer_keep(struct pg_store *p, const char *sql, const char *what, struct err *err,
    PGresult **out, const struct pg_bind *b, size_t n);
/*
 * Outside a transaction, a connection the server dropped is made again
 * (inside one: an error, the transaction is lost). 0 or an error.
 */
int pg_revive(struct pg_store *p, struct err *err);
/*
 * A read snapshot's REPEATABLE READ transaction, without a round trip of
 * its own: pg_read_open sends its BEGIN (the next statement reads it),
 * pg_read_close its COMMIT (sent now, read with the next statement).
 */
int pg_read_open(struct pg_store *p, struct err *err);
void pg_read_close(struct pg_store *p);
/* Forgets the pipeline and a lost transaction's error (a rollback, a reconnect). */
void pg_pipe_reset(struct pg_store *p);

/* Runs it; 0 or pg_res_err. */
int pg_exec1(struct pg_store *p, const char *sql, const char *what, struct err *err,
    const struct pg_bind *b, size_t n);
/* As pg_exec1, and -LSN_ENOTFOUND without a message if it changed no row. */
int pg_change1(struct pg_store *p, const char *sql, const char *what, struct err *err,
    const struct pg_bind *b, size_t n);
/* As pg_exec1, and -LSN_EEXIST without a message if no row went in (ON CONFLICT DO NOTHING). */
int pg_insert1(struct pg_store *p, const char *sql, const char *what, struct err *err,
    const struct pg_bind *b, size_t n);

/* Reads row `row` of res into arg; 0 or a negative LSN_E* with err set. */
typedef int (*pg_fill_fn)(void *arg, PGresult *res, int row, struct err *err);
/* First row to fill; -LSN_ENOTFOUND without a message if none. */
int pg_row1(struct pg_store *p, const char *sql, const char *what, struct err *err,
    pg_fill_fn fill, void *arg, const struct pg_bind *b, size_t n);
/* Every row to fill, in order; stops at (and returns) fill's first negative return. */
int pg_rows(struct pg_store *p, const char *sql, const char *what, struct err *err,
    pg_fill_fn fill, void *arg, const struct pg_bind *b, size_t n);
/* A fill for pg_row1: column 0 into the int64_t at arg (NULL reads 0). */
int pg_fill_int64(void *arg, PGresult *res, int row, struct err *err);
/*
 * Every row, one element of elsize bytes each, filled by fill(); the
 * array is the caller's (free()).
 */
int pg_collect(struct pg_store *p, const char *sql, const char *what, struct err *err,
    size_t elsize, void (*fill)(PGresult *res, int row, void *el), void **ret, size_t *ret_n,
    const struct pg_bind *b, size_t n);

/* Binary columns: int2/int4/int8/bool as int64 (NULL: 0). */
int64_t pg_i64(const PGresult *res, int row, int col);
/* Text, NUL-terminated by libpq ("" for NULL). */
const char *pg_text(const PGresult *res, int row, int col);
/* bytea's bytes and length (NULL, 0 for NULL). */
const uint8_t *pg_bytes(const PGresult *res, int row, int col, size_t *ret_len);
int pg_null(const PGresult *res, int row, int col);
/* Copies text column col into dst (cap bytes, truncated). */
void pg_copy_text(char *dst, size_t cap, const PGresult *res, int row, int col);
/* Copies a 32-byte bytea into dst; 1 if it was there (32 bytes), else 0 and dst zeroed. */
int pg_copy_hash(uint8_t dst[32], const PGresult *res, int row, int col);

/*
 * One-dimensional arrays in PostgreSQL's binary format, bound with
 * PB_ARRAY: `unnest($1::int8[], $2::text[], ...)` then inserts or looks
 * up any number of rows with one prepared statement and one plan, and the
 * server parses no text. Start with pg_arr_start (the element type and
 * how many), add exactly that many elements, bind. Elements of text must
 * be valid UTF-8.
 */
enum pg_elem { PG_ELEM_INT8, PG_ELEM_INT2, PG_ELEM_TEXT, PG_ELEM_BYTEA };
struct pg_arr {
	struct buf b;
	unsigned type;              /* the array type's OID */
	enum pg_elem elem;
};
int pg_arr_start(struct pg_arr *a, enum pg_elem elem, size_t n);
int pg_arr_int(struct pg_arr *a, int64_t v);
int pg_arr_bytes(struct pg_arr *a, const void *p, size_t len);
int pg_arr_text(struct pg_arr *a, const char *s);
void pg_arr_release(struct pg_arr *a);

/* Forgets every prepared statement (a new connection: none exist there). */
void pg_cache_clear(struct pg_store *p);

/*
 * Singleton writes (ledger, outbound sequencing, inbound envelopes,
 * checkpoints, cosignatures, the hotline's steps) call this first in their
 * transaction: when the connection holds an epoch (the active daemon), it
 * checks once per transaction, under a share lock on the lease row, that
 * the epoch is still the lease's; a daemon that lost the lease fails with
 * -LSN_EDENIED and writes nothing; a standby's (epoch -1) always fails.
 * Without an epoch it does nothing.
 */
int pg_fence(struct pg_store *p, struct err *err);

/* ---- pg_schema.c ---- */

/*
 * Brings the schema to the version this program writes, under an advisory
 * lock, in one transaction; a newer one is refused (-LSN_EINVAL).
 */
int pg_schema_migrate(struct pg_store *p, struct err *err);

/*
 * Each domain file defines its table; pg.c points the backend at those
 * that are written (a NULL domain answers -LSN_ENOTSUP, store.h).
 */
extern const struct store_objects_ops pg_objects_ops;     /* pg_objects.c, pg_users.c */
extern const struct store_exchange_ops pg_exchange_ops;   /* pg_exchange.c */
extern const struct store_ledger_ops pg_ledger_ops;       /* pg_ledger.c */
extern const struct store_hotline_ops pg_hotline_ops;     /* pg_hotline.c */
extern const struct store_ha_ops pg_ha_ops;               /* pg_ha.c */

/* ---- pg_objects.c ---- */

int pg_coll_add(struct store *base, struct store_collection *c, struct err *err);
int pg_coll_find(struct store *base, const char *key, struct store_collection *ret,
    struct err *err);
int pg_coll_list(struct store *base, struct store_collection **ret, size_t *ret_n,
    struct err *err);
int pg_objects_add(struct store *base, int64_t coll, const struct store_obj_in *in, size_t n,
    struct store_obj_result *res, struct err *err);
int pg_objects_query(struct store *base, const struct store_query *q, int with_body,
    store_row_fn fn, void *arg, int *ret_more, struct err *err);
int pg_objects_delete(struct store *base, int64_t coll, const char *id, unsigned ver_flags,
    const char *const *vkeys, size_t n_vkeys, const char *const *spec, size_t n_spec,
    size_t *ret_deleted, struct err *err);
int pg_objects_count(struct store *base, int64_t coll, int64_t *ret, struct err *err);
int pg_status_put(struct store *base, const char *id, int64_t coll, const char *json,
    size_t len, struct err *err);
int pg_status_get(struct store *base, const char *id, char **ret_json, size_t *ret_len,
    int64_t *ret_coll, struct err *err);

/* ---- pg_users.c ---- */

int pg_user_add(struct store *base, struct store_user *u, struct err *err);
int pg_user_find(struct store *base, const char *name, struct store_user *ret, struct err *err);
int pg_user_get(struct store *base, int64_t rowid, struct store_user *ret, struct err *err);
int pg_user_list(struct store *base, struct store_user **ret, size_t *ret_n, struct err *err);
int pg_user_remove(struct store *base, const char *name, struct err *err);
int pg_grant_set(struct store *base, int64_t user, const struct store_grant *g,
    struct err *err);
int pg_grant_list(struct store *base, int64_t user, struct store_grant **ret, size_t *ret_n,
    struct err *err);
int pg_token_add(struct store *base, int64_t user, const char *name, const uint8_t hash[32],
    struct err *err);
int pg_token_find(struct store *base, const uint8_t hash[32], int64_t *ret_user,
    struct err *err);

/* ---- pg_exchange.c ---- */

int pg_partner_add(struct store *base, struct store_partner *p, const char *identity,
    struct err *err);
int pg_partner_find(struct store *base, const char *name, struct store_partner *ret,
    struct err *err);
int pg_partner_get(struct store *base, int64_t rowid, struct store_partner *ret,
    struct err *err);
int pg_partner_by_key_id(struct store *base, const uint8_t key_id[32],
    struct store_partner *ret, struct err *err);
int pg_partner_list(struct store *base, struct store_partner **ret, size_t *ret_n,
    struct err *err);
int pg_partner_set_active(struct store *base, int64_t rowid, int active, struct err *err);
int pg_partner_health(struct store *base, int64_t rowid, int64_t last_contact_us,
    const char *error, int64_t error_us, uint64_t retries, struct err *err);
int pg_partner_identity(struct store *base, int64_t rowid, char *out, size_t cap,
    struct err *err);
int pg_share_add(struct store *base, const struct store_share *sh, struct err *err);
int pg_share_list(struct store *base, int64_t partner, struct store_share **ret,
    size_t *ret_n, struct err *err);
int pg_share_set_cursor(struct store *base, int64_t partner, int64_t coll, int64_t cursor_us,
    struct err *err);
int pg_env_put(struct store *base, const struct store_envelope *e, struct err *err);
int pg_env_get(struct store *base, int64_t partner, int dir, uint64_t seq, int with_bytes,
    struct store_envelope *ret, struct err *err);
int pg_env_set_receipt(struct store *base, int64_t partner, uint64_t seq,
    const uint8_t *receipt, size_t len, int64_t receipt_us, struct err *err);
int pg_env_scan(struct store *base, const struct store_env_query *q, store_env_fn fn,
    void *arg, struct err *err);
int pg_env_last(struct store *base, int64_t partner, int dir, uint64_t *ret_seq,
    uint64_t *ret_receipted, struct err *err);
int pg_env_set_proof(struct store *base, int64_t partner, int dir, uint64_t seq,
    const char *proof, size_t len, struct err *err);
int pg_env_scan_leaves(struct store *base, int64_t from, store_env_fn fn, void *arg,
    struct err *err);
int pg_env_without_leaf(struct store *base, struct store_envelope *ret, struct err *err);
int pg_env_set_leaf(struct store *base, int64_t partner, int dir, uint64_t seq, uint64_t leaf,
    struct err *err);
int pg_partner_set_agreement(struct store *base, int64_t rowid, int which,
    const uint8_t *hash, struct err *err);
int pg_policy_log_add(struct store *base, const struct store_policy_entry *e,
    struct err *err);
int pg_policy_log_scan(struct store *base, int64_t partner, size_t limit,
    store_policy_fn fn, void *arg, struct err *err);
int pg_policy_log_counts(struct store *base, int64_t since_us, store_policy_count_fn fn,
    void *arg, struct err *err);
int pg_partner_cert(struct store *base, int64_t rowid, int64_t not_after_us, struct err *err);

/* ---- pg_ledger.c ---- */

int pg_log_size(struct store *base, uint64_t *ret, struct err *err);
int pg_log_append(struct store *base, const struct store_leaf *l, struct err *err);
int pg_log_hashes(struct store *base, uint64_t idx, uint8_t *out, size_t cap,
    size_t *ret_len, struct err *err);
int pg_log_entry(struct store *base, uint64_t idx, uint8_t *out, size_t cap,
    size_t *ret_len, struct err *err);
int pg_log_scan(struct store *base, uint64_t from, store_leaf_fn fn, void *arg,
    struct err *err);
int pg_ckpt_put(struct store *base, const struct store_checkpoint *c, struct err *err);
int pg_ckpt_latest(struct store *base, int64_t partner, struct store_checkpoint *ret,
    struct err *err);
int pg_ckpt_get(struct store *base, int64_t partner, uint64_t size,
    struct store_checkpoint *ret, struct err *err);
int pg_ckpt_scan(struct store *base, int64_t partner, store_ckpt_fn fn, void *arg,
    struct err *err);
int pg_cosig_put(struct store *base, const struct store_cosig *c, struct err *err);
int pg_cosig_scan(struct store *base, uint64_t size, int64_t partner, store_cosig_fn fn,
    void *arg, struct err *err);
int pg_cosig_latest(struct store *base, int64_t partner, uint64_t *ret_size, struct err *err);
int pg_equivocation_add(struct store *base, int64_t partner, const char *note_a,
    const char *note_b, const char *reason, int64_t time_us, struct err *err);
int pg_equivocation_count(struct store *base, int64_t partner, uint64_t *ret,
    struct err *err);

/* ---- pg_hotline.c ---- */

int pg_case_put(struct store *base, const struct store_case *c, struct err *err);
int pg_case_get(struct store *base, const char *key, struct store_case *ret, struct err *err);
int pg_case_scan(struct store *base, const struct store_case_query *q, store_case_fn fn,
    void *arg, struct err *err);
int pg_case_due(struct store *base, int64_t now_us, size_t limit, store_case_fn fn,
    void *arg, struct err *err);
int pg_case_count(struct store *base, int64_t now_us, struct store_case_counts *ret,
    struct err *err);
int pg_step_add(struct store *base, struct store_step *st, struct err *err);
int pg_step_scan(struct store *base, const char *case_id, int with_body, store_step_fn fn,
    void *arg, struct err *err);
int pg_step_set_status(struct store *base, int64_t rowid, int status, const char *reason,
    struct err *err);
int pg_step_queued(struct store *base, int64_t partner, size_t max, store_step_fn fn,
    void *arg, struct err *err);
int pg_step_packed(struct store *base, int64_t rowid, uint64_t seq, struct err *err);
/* env_set_receipt: the case step that envelope carried gets its receipt time. */
int pg_step_receipted(struct pg_store *p, int64_t partner, uint64_t seq, int64_t receipt_us,
    struct err *err);

#endif
