/*
 * What the files of the SQLite backend share. Private to src/store/:
 * nothing else includes it, and it holds no policy. From the bottom up:
 * sqlite_stmt.c (statements, errors, one-row helpers), sqlite_vfs.c,
 * sqlite_schema.c, sqlite_ids.c; the domains sqlite_objects.c,
 * sqlite_users.c, sqlite_hotline.c, sqlite_exchange.c (which calls
 * sqlite_hotline.c), sqlite_ledger.c; on top sqlite.c, the connection and
 * the backend's tables. A file calls only files listed before it.
 */
#ifndef LSN_STORE_SQLITE_INT_H
#define LSN_STORE_SQLITE_INT_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/buf.h"

struct err;

/* Statements prepared once at open, for the paths that run on every write. */
enum stmt_id {
	ST_BEGIN, ST_BEGIN_READ, ST_COMMIT, ST_ROLLBACK, ST_SAVEPOINT, ST_RELEASE, ST_ROLLBACK_TO,
	ST_META_GET, ST_META_SET,
	ST_OBJ_EXACT, ST_OBJ_MINMAX, ST_OBJ_INSERT, ST_OBJ_CLEAR_LAST, ST_OBJ_CLEAR_FIRST,
	ST_OBJ_MAXDATE, ST_IDS_INSERT, ST_OBJ_BODY, ST_DATA_VERSION,
	ST_MAX
};

#define CACHE_SLOTS 64

/*
 * env_get copies an envelope here, so its pointers outlive the statement
 * (a statement left open would pin a read snapshot). The cap is room for
 * bytes and receipt each as large as SQLite stores (SQLITE_MAX_LENGTH,
 * 10^9 by default), so any stored envelope fits.
 */
#define SQLITE_ENV_BUF_MAX ((size_t)2 * 1000 * 1000 * 1000)

/* Prepared statements kept across calls, keyed by their SQL text. */
struct cached_stmt {
	uint64_t hash;
	char *sql;
	sqlite3_stmt *st;
};

struct sqlite_store {
	struct store base;          /* first: the generic handle */
	sqlite3 *db;
	sqlite3_stmt *st[ST_MAX];
	struct cached_stmt cache[CACHE_SLOTS];
	unsigned cache_next;        /* round-robin victim */
	int64_t last_date_added;    /* writer only: highest date_added handed out */
	int ids_dirty;              /* this transaction changed objects: record how far idx goes */
	struct buf env;             /* env_get's copy, reused and grown, freed at close */
	struct buf note;            /* ckpt_latest/ckpt_get's copy of a note */
	int linger;                 /* read_linger: read_end keeps the snapshot */
	int rd_open;                /* a read transaction of read_begin is open */
	int rd_depth;               /* read_begin calls not yet ended (0: lingering) */
	unsigned long rd_gen;       /* sqlite_commits when it began */
};

/*
 * The store's VFS (sqlite_vfs.c): the default one, with each commit's WAL
 * frames written in a few large writes instead of two per page. NULL if it
 * could not be registered; connections then use the default VFS.
 */
#define SQLITE_VFS_NAME "liaison"
const char *sqlite_vfs_name(void);

#define SQLITE_STR_(x) #x
#define SQLITE_STR(x) SQLITE_STR_(x)

/*
 * The id index (sqlite_ids.c), attached as `idx` from the file path:
 * sqlite_ids_open attaches it and brings it level with the objects;
 * sqlite_ids_commit, before a commit, records how far it goes.
 * IDS_ROWS(c, h) is the rows whose entry has collection c and id hash h:
 * a lookup still compares the row's stix_id.
 */
#define IDS_ROWS(c, h) \
	"date_added IN (SELECT date_added FROM idx.objects_id WHERE coll = " c " AND id_hash = " h ")"
int sqlite_ids_open(struct sqlite_store *s, const char *path, struct err *err);
int sqlite_ids_commit(struct sqlite_store *s, struct err *err);

static inline struct sqlite_store *
ss(struct store *s)
{
	return (struct sqlite_store *)s;
}

/* ---- sqlite_schema.c ---- */

/*
 * Brings the schema to the version this program writes, in one
 * transaction; a newer one is refused (-LSN_EINVAL).
 */
int sqlite_schema_migrate(struct sqlite_store *s, struct err *err);

/* ---- sqlite_stmt.c: statements and errors ---- */

/*
 * Fills err from the connection's last error and returns its -LSN_E* code
 * (busy -> EBUSY, constraint -> EEXIST, else EIO); what names the action.
 */
int sqlite_db_err(struct sqlite_store *s, struct err *err, const char *what);

/* Prepares s->st[] (at open); sqlite_stmt_finalize_all frees them and the cache (at close). */
int sqlite_fixed_prepare(struct sqlite_store *s, struct err *err);
void sqlite_stmt_finalize_all(struct sqlite_store *s);

/*
 * s->st[id], reset and unbound. The read outside read_begin/read_end sees
 * the newest data: a lingering snapshot is ended first. Never give it to
 * sqlite_unprep; reset it with sqlite3_reset.
 */
sqlite3_stmt *sqlite_fixed_get(struct sqlite_store *s, enum stmt_id id);
/* Steps s->st[id] once (a row or done); errors name its SQL. */
int sqlite_fixed_exec(struct sqlite_store *s, enum stmt_id id, struct err *err);
/* Ends a lingering read transaction (read_linger) nobody is inside. */
void sqlite_linger_end(struct sqlite_store *s);

/* The key of idx.objects_id: FNV-1a of the STIX id, as a signed 64-bit integer. */
int64_t sqlite_id_hash(const char *stix_id);

/*
 * A prepared statement for sql, from the connection's cache when it was
 * prepared before. The statement is the cache's: give it back with
 * sqlite_unprep(), never finalize it. A statement being stepped (between
 * its first SQLITE_ROW and its reset) is never evicted, so row callbacks
 * may call the store; any other one may be evicted by the next
 * sqlite_prep(), so give it back before preparing another.
 */
int sqlite_prep(struct sqlite_store *s, const char *sql, sqlite3_stmt **ret, struct err *err);
/* Resets st and clears its bindings; NULL is a no-op. st must be the cache's. */
void sqlite_unprep(struct sqlite_store *s, sqlite3_stmt *st);

/* Copies text column col into dst (cap bytes, truncated, "" for NULL). */
void sqlite_copy_text(char *dst, size_t cap, sqlite3_stmt *st, int col);

/*
 * Steps st to the end, appending one element of elsize bytes per row, filled
 * by fill(); the array is the caller's (free()). Gives st back (unprep).
 */
int sqlite_collect(struct sqlite_store *s, sqlite3_stmt *st, size_t elsize,
    void (*fill)(sqlite3_stmt *st, void *el), void **ret, size_t *ret_n, const char *what,
    struct err *err);

/*
 * One statement run once, with its parameters ?1..?n from a list:
 *   sqlite_exec1(s, sql, "adding a user", err,
 *       SQLITE_BINDS(SB_TEXT(name), SB_INT(admin)));
 * Text and blobs are bound SQLITE_STATIC (they must outlive the call); a
 * NULL pointer binds SQL NULL. The statement comes from the cache
 * (sqlite_prep) and is given back before the call returns. No list: NULL, 0.
 */
enum sqlite_bind_kind { SQLITE_BIND_INT, SQLITE_BIND_TEXT, SQLITE_BIND_BLOB };
struct sqlite_bind {
	enum sqlite_bind_kind kind;
	int64_t i;                  /* SQLITE_BIND_INT */
	const void *p;              /* text or blob; NULL binds NULL */
	int64_t n;                  /* its bytes; text: -1 up to its NUL */
};
#define SB_INT(x) { .kind = SQLITE_BIND_INT, .i = (x) }
#define SB_TEXT(s) { .kind = SQLITE_BIND_TEXT, .p = (s), .n = -1 }
#define SB_TEXTN(s, len) { .kind = SQLITE_BIND_TEXT, .p = (s), .n = (int64_t)(len) }
#define SB_BLOB(b, len) { .kind = SQLITE_BIND_BLOB, .p = (b), .n = (int64_t)(len) }
#define SB_HASH(h) SB_BLOB(h, 32)
/* The list and its length, as the last two arguments of the helpers below. */
#define SQLITE_BINDS(...) (const struct sqlite_bind[]){ __VA_ARGS__ }, \
	(sizeof((const struct sqlite_bind[]){ __VA_ARGS__ }) / sizeof(struct sqlite_bind))

/*
 * Steps the statement to SQLITE_DONE; any other result fails with
 * sqlite_db_err(what) (so a constraint is -LSN_EEXIST: a caller with a
 * better sentence sets it again).
 */
int sqlite_exec1(struct sqlite_store *s, const char *sql, const char *what, struct err *err,
    const struct sqlite_bind *b, size_t n);
/* As sqlite_exec1, and -LSN_ENOTFOUND, without a message, if it changed no row. */
int sqlite_change1(struct sqlite_store *s, const char *sql, const char *what, struct err *err,
    const struct sqlite_bind *b, size_t n);

/* Reads the current row of st into arg; 0 or a negative LSN_E* with err set. */
typedef int (*sqlite_fill_fn)(void *arg, sqlite3_stmt *st, struct err *err);
/*
 * Steps the statement once and hands its first row to fill (while the
 * statement is still open, so column pointers are valid only inside fill);
 * -LSN_ENOTFOUND without a message if there is no row, sqlite_db_err(what)
 * on an error.
 */
int sqlite_row1(struct sqlite_store *s, const char *sql, const char *what, struct err *err,
    sqlite_fill_fn fill, void *arg, const struct sqlite_bind *b, size_t n);
/* A fill for sqlite_row1: column 0 into the int64_t at arg. */
int sqlite_fill_int64(void *arg, sqlite3_stmt *st, struct err *err);

/* ---- sqlite_objects.c: collections, objects, status resources ---- */

int sqlite_coll_add(struct store *base, struct store_collection *c, struct err *err);
int sqlite_coll_find(struct store *base, const char *key, struct store_collection *ret,
    struct err *err);
int sqlite_coll_list(struct store *base, struct store_collection **ret, size_t *ret_n,
    struct err *err);
int sqlite_objects_add(struct store *base, int64_t coll, const struct store_obj_in *in, size_t n,
    struct store_obj_result *res, struct err *err);
int sqlite_objects_query(struct store *base, const struct store_query *q, int with_body,
    store_row_fn fn, void *arg, int *ret_more, struct err *err);
int sqlite_objects_delete(struct store *base, int64_t coll, const char *id, unsigned ver_flags,
    const char *const *vkeys, size_t n_vkeys, const char *const *spec, size_t n_spec,
    size_t *ret_deleted, struct err *err);
int sqlite_objects_count(struct store *base, int64_t coll, int64_t *ret, struct err *err);
int sqlite_status_put(struct store *base, const char *id, int64_t coll, const char *json,
    size_t len, struct err *err);
int sqlite_status_get(struct store *base, const char *id, char **ret_json, size_t *ret_len,
    int64_t *ret_coll, struct err *err);

/* ---- sqlite_users.c: users, grants, tokens ---- */

int sqlite_user_add(struct store *base, struct store_user *u, struct err *err);
int sqlite_user_find(struct store *base, const char *name, struct store_user *ret,
    struct err *err);
int sqlite_user_get(struct store *base, int64_t rowid, struct store_user *ret, struct err *err);
int sqlite_user_list(struct store *base, struct store_user **ret, size_t *ret_n,
    struct err *err);
int sqlite_user_remove(struct store *base, const char *name, struct err *err);
int sqlite_grant_set(struct store *base, int64_t user, const struct store_grant *g,
    struct err *err);
int sqlite_grant_list(struct store *base, int64_t user, struct store_grant **ret, size_t *ret_n,
    struct err *err);
int sqlite_token_add(struct store *base, int64_t user, const char *name, const uint8_t hash[32],
    struct err *err);
int sqlite_token_find(struct store *base, const uint8_t hash[32], int64_t *ret_user,
    struct err *err);

/* ---- sqlite_exchange.c: the backend entries for partner channels ---- */

int sqlite_partner_add(struct store *base, struct store_partner *p, const char *identity,
    struct err *err);
int sqlite_partner_find(struct store *base, const char *name, struct store_partner *ret,
    struct err *err);
int sqlite_partner_get(struct store *base, int64_t rowid, struct store_partner *ret,
    struct err *err);
int sqlite_partner_by_key_id(struct store *base, const uint8_t key_id[32],
    struct store_partner *ret, struct err *err);
int sqlite_partner_list(struct store *base, struct store_partner **ret, size_t *ret_n,
    struct err *err);
int sqlite_partner_set_active(struct store *base, int64_t rowid, int active, struct err *err);
int sqlite_partner_health(struct store *base, int64_t rowid, int64_t last_contact_us,
    const char *error, int64_t error_us, uint64_t retries, struct err *err);
int sqlite_partner_identity(struct store *base, int64_t rowid, char *out, size_t cap,
    struct err *err);
int sqlite_share_add(struct store *base, const struct store_share *sh, struct err *err);
int sqlite_share_list(struct store *base, int64_t partner, struct store_share **ret,
    size_t *ret_n, struct err *err);
int sqlite_share_set_cursor(struct store *base, int64_t partner, int64_t coll, int64_t cursor_us,
    struct err *err);
int sqlite_env_put(struct store *base, const struct store_envelope *e, struct err *err);
int sqlite_env_get(struct store *base, int64_t partner, int dir, uint64_t seq, int with_bytes,
    struct store_envelope *ret, struct err *err);
int sqlite_env_set_receipt(struct store *base, int64_t partner, uint64_t seq,
    const uint8_t *receipt, size_t len, int64_t receipt_us, struct err *err);
int sqlite_env_scan(struct store *base, const struct store_env_query *q, store_env_fn fn,
    void *arg, struct err *err);
int sqlite_env_last(struct store *base, int64_t partner, int dir, uint64_t *ret_seq,
    uint64_t *ret_receipted, struct err *err);
int sqlite_env_set_proof(struct store *base, int64_t partner, int dir, uint64_t seq,
    const char *proof, size_t len, struct err *err);
int sqlite_env_scan_leaves(struct store *base, int64_t from, store_env_fn fn, void *arg,
    struct err *err);
int sqlite_env_without_leaf(struct store *base, struct store_envelope *ret, struct err *err);
int sqlite_env_set_leaf(struct store *base, int64_t partner, int dir, uint64_t seq, uint64_t leaf,
    struct err *err);

/* ---- sqlite_ledger.c: the ledger's tables ---- */

int sqlite_log_size(struct store *base, uint64_t *ret, struct err *err);
int sqlite_log_append(struct store *base, const struct store_leaf *l, struct err *err);
int sqlite_log_hashes(struct store *base, uint64_t idx, uint8_t *out, size_t cap,
    size_t *ret_len, struct err *err);
int sqlite_log_entry(struct store *base, uint64_t idx, uint8_t *out, size_t cap,
    size_t *ret_len, struct err *err);
int sqlite_log_scan(struct store *base, uint64_t from, store_leaf_fn fn, void *arg,
    struct err *err);
int sqlite_ckpt_put(struct store *base, const struct store_checkpoint *c, struct err *err);
int sqlite_ckpt_latest(struct store *base, int64_t partner, struct store_checkpoint *ret,
    struct err *err);
int sqlite_ckpt_get(struct store *base, int64_t partner, uint64_t size,
    struct store_checkpoint *ret, struct err *err);
int sqlite_ckpt_scan(struct store *base, int64_t partner, store_ckpt_fn fn, void *arg,
    struct err *err);
int sqlite_cosig_put(struct store *base, const struct store_cosig *c, struct err *err);
int sqlite_cosig_scan(struct store *base, uint64_t size, int64_t partner, store_cosig_fn fn,
    void *arg, struct err *err);
int sqlite_cosig_latest(struct store *base, int64_t partner, uint64_t *ret_size,
    struct err *err);
int sqlite_equivocation_add(struct store *base, int64_t partner, const char *note_a,
    const char *note_b, const char *reason, int64_t time_us, struct err *err);
int sqlite_equivocation_count(struct store *base, int64_t partner, uint64_t *ret,
    struct err *err);
int sqlite_partner_set_agreement(struct store *base, int64_t rowid, int which,
    const uint8_t *hash, struct err *err);
int sqlite_policy_log_add(struct store *base, const struct store_policy_entry *e,
    struct err *err);
int sqlite_policy_log_scan(struct store *base, int64_t partner, size_t limit,
    store_policy_fn fn, void *arg, struct err *err);
int sqlite_policy_log_counts(struct store *base, int64_t since_us, store_policy_count_fn fn,
    void *arg, struct err *err);
int sqlite_partner_cert(struct store *base, int64_t rowid, int64_t not_after_us,
    struct err *err);
/* sqlite_hotline.c */
int sqlite_case_put(struct store *base, const struct store_case *c, struct err *err);
int sqlite_case_get(struct store *base, const char *key, struct store_case *ret,
    struct err *err);
int sqlite_case_scan(struct store *base, const struct store_case_query *q, store_case_fn fn,
    void *arg, struct err *err);
int sqlite_case_due(struct store *base, int64_t now_us, size_t limit, store_case_fn fn,
    void *arg, struct err *err);
int sqlite_case_count(struct store *base, int64_t now_us, struct store_case_counts *ret,
    struct err *err);
int sqlite_step_add(struct store *base, struct store_step *st, struct err *err);
int sqlite_step_scan(struct store *base, const char *case_id, int with_body, store_step_fn fn,
    void *arg, struct err *err);
int sqlite_step_set_status(struct store *base, int64_t rowid, int status, const char *reason,
    struct err *err);
int sqlite_step_queued(struct store *base, int64_t partner, size_t max, store_step_fn fn,
    void *arg, struct err *err);
int sqlite_step_packed(struct store *base, int64_t rowid, uint64_t seq, struct err *err);
/* env_set_receipt: the case step that envelope carried gets its receipt time. */
int sqlite_step_receipted(struct sqlite_store *s, int64_t partner, uint64_t seq,
    int64_t receipt_us, struct err *err);

#endif
