/*
 * What the files of the SQLite backend share (sqlite.c: connection, schema,
 * objects, users; sqlite_exchange.c: partners, shares, envelopes). Private
 * to src/store/: nothing else includes it, and it holds no policy.
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

/*
 * Fills err from the connection's last error and returns its -LSN_E* code
 * (busy -> EBUSY, constraint -> EEXIST, else EIO); what names the action.
 */
int sqlite_db_err(struct sqlite_store *s, struct err *err, const char *what);

/*
 * A prepared statement for sql, from the connection's cache when it was
 * prepared before. The statement is the cache's: give it back with
 * sqlite_unprep(), never finalize it. A statement being stepped (between
 * its first SQLITE_ROW and its reset) is never evicted, so row callbacks
 * may call the store; any other one may be evicted by the next
 * sqlite_prep(), so give it back before preparing another.
 */
int sqlite_prep(struct sqlite_store *s, const char *sql, sqlite3_stmt **ret, struct err *err);
void sqlite_unprep(sqlite3_stmt *st);

/* Copies text column col into dst (cap bytes, truncated, "" for NULL). */
void sqlite_copy_text(char *dst, size_t cap, sqlite3_stmt *st, int col);

/*
 * Steps st to the end, appending one element of elsize bytes per row, filled
 * by fill(); the array is the caller's (free()). Gives st back (unprep).
 */
int sqlite_collect(struct sqlite_store *s, sqlite3_stmt *st, size_t elsize,
    void (*fill)(sqlite3_stmt *st, void *el), void **ret, size_t *ret_n, const char *what,
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
