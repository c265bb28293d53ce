/*
 * SQLite backend of the store, the hub: the connection (WAL,
 * synchronous=FULL: an acknowledged commit survives power loss; one per
 * thread), transactions, meta, WAL checkpoints and the backend's tables.
 * It opens, closes and routes; the domains live in sqlite_*.c beneath it
 * (sqlite_int.h), and none of them calls back into this file.
 */
#include "store/sqlite_int.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/ts.h"

#include <assert.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * The page cache of the store's own file, per connection. Small: objects
 * are read by date_added (pages read once, in order) or by id, where a row
 * of a large store is rarely cached whatever the size; what repays caching
 * is the tree above the rows and the right edges the writer appends to.
 * The id index's cache is larger (sqlite_ids.c). All of it fits the
 * daemon's 64 MiB (docs/benchmarks.md).
 */
#define CACHE_KIB 4096
/*
 * Frames in the WAL past which the writer restarts the log itself (256 MiB
 * of 4 KiB pages), and the size its file is trimmed back to if something
 * larger passed through. Each restart copies what the passive checkpoints
 * left, so a larger log means fewer of those pauses (decision 0009).
 */
#define WAL_RESTART_FRAMES 65536
#define WAL_KEEP_BYTES 300000000

/* Write transactions committed by any connection of this process. */
static atomic_ulong sqlite_commits;

/*
 * The read bookkeeping: rd_depth counts read_begin calls not yet ended and
 * is 0 whenever no read transaction of read_begin is open. (read_end
 * without an open read is allowed: callers end a read whose begin failed.)
 */
#define RD_OK(s) ((s)->rd_depth >= 0 && ((s)->rd_open || (s)->rd_depth == 0))

static void sqlite_close(struct store *base);

/* The id index's file: the store's path with STORE_IDS_SUFFIX after it. */
static int
ids_attach(struct sqlite_store *s, const char *path, struct err *err)
{
	char ids[4096];

	if ((size_t)snprintf(ids, sizeof(ids), "%s" STORE_IDS_SUFFIX, path) >= sizeof(ids))
		return err_set(err, LSN_EINVAL, "store: path too long: %s", path);
	return sqlite_ids_open(s, ids, err);
}

static int
sqlite_open(const char *path, int create, struct store **ret, struct err *err)
{
	struct sqlite_store *s;
	/* CREATE always: the attached id index is made again if it is missing */
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_CREATE;
	char *msg = NULL;
	int r;

	if (!create && access(path, F_OK) != 0)
		return err_set(err, LSN_EIO, "store: cannot open %s: %s", path, strerror(errno));
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return err_set(err, LSN_ENOMEM, "store: out of memory");
	s->base.be = &store_sqlite_backend;
	buf_init(&s->env, SQLITE_ENV_BUF_MAX);
	buf_init(&s->note, 1024 * 1024);
	if (sqlite3_open_v2(path, &s->db, flags, sqlite_vfs_name()) != SQLITE_OK) {
		err_set(err, LSN_EIO, "store: cannot open %s: %s", path,
		    s->db ? sqlite3_errmsg(s->db) : "out of memory");
		sqlite_close(&s->base);
		return -LSN_EIO;
	}
	sqlite3_extended_result_codes(s->db, 0);
	sqlite3_busy_timeout(s->db, 5000);
	if (sqlite3_exec(s->db,
	    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
	    "PRAGMA cache_size = -" SQLITE_STR(CACHE_KIB) "; PRAGMA temp_store = MEMORY;"
	    "PRAGMA journal_size_limit = " SQLITE_STR(WAL_KEEP_BYTES) ";",
	    NULL, NULL, &msg) != SQLITE_OK) {
		err_set(err, LSN_EIO, "store: configuring %s failed: %s", path, msg);
		sqlite3_free(msg);
		sqlite_close(&s->base);
		return -LSN_EIO;
	}
	if ((r = sqlite_schema_migrate(s, err)) < 0 || (r = ids_attach(s, path, err)) < 0 ||
	    (r = sqlite_fixed_prepare(s, err)) < 0) {
		sqlite_close(&s->base);
		return r;
	}
	*ret = &s->base;
	return 0;
}

static void
sqlite_close(struct store *base)
{
	struct sqlite_store *s = ss(base);

	if (s == NULL)
		return;
	sqlite_stmt_finalize_all(s);
	sqlite3_close(s->db);
	buf_release(&s->env);
	buf_release(&s->note);
	free(s);
}

static int
sqlite_begin(struct store *base, struct err *err)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int r;

	if ((r = sqlite_fixed_exec(s, ST_BEGIN, err)) < 0)
		return r;
	/* Another process may have written since; date_added must keep rising. */
	st = sqlite_fixed_get(s, ST_OBJ_MAXDATE);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) > s->last_date_added)
		s->last_date_added = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

static int
sqlite_read_begin(struct store *base, struct err *err)
{
	struct sqlite_store *s = ss(base);
	unsigned long gen = atomic_load_explicit(&sqlite_commits, memory_order_acquire);
	int r;

	assert(RD_OK(s));
	if (s->rd_open) {
		if (s->rd_depth > 0 || gen == s->rd_gen) {
			s->rd_depth++;   /* nested, or a lingering snapshot still current */
			return 0;
		}
		sqlite_linger_end(s);           /* this process committed since: a new snapshot */
	}
	if ((r = sqlite_fixed_exec(s, ST_BEGIN_READ, err)) < 0)
		return r;
	s->rd_open = 1;
	s->rd_depth = 1;
	s->rd_gen = gen;
	return 0;
}

static int
sqlite_read_end(struct store *base)
{
	struct sqlite_store *s = ss(base);

	assert(RD_OK(s));
	if (s->rd_open && s->rd_depth > 1) {
		s->rd_depth--;
		return 0;
	}
	s->rd_depth = 0;
	if (s->rd_open && s->linger)
		return 0;
	s->rd_open = 0;
	if (sqlite3_get_autocommit(s->db))
		return 0;
	return sqlite_fixed_exec(s, ST_COMMIT, NULL);
}

static void
sqlite_read_linger(struct store *base, int on)
{
	struct sqlite_store *s = ss(base);

	s->linger = on;
	if (!on && s->rd_open && s->rd_depth == 0)
		sqlite_linger_end(s);
}

static void
sqlite_read_release(struct store *base)
{
	struct sqlite_store *s = ss(base);

	if (s->rd_open && s->rd_depth == 0)
		sqlite_linger_end(s);
}

static int
sqlite_commit(struct store *base, struct err *err)
{
	struct sqlite_store *s = ss(base);
	int r = sqlite_ids_commit(s, err);

	if (r < 0 || (r = sqlite_fixed_exec(s, ST_COMMIT, err)) < 0)
		return r;
	atomic_fetch_add_explicit(&sqlite_commits, 1, memory_order_release);
	return 0;
}

static int
sqlite_rollback(struct store *base)
{
	struct sqlite_store *s = ss(base);

	s->ids_dirty = 0;
	if (sqlite3_get_autocommit(s->db))
		return 0;
	return sqlite_fixed_exec(s, ST_ROLLBACK, NULL);
}

static int
sqlite_savepoint(struct store *base, struct err *err)
{
	return sqlite_fixed_exec(ss(base), ST_SAVEPOINT, err);
}

static int
sqlite_release(struct store *base, int keep, struct err *err)
{
	struct sqlite_store *s = ss(base);
	int r;

	if (!keep && (r = sqlite_fixed_exec(s, ST_ROLLBACK_TO, err)) < 0)
		return r;
	if ((r = sqlite_fixed_exec(s, ST_RELEASE, err)) < 0)
		return r;
	if (sqlite3_get_autocommit(s->db)) /* it was the outermost: a commit */
		atomic_fetch_add_explicit(&sqlite_commits, 1, memory_order_release);
	return 0;
}

static int
sqlite_meta_get(struct store *base, const char *key, char *out, size_t outcap, struct err *err)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st = sqlite_fixed_get(s, ST_META_GET);
	int rc, r = 0;

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		if (strlen(v) >= outcap)
			r = err_set(err, LSN_ETOOBIG, "store: meta value %s too long", key);
		else
			strcpy(out, v);
	} else if (rc == SQLITE_DONE) {
		r = err_set(err, LSN_ENOTFOUND, "store: no meta value %s", key);
	} else {
		r = sqlite_db_err(s, err, "reading meta");
	}
	sqlite3_reset(st);
	return r;
}

static int
sqlite_meta_set(struct store *base, const char *key, const char *value, struct err *err)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st = sqlite_fixed_get(s, ST_META_SET);

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		return sqlite_db_err(s, err, "writing meta");
	}
	sqlite3_reset(st);
	return 0;
}

/* PRAGMA data_version also starts the read transaction, so it is current. */
static int
sqlite_data_version(struct store *base, int64_t *ret, struct err *err)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st = sqlite_fixed_get(s, ST_DATA_VERSION);
	int r = 0;

	if (sqlite3_step(st) == SQLITE_ROW)
		*ret = sqlite3_column_int64(st, 0);
	else
		r = sqlite_db_err(s, err, "reading the data version");
	sqlite3_reset(st);
	return r;
}


/*
 * Called after each commit of the writer's connection. A second connection
 * runs PASSIVE checkpoints, which never block the writer but, under
 * continuous writes, never finish; a log that is never fully copied is never
 * restarted and grows without end (7.8 GB after 1M objects). So past
 * WAL_RESTART_FRAMES the writer, between two transactions, copies what the
 * passive checkpoints left and restarts the log; journal_size_limit trims
 * the file if something larger passed through.
 */
static int
wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	if (frames > WAL_RESTART_FRAMES)
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_RESTART, NULL, NULL);
	return SQLITE_OK;
}

static int
sqlite_autocheckpoint(struct store *base, int pages, struct err *err)
{
	struct sqlite_store *s = ss(base);

	if (pages == 0) {
		sqlite3_wal_hook(s->db, wal_hook, s);
		return 0;
	}
	if (sqlite3_wal_autocheckpoint(s->db, pages) != SQLITE_OK)
		return sqlite_db_err(s, err, "setting the WAL autocheckpoint");
	return 0;
}

static int
sqlite_checkpoint(struct store *base, struct err *err)
{
	struct sqlite_store *s = ss(base);
	int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);

	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		return sqlite_db_err(s, err, "checkpointing the WAL");
	return 0;
}

static const struct store_objects_ops sqlite_objects = {
	.version = STORE_OBJECTS_VERSION,
	.coll_add = sqlite_coll_add,
	.coll_find = sqlite_coll_find,
	.coll_list = sqlite_coll_list,
	.objects_add = sqlite_objects_add,
	.objects_query = sqlite_objects_query,
	.objects_delete = sqlite_objects_delete,
	.objects_count = sqlite_objects_count,
	.status_put = sqlite_status_put,
	.status_get = sqlite_status_get,
	.user_add = sqlite_user_add,
	.user_find = sqlite_user_find,
	.user_get = sqlite_user_get,
	.user_list = sqlite_user_list,
	.user_remove = sqlite_user_remove,
	.grant_set = sqlite_grant_set,
	.grant_list = sqlite_grant_list,
	.token_add = sqlite_token_add,
	.token_find = sqlite_token_find,
};

static const struct store_exchange_ops sqlite_exchange = {
	.version = STORE_EXCHANGE_VERSION,
	.partner_add = sqlite_partner_add,
	.partner_find = sqlite_partner_find,
	.partner_get = sqlite_partner_get,
	.partner_by_key_id = sqlite_partner_by_key_id,
	.partner_list = sqlite_partner_list,
	.partner_set_active = sqlite_partner_set_active,
	.partner_health = sqlite_partner_health,
	.partner_identity = sqlite_partner_identity,
	.share_add = sqlite_share_add,
	.share_list = sqlite_share_list,
	.share_set_cursor = sqlite_share_set_cursor,
	.env_put = sqlite_env_put,
	.env_get = sqlite_env_get,
	.env_set_receipt = sqlite_env_set_receipt,
	.env_scan = sqlite_env_scan,
	.env_last = sqlite_env_last,
	.env_set_proof = sqlite_env_set_proof,
	.env_scan_leaves = sqlite_env_scan_leaves,
	.env_without_leaf = sqlite_env_without_leaf,
	.env_set_leaf = sqlite_env_set_leaf,
	.partner_set_agreement = sqlite_partner_set_agreement,
	.policy_log_add = sqlite_policy_log_add,
	.policy_log_scan = sqlite_policy_log_scan,
	.policy_log_counts = sqlite_policy_log_counts,
	.partner_cert = sqlite_partner_cert,
};

static const struct store_ledger_ops sqlite_ledger = {
	.version = STORE_LEDGER_VERSION,
	.log_size = sqlite_log_size,
	.log_append = sqlite_log_append,
	.log_hashes = sqlite_log_hashes,
	.log_entry = sqlite_log_entry,
	.log_scan = sqlite_log_scan,
	.ckpt_put = sqlite_ckpt_put,
	.ckpt_latest = sqlite_ckpt_latest,
	.ckpt_get = sqlite_ckpt_get,
	.ckpt_scan = sqlite_ckpt_scan,
	.cosig_put = sqlite_cosig_put,
	.cosig_scan = sqlite_cosig_scan,
	.cosig_latest = sqlite_cosig_latest,
	.equivocation_add = sqlite_equivocation_add,
	.equivocation_count = sqlite_equivocation_count,
};

static const struct store_hotline_ops sqlite_hotline = {
	.version = STORE_HOTLINE_VERSION,
	.case_put = sqlite_case_put,
	.case_get = sqlite_case_get,
	.case_scan = sqlite_case_scan,
	.case_due = sqlite_case_due,
	.case_count = sqlite_case_count,
	.step_add = sqlite_step_add,
	.step_scan = sqlite_step_scan,
	.step_set_status = sqlite_step_set_status,
	.step_queued = sqlite_step_queued,
	.step_packed = sqlite_step_packed,
};

const struct store_backend store_sqlite_backend = {
	.version = STORE_BACKEND_VERSION,
	.name = "sqlite",
	.open = sqlite_open,
	.close = sqlite_close,
	.begin = sqlite_begin,
	.read_begin = sqlite_read_begin,
	.read_end = sqlite_read_end,
	.read_linger = sqlite_read_linger,
	.read_release = sqlite_read_release,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.savepoint = sqlite_savepoint,
	.release = sqlite_release,
	.meta_get = sqlite_meta_get,
	.meta_set = sqlite_meta_set,
	.data_version = sqlite_data_version,
	.autocheckpoint = sqlite_autocheckpoint,
	.checkpoint = sqlite_checkpoint,
	.objects = &sqlite_objects,
	.exchange = &sqlite_exchange,
	.ledger = &sqlite_ledger,
	.hotline = &sqlite_hotline,
};

