/*
 * SQLite backend of the store: WAL, synchronous=FULL (an acknowledged commit
 * survives power loss), one connection per thread. Objects are kept as the
 * exact bytes received plus the index columns TAXII queries need; date_added
 * (microseconds, strictly increasing) is the rowid, so keyset pages are
 * B-tree range scans and never offsets. Contains no policy. Partners,
 * shares and envelopes are in sqlite_exchange.c; sqlite_int.h holds what
 * both files share.
 */
#include "store/sqlite_int.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/ts.h"

#include <errno.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SCHEMA_VERSION 7

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

static const char *const stmt_sql[ST_MAX] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_BEGIN_READ] = "BEGIN",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SAVEPOINT] = "SAVEPOINT job",
	[ST_RELEASE] = "RELEASE job",
	[ST_ROLLBACK_TO] = "ROLLBACK TO job",
	[ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[ST_META_SET] = "INSERT INTO meta(key, value) VALUES (?1, ?2) "
			"ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	[ST_OBJ_EXACT] = "SELECT date_added, hash FROM objects NOT INDEXED WHERE " IDS_ROWS("?1", "?4")
			 " AND coll = ?1 AND stix_id = ?2 AND version_key = ?3",
	[ST_OBJ_MINMAX] = "SELECT min(version_key), max(version_key) FROM objects NOT INDEXED "
			  "WHERE " IDS_ROWS("?1", "?3") " AND coll = ?1 AND stix_id = ?2",
	[ST_OBJ_INSERT] = "INSERT INTO objects(date_added, coll, stix_id, type, version, "
			  "version_key, spec_version, is_first, is_last, tlp, hash, body, id_hash) "
			  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	[ST_OBJ_CLEAR_LAST] = "UPDATE objects NOT INDEXED SET is_last = 0 WHERE " IDS_ROWS("?1", "?3")
			      " AND coll = ?1 AND stix_id = ?2 AND is_last = 1",
	[ST_OBJ_CLEAR_FIRST] = "UPDATE objects NOT INDEXED SET is_first = 0 WHERE " IDS_ROWS("?1", "?3")
			       " AND coll = ?1 AND stix_id = ?2 AND is_first = 1",
	[ST_IDS_INSERT] = "INSERT OR IGNORE INTO idx.objects_id(coll, id_hash, date_added) "
			  "VALUES (?1, ?2, ?3)",
	[ST_OBJ_MAXDATE] = "SELECT max(date_added) FROM objects",
	[ST_OBJ_BODY] = "SELECT body FROM objects WHERE date_added = ?1",
	[ST_DATA_VERSION] = "PRAGMA data_version",
};

/* Version 1, the first release: kept as it was, since migrations replay it. */
static const char schema_v1[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS collections("
	"  rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, title TEXT NOT NULL UNIQUE,"
	"  description TEXT NOT NULL DEFAULT '', created_us INTEGER NOT NULL);"
	/* date_added is the rowid: strictly increasing, unique, the keyset key */
	"CREATE TABLE IF NOT EXISTS objects("
	"  date_added INTEGER PRIMARY KEY, coll INTEGER NOT NULL REFERENCES collections(rowid),"
	"  stix_id TEXT NOT NULL, type TEXT NOT NULL, version TEXT NOT NULL,"
	"  version_key TEXT NOT NULL, spec_version TEXT NOT NULL,"
	"  is_first INTEGER NOT NULL, is_last INTEGER NOT NULL, tlp INTEGER NOT NULL,"
	"  hash BLOB NOT NULL, body BLOB NOT NULL, id_hash INTEGER NOT NULL);"
	/*
	 * Objects by id: a 64-bit hash of the id keeps this random-key index
	 * small (about 20 bytes an entry instead of 90), so fewer of its pages
	 * are dirtied per commit and more stay cached; every lookup also
	 * compares stix_id, so a collision costs a row read, never a wrong
	 * answer. (coll, stix_id, version_key) stays unique through the single
	 * writer's check in add_one.
	 */
	"CREATE INDEX IF NOT EXISTS objects_id ON objects(coll, id_hash);"
	"CREATE INDEX IF NOT EXISTS objects_coll ON objects(coll, date_added);"
	"CREATE INDEX IF NOT EXISTS objects_type ON objects(coll, type, date_added);"
	"CREATE INDEX IF NOT EXISTS objects_last ON objects(coll, date_added) WHERE is_last = 1;"
	"CREATE TABLE IF NOT EXISTS status("
	"  id TEXT PRIMARY KEY, coll INTEGER NOT NULL, created_us INTEGER NOT NULL,"
	"  body TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS users("
	"  rowid INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, pwhash TEXT NOT NULL DEFAULT '',"
	"  admin INTEGER NOT NULL DEFAULT 0, created_us INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS grants("
	"  user INTEGER NOT NULL REFERENCES users(rowid) ON DELETE CASCADE,"
	"  coll INTEGER NOT NULL REFERENCES collections(rowid),"
	"  can_read INTEGER NOT NULL, can_write INTEGER NOT NULL,"
	"  PRIMARY KEY(user, coll)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS tokens("
	"  hash BLOB PRIMARY KEY, user INTEGER NOT NULL REFERENCES users(rowid) ON DELETE CASCADE,"
	"  name TEXT NOT NULL, created_us INTEGER NOT NULL) WITHOUT ROWID;";

/*
 * Version 2: partner channels. A partner's identity document sits last in
 * its row so the reads that skip it never touch its overflow pages; the
 * same holds for an envelope's bytes, which can be megabytes (and why
 * envelopes has a rowid: WITHOUT ROWID tables are for small rows).
 */
static const char schema_v2[] =
	"ALTER TABLE collections ADD COLUMN partner INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE partners("
	"  rowid INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	"  key BLOB NOT NULL UNIQUE, key_id BLOB NOT NULL UNIQUE, spki BLOB NOT NULL,"
	"  endpoint TEXT NOT NULL, inbox INTEGER NOT NULL REFERENCES collections(rowid),"
	"  active INTEGER NOT NULL, created_us INTEGER NOT NULL,"
	"  last_contact_us INTEGER NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '',"
	"  last_error_us INTEGER NOT NULL DEFAULT 0, retries INTEGER NOT NULL DEFAULT 0,"
	"  identity TEXT NOT NULL);"
	/* Same statement as the insert, so a partner never exists without its inbox marked. */
	"CREATE TRIGGER partners_inbox AFTER INSERT ON partners BEGIN"
	"  UPDATE collections SET partner = new.rowid WHERE rowid = new.inbox; END;"
	"CREATE TABLE shares("
	"  partner INTEGER NOT NULL REFERENCES partners(rowid),"
	"  coll INTEGER NOT NULL REFERENCES collections(rowid),"
	"  cursor_us INTEGER NOT NULL, PRIMARY KEY(partner, coll)) WITHOUT ROWID;"
	"CREATE TABLE envelopes("
	"  rowid INTEGER PRIMARY KEY, partner INTEGER NOT NULL REFERENCES partners(rowid),"
	"  dir INTEGER NOT NULL CHECK (dir IN (0, 1)), seq INTEGER NOT NULL,"
	"  id BLOB NOT NULL, kind INTEGER NOT NULL, items INTEGER NOT NULL,"
	"  created_us INTEGER NOT NULL, receipt_us INTEGER NOT NULL DEFAULT 0,"
	"  receipt BLOB, len INTEGER NOT NULL);"
	/*
	 * The bytes live in a table of their own: storing a receipt updates a
	 * small envelopes row instead of rewriting megabytes (SQLite writes a
	 * whole record again on UPDATE).
	 */
	"CREATE TABLE envelope_bytes(envelope INTEGER PRIMARY KEY, bytes BLOB NOT NULL);"
	/* UNIQUE(partner, dir, seq), named so that queries can insist on it */
	"CREATE UNIQUE INDEX envelopes_seq ON envelopes(partner, dir, seq);"
	/*
	 * Receipted envelopes leave this index, so the oldest envelope still
	 * waiting for a receipt is found in O(log n) however long the history.
	 */
	"CREATE INDEX envelopes_unreceipted ON envelopes(partner, dir, seq) WHERE receipt IS NULL;";

/*
 * Version 3: the witnessed ledger (docs/evidence.md). Entries and tree
 * hashes sit in two tables keyed by leaf index: proofs read only the narrow
 * tree rows, and both are appended at the right edge of their b-tree.
 * Envelopes of a version 2 store get their leaves when the daemon starts
 * (leaf NULL until then).
 */
static const char schema_v3[] =
	"ALTER TABLE envelopes ADD COLUMN leaf INTEGER;"
	"ALTER TABLE envelopes ADD COLUMN proof TEXT;"
	"CREATE UNIQUE INDEX envelopes_leaf ON envelopes(leaf) WHERE leaf IS NOT NULL;"
	"ALTER TABLE partners ADD COLUMN compromised_us INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE ledger_entries(idx INTEGER PRIMARY KEY, entry BLOB NOT NULL);"
	"CREATE TABLE ledger_tree(idx INTEGER PRIMARY KEY, hashes BLOB NOT NULL);"
	/* partner 0: this node's own signed checkpoints; else partners' ones this node cosigned */
	"CREATE TABLE checkpoints(partner INTEGER NOT NULL, size INTEGER NOT NULL,"
	"  root BLOB NOT NULL, time_us INTEGER NOT NULL, note TEXT NOT NULL,"
	"  PRIMARY KEY(partner, size));"
	"CREATE TABLE cosignatures(size INTEGER NOT NULL, partner INTEGER NOT NULL"
	"  REFERENCES partners(rowid), time_us INTEGER NOT NULL, line TEXT NOT NULL,"
	"  PRIMARY KEY(size, partner)) WITHOUT ROWID;"
	"CREATE INDEX cosignatures_partner ON cosignatures(partner, size);"
	"CREATE TABLE equivocations(rowid INTEGER PRIMARY KEY,"
	"  partner INTEGER NOT NULL REFERENCES partners(rowid), time_us INTEGER NOT NULL,"
	"  reason TEXT NOT NULL, note_a TEXT NOT NULL, note_b TEXT NOT NULL);"
	/* evidence is kept forever: the store refuses to forget it */
	"CREATE TRIGGER equivocations_keep BEFORE DELETE ON equivocations BEGIN"
	"  SELECT RAISE(ABORT, 'equivocation evidence is never deleted'); END;";

/*
 * Version 4: agreements (docs/agreements.md). Each partner row keeps the
 * hash of the agreement this node holds and the one the partner says it
 * holds; every refusal at the border is a row of policy_log.
 */
static const char schema_v4[] =
	"ALTER TABLE partners ADD COLUMN agreement BLOB;"
	"ALTER TABLE partners ADD COLUMN peer_agreement BLOB;"
	"CREATE TABLE policy_log(rowid INTEGER PRIMARY KEY, time_us INTEGER NOT NULL,"
	"  partner INTEGER NOT NULL REFERENCES partners(rowid), dir INTEGER NOT NULL,"
	"  object TEXT NOT NULL, version TEXT NOT NULL, rule TEXT NOT NULL, reason TEXT NOT NULL);"
	"CREATE INDEX policy_log_partner ON policy_log(partner, rowid);";

/*
 * Version 5: hotline cases (docs/hotline.md). A case row is what the fold
 * of its steps gives; every step (each side's, effective or not) is kept
 * with the exact bundle it travels in.
 */
static const char schema_v5[] =
	"CREATE TABLE cases(id TEXT PRIMARY KEY, partner INTEGER NOT NULL REFERENCES partners(rowid),"
	"  role INTEGER NOT NULL, kind INTEGER NOT NULL, state INTEGER NOT NULL,"
	"  opened_us INTEGER NOT NULL, receipt_us INTEGER NOT NULL, acked_us INTEGER NOT NULL,"
	"  updated_us INTEGER NOT NULL, ack_by INTEGER NOT NULL, respond_by INTEGER NOT NULL,"
	"  preserve_until INTEGER NOT NULL, remind_at INTEGER NOT NULL, level INTEGER NOT NULL,"
	"  reminded INTEGER NOT NULL, tlp INTEGER NOT NULL, next_check INTEGER NOT NULL,"
	"  summary TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX cases_time ON cases(opened_us, id);"
	"CREATE INDEX cases_partner ON cases(partner, role, opened_us, id);"
	"CREATE INDEX cases_state ON cases(state, level);"
	/* the escalation tick reads only what is due; overdue lists only what is late */
	"CREATE INDEX cases_check ON cases(next_check) WHERE next_check > 0;"
	"CREATE INDEX cases_ack ON cases(ack_by, state) WHERE state = 1 AND ack_by > 0;"
	"CREATE INDEX cases_respond ON cases(respond_by, state, ack_by) WHERE state IN (1, 2, 3) "
	"  AND respond_by > 0;"
	"CREATE TABLE case_steps(rowid INTEGER PRIMARY KEY, case_id TEXT NOT NULL,"
	"  partner INTEGER NOT NULL REFERENCES partners(rowid), dir INTEGER NOT NULL,"
	"  hash BLOB NOT NULL UNIQUE, prev BLOB NOT NULL, step INTEGER NOT NULL,"
	"  env_kind INTEGER NOT NULL, time_us INTEGER NOT NULL, recorded_us INTEGER NOT NULL,"
	"  status INTEGER NOT NULL, reason TEXT NOT NULL, env_seq INTEGER NOT NULL,"
	"  receipt_us INTEGER NOT NULL, body BLOB NOT NULL);"
	"CREATE INDEX case_steps_case ON case_steps(case_id, rowid);"
	"CREATE INDEX case_steps_queued ON case_steps(partner, rowid) WHERE env_seq = 0 AND dir = 0;"
	"CREATE INDEX case_steps_env ON case_steps(partner, dir, env_seq);";

/*
 * Version 6: objects by id move to their own file (sqlite_ids.c), which
 * names the store it indexes.
 */
static const char schema_v6[] =
	"DROP INDEX objects_id;"
	"INSERT INTO meta(key, value) VALUES ('store_id', lower(hex(randomblob(16))));";

/*
 * Version 7: status resources in a rowid table, found through a unique
 * index on their id. As a WITHOUT ROWID table keyed by a random uuid, each
 * insert compared its key against whole rows on the way down, and a row
 * (one success per object of a request: about 11 KB for 100) is mostly
 * overflow pages: the writer read about one page per stored object back
 * from disk at a million objects (decision 0011).
 */
static const char schema_v7[] =
	"CREATE TABLE status_v7(rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
	"  coll INTEGER NOT NULL, created_us INTEGER NOT NULL, body TEXT NOT NULL);"
	"INSERT INTO status_v7(id, coll, created_us, body)"
	"  SELECT id, coll, created_us, body FROM status ORDER BY created_us;"
	"DROP TABLE status;"
	"ALTER TABLE status_v7 RENAME TO status;";

/* migrations[v] takes a database from schema version v to v + 1. */
static const char *const migrations[SCHEMA_VERSION] = { schema_v1, schema_v2, schema_v3,
	schema_v4, schema_v5, schema_v6, schema_v7 };

int
sqlite_db_err(struct sqlite_store *s, struct err *err, const char *what)
{
	int rc = sqlite3_errcode(s->db);
	int code = rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? LSN_EBUSY :
		   rc == SQLITE_CONSTRAINT ? LSN_EEXIST : LSN_EIO;

	return err_set(err, code, "store: %s failed: %s", what, sqlite3_errmsg(s->db));
}

/* Write transactions committed by any connection of this process. */
static atomic_ulong sqlite_commits;

static int exec_one(struct sqlite_store *s, enum stmt_id id, struct err *err);

/* Ends a lingering read transaction (read_linger) nobody is inside. */
static void
linger_end(struct sqlite_store *s)
{
	s->rd_open = 0;
	s->rd_depth = 0;
	if (!sqlite3_get_autocommit(s->db))
		exec_one(s, ST_COMMIT, NULL);
}

static sqlite3_stmt *
stmt(struct sqlite_store *s, enum stmt_id id)
{
	sqlite3_stmt *st;

	/* A call outside read_begin/read_end reads the newest data, as without linger. */
	if (s->rd_open && s->rd_depth == 0)
		linger_end(s);
	st = s->st[id];

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

static int
exec_one(struct sqlite_store *s, enum stmt_id id, struct err *err)
{
	sqlite3_stmt *st = stmt(s, id);
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return sqlite_db_err(s, err, stmt_sql[id]);
	return 0;
}

static int
schema_version(sqlite3 *db)
{
	sqlite3_stmt *st;
	int v = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	return v;
}

static int
too_new(int v, struct err *err)
{
	return err_set(err, LSN_EINVAL,
	    "store: schema version %d is newer than this program (%d); upgrade liaison",
	    v, SCHEMA_VERSION);
}

/* Runs the migrations from version *v on; *v tells where one failed. */
static int
apply_migrations(sqlite3 *db, int *v, char **msg)
{
	char sql[64];

	for (; *v < SCHEMA_VERSION; (*v)++)
		if (sqlite3_exec(db, migrations[*v], NULL, NULL, msg) != SQLITE_OK)
			return -1;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", SCHEMA_VERSION);
	return sqlite3_exec(db, sql, NULL, NULL, msg) == SQLITE_OK ? 0 : -1;
}

/*
 * Brings the schema to SCHEMA_VERSION in one transaction: a crash leaves
 * the old version whole. The version is read again under the write lock,
 * as another connection may have migrated while this one waited for it.
 */
static int
migrate(struct sqlite_store *s, struct err *err)
{
	char *msg = NULL;
	int v = schema_version(s->db), r = 0;

	if (v > SCHEMA_VERSION)
		return too_new(v, err);
	if (v == SCHEMA_VERSION)
		return 0;
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK)
		goto out;
	v = schema_version(s->db);
	if (v > SCHEMA_VERSION)
		r = too_new(v, err);
	else if (apply_migrations(s->db, &v, &msg) == 0 &&
	    sqlite3_exec(s->db, "COMMIT", NULL, NULL, &msg) == SQLITE_OK)
		return 0;
out:
	if (r == 0)
		r = err_set(err, LSN_EIO, "store: bringing the schema from version %d to %d failed: %s",
		    v, SCHEMA_VERSION, msg ? msg : sqlite3_errmsg(s->db));
	sqlite3_free(msg);
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

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
	int i, r;

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
	if ((r = migrate(s, err)) < 0 || (r = ids_attach(s, path, err)) < 0) {
		sqlite_close(&s->base);
		return r;
	}
	for (i = 0; i < ST_MAX; i++) {
		if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		    &s->st[i], NULL) != SQLITE_OK) {
			r = sqlite_db_err(s, err, stmt_sql[i]);
			sqlite_close(&s->base);
			return r;
		}
	}
	*ret = &s->base;
	return 0;
}

static void
sqlite_close(struct store *base)
{
	struct sqlite_store *s = ss(base);
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < ST_MAX; i++)
		sqlite3_finalize(s->st[i]);
	for (i = 0; i < CACHE_SLOTS; i++) {
		sqlite3_finalize(s->cache[i].st);
		free(s->cache[i].sql);
	}
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

	if ((r = exec_one(s, ST_BEGIN, err)) < 0)
		return r;
	/* Another process may have written since; date_added must keep rising. */
	st = stmt(s, ST_OBJ_MAXDATE);
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

	if (s->rd_open) {
		if (s->rd_depth > 0 || gen == s->rd_gen) {
			s->rd_depth++;   /* nested, or a lingering snapshot still current */
			return 0;
		}
		linger_end(s);           /* this process committed since: a new snapshot */
	}
	if ((r = exec_one(s, ST_BEGIN_READ, err)) < 0)
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
	return exec_one(s, ST_COMMIT, NULL);
}

static void
sqlite_read_linger(struct store *base, int on)
{
	struct sqlite_store *s = ss(base);

	s->linger = on;
	if (!on && s->rd_open && s->rd_depth == 0)
		linger_end(s);
}

static void
sqlite_read_release(struct store *base)
{
	struct sqlite_store *s = ss(base);

	if (s->rd_open && s->rd_depth == 0)
		linger_end(s);
}

static int
sqlite_commit(struct store *base, struct err *err)
{
	struct sqlite_store *s = ss(base);
	int r = sqlite_ids_commit(s, err);

	if (r < 0 || (r = exec_one(s, ST_COMMIT, err)) < 0)
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
	return exec_one(s, ST_ROLLBACK, NULL);
}

static int
sqlite_savepoint(struct store *base, struct err *err)
{
	return exec_one(ss(base), ST_SAVEPOINT, err);
}

static int
sqlite_release(struct store *base, int keep, struct err *err)
{
	struct sqlite_store *s = ss(base);
	int r;

	if (!keep && (r = exec_one(s, ST_ROLLBACK_TO, err)) < 0)
		return r;
	if ((r = exec_one(s, ST_RELEASE, err)) < 0)
		return r;
	if (sqlite3_get_autocommit(s->db)) /* it was the outermost: a commit */
		atomic_fetch_add_explicit(&sqlite_commits, 1, memory_order_release);
	return 0;
}

static int
sqlite_meta_get(struct store *base, const char *key, char *out, size_t outcap, struct err *err)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st = stmt(s, ST_META_GET);
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
	sqlite3_stmt *st = stmt(s, ST_META_SET);

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		return sqlite_db_err(s, err, "writing meta");
	}
	sqlite3_reset(st);
	return 0;
}

static uint64_t
fnv1a(const char *p)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h;
}

/* The key of idx.objects_id: FNV-1a of the STIX id, as a signed 64-bit integer. */
static int64_t
id_hash(const char *stix_id)
{
	return (int64_t)fnv1a(stix_id);
}

/*
 * A prepared statement for sql, from the connection's cache when it was
 * prepared before (compiling SQL was half of a small GET's time). The
 * statement is the cache's: give it back with sqlite_unprep(), never
 * finalize it. One being stepped is neither handed out again nor evicted,
 * so a row callback may use the store while its query runs.
 */
int
sqlite_prep(struct sqlite_store *s, const char *sql, sqlite3_stmt **ret, struct err *err)
{
	uint64_t h = fnv1a(sql);
	struct cached_stmt *c;
	unsigned i;

	if (s->rd_open && s->rd_depth == 0)
		linger_end(s);   /* as in stmt(): outside read_begin, the newest data */

	for (i = 0; i < CACHE_SLOTS; i++) {
		c = &s->cache[i];
		if (c->st != NULL && c->hash == h && strcmp(c->sql, sql) == 0 &&
		    !sqlite3_stmt_busy(c->st)) {
			*ret = c->st;
			return 0;
		}
	}
	/* A busy statement is being stepped further up the stack: not a victim. */
	for (i = 0; i < CACHE_SLOTS; i++) {
		c = &s->cache[s->cache_next++ % CACHE_SLOTS];
		if (c->st == NULL || !sqlite3_stmt_busy(c->st))
			break;
	}
	if (i == CACHE_SLOTS)
		return err_set(err, LSN_EBUSY, "store: every cached statement is in use");
	sqlite3_finalize(c->st);
	free(c->sql);
	c->st = NULL;
	c->sql = strdup(sql);
	if (c->sql == NULL)
		return err_set(err, LSN_ENOMEM, "store: out of memory");
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->st, NULL) != SQLITE_OK) {
		free(c->sql);
		c->sql = NULL;
		c->st = NULL;
		return sqlite_db_err(s, err, sql);
	}
	c->hash = h;
	*ret = c->st;
	return 0;
}

void
sqlite_unprep(sqlite3_stmt *st)
{
	if (st != NULL) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
}

void
sqlite_copy_text(char *dst, size_t cap, sqlite3_stmt *st, int col)
{
	const char *v = (const char *)sqlite3_column_text(st, col);

	snprintf(dst, cap, "%s", v ? v : "");
}

/*
 * Steps st to the end, appending one element of elsize bytes per row, filled
 * by fill(); the array is the caller's (free()).
 */
int
sqlite_collect(struct sqlite_store *s, sqlite3_stmt *st, size_t elsize,
    void (*fill)(sqlite3_stmt *st, void *el), void **ret, size_t *ret_n, const char *what,
    struct err *err)
{
	char *v = NULL, *nv;
	size_t n = 0;
	int rc, r = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		nv = realloc(v, (n + 1) * elsize);
		if (nv == NULL) {
			r = err_set(err, LSN_ENOMEM, "store: out of memory");
			break;
		}
		v = nv;
		fill(st, v + n * elsize);
		n++;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = sqlite_db_err(s, err, what);
	sqlite_unprep(st);
	if (r < 0) {
		free(v);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static void
row_collection(sqlite3_stmt *st, struct store_collection *c)
{
	c->rowid = sqlite3_column_int64(st, 0);
	sqlite_copy_text(c->id, sizeof(c->id), st, 1);
	sqlite_copy_text(c->title, sizeof(c->title), st, 2);
	sqlite_copy_text(c->description, sizeof(c->description), st, 3);
	c->created_us = sqlite3_column_int64(st, 4);
	c->partner = sqlite3_column_int64(st, 5);
}

static int
sqlite_coll_add(struct store *base, struct store_collection *c, struct err *err)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int r;

	if ((r = sqlite_prep(s, "INSERT INTO collections(id, title, description, created_us, "
	    "partner) VALUES (?1, ?2, ?3, ?4, ?5)", &st, err)) < 0)
		return r;
	c->created_us = clock_now_us();
	sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c->description, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, c->created_us);
	sqlite3_bind_int64(st, 5, c->partner);
	if (sqlite3_step(st) != SQLITE_DONE) {
		if (sqlite3_errcode(s->db) == SQLITE_CONSTRAINT)
			r = err_set(err, LSN_EEXIST,
			    "a collection with id %s or title '%s' already exists", c->id, c->title);
		else
			r = sqlite_db_err(s, err, "adding a collection");
	} else {
		c->rowid = sqlite3_last_insert_rowid(s->db);
	}
	sqlite_unprep(st);
	return r;
}

static int
sqlite_coll_find(struct store *base, const char *key, struct store_collection *ret, struct err *err)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int r, rc;

	if ((r = sqlite_prep(s, "SELECT rowid, id, title, description, created_us, partner FROM collections "
	    "WHERE id = ?1 OR title = ?1 ORDER BY id = ?1 DESC LIMIT 1", &st, err)) < 0)
		return r;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		row_collection(st, ret);
	else if (rc == SQLITE_DONE)
		r = err_set(err, LSN_ENOTFOUND, "no collection has the id or title '%s'", key);
	else
		r = sqlite_db_err(s, err, "finding a collection");
	sqlite_unprep(st);
	return r;
}

static void
fill_collection(sqlite3_stmt *st, void *el)
{
	row_collection(st, el);
}

static int
sqlite_coll_list(struct store *base, struct store_collection **ret, size_t *ret_n, struct err *err)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int r;

	if ((r = sqlite_prep(s, "SELECT rowid, id, title, description, created_us, partner FROM collections "
	    "ORDER BY rowid", &st, err)) < 0)
		return r;
	return sqlite_collect(s, st, sizeof(**ret), fill_collection, (void **)ret, ret_n,
	    "listing collections", err);
}

/* Compares a stored body with a new one as JSON values (key order, spacing). */
static int
same_json(struct sqlite_store *s, int64_t date_added, const char *body, size_t len)
{
	sqlite3_stmt *st = stmt(s, ST_OBJ_BODY);
	json_t *a = NULL, *b = NULL;
	int same = 0;

	sqlite3_bind_int64(st, 1, date_added);
	if (sqlite3_step(st) == SQLITE_ROW) {
		a = json_loadb(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), 0, NULL);
		b = json_loadb(body, len, 0, NULL);
		same = a != NULL && b != NULL && json_equal(a, b);
	}
	sqlite3_reset(st);
	json_decref(a);
	json_decref(b);
	return same;
}

static int
clear_flag(struct sqlite_store *s, enum stmt_id id, int64_t coll, const char *stix_id,
    int64_t idh, struct err *err)
{
	sqlite3_stmt *st = stmt(s, id);
	int rc;

	sqlite3_bind_int64(st, 1, coll);
	sqlite3_bind_text(st, 2, stix_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, idh);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sqlite_db_err(s, err, "updating version flags");
}

/*
 * One version: duplicate check, first/last flags, insert. Versions are
 * ordered by version_key (modified, else created); the flags let the default
 * match[version]=last query use a partial index instead of a GROUP BY.
 */
static int
add_one(struct sqlite_store *s, int64_t coll, const struct store_obj_in *in,
    struct store_obj_result *res, struct err *err)
{
	const struct stix_meta *m = in->meta;
	char mn[TS_KEY_LEN] = "", mx[TS_KEY_LEN] = "";
	uint8_t hash[CX_SHA256_LEN];
	sqlite3_stmt *st;
	int is_first = 1, is_last = 1, existing = 0, rc;
	int64_t idh = id_hash(m->id);

	cx_sha256(in->body, in->len, hash);
	/* One probe of the (coll, stix_id, version_key) index answers the common case: new. */
	st = stmt(s, ST_OBJ_MINMAX);
	sqlite3_bind_int64(st, 1, coll);
	sqlite3_bind_text(st, 2, m->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, idh);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		existing = 1;
		snprintf(mn, sizeof(mn), "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(mx, sizeof(mx), "%s", (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_reset(st);
	if (existing && strcmp(m->version_key, mn) >= 0 && strcmp(m->version_key, mx) <= 0) {
		st = stmt(s, ST_OBJ_EXACT);
		sqlite3_bind_int64(st, 1, coll);
		sqlite3_bind_text(st, 2, m->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, m->version_key, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, idh);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			int64_t da = sqlite3_column_int64(st, 0);
			int same = sqlite3_column_bytes(st, 1) == CX_SHA256_LEN &&
				   memcmp(sqlite3_column_blob(st, 1), hash, CX_SHA256_LEN) == 0;
			sqlite3_reset(st);
			res->date_added_us = da;
			res->outcome = same || same_json(s, da, in->body, in->len) ?
			    STORE_DUPLICATE : STORE_CONFLICT;
			return 0;
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return sqlite_db_err(s, err, "looking up an object version");
	}
	if (existing) {
		is_first = strcmp(m->version_key, mn) < 0;
		is_last = strcmp(m->version_key, mx) > 0;
	}
	if (existing && is_last && (rc = clear_flag(s, ST_OBJ_CLEAR_LAST, coll, m->id, idh, err)) < 0)
		return rc;
	if (existing && is_first && (rc = clear_flag(s, ST_OBJ_CLEAR_FIRST, coll, m->id, idh, err)) < 0)
		return rc;

	/* Strictly increasing per stored version: clients page with added_after. */
	int64_t now = clock_now_us();
	s->last_date_added = now > s->last_date_added ? now : s->last_date_added + 1;
	st = stmt(s, ST_OBJ_INSERT);
	sqlite3_bind_int64(st, 1, s->last_date_added);
	sqlite3_bind_int64(st, 2, coll);
	sqlite3_bind_text(st, 3, m->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, m->type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, m->version, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, m->version_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, m->spec_version, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 8, is_first);
	sqlite3_bind_int(st, 9, is_last);
	sqlite3_bind_int(st, 10, (int)m->tlp);
	sqlite3_bind_blob(st, 11, hash, CX_SHA256_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 12, in->body, (int)in->len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 13, idh);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sqlite_db_err(s, err, "inserting an object");
	st = stmt(s, ST_IDS_INSERT);
	sqlite3_bind_int64(st, 1, coll);
	sqlite3_bind_int64(st, 2, idh);
	sqlite3_bind_int64(st, 3, s->last_date_added);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sqlite_db_err(s, err, "indexing an object by id");
	s->ids_dirty = 1;
	res->outcome = STORE_ADDED;
	res->date_added_us = s->last_date_added;
	return 0;
}

static int
sqlite_objects_add(struct store *base, int64_t coll, const struct store_obj_in *in, size_t n,
    struct store_obj_result *res, struct err *err)
{
	struct sqlite_store *s = ss(base);
	size_t i;
	int r;

	for (i = 0; i < n; i++)
		if ((r = add_one(s, coll, &in[i], &res[i], err)) < 0)
			return r;
	return 0;
}

/* "?,?,?" for an IN list, binding from *pi. */
static int
add_in(struct buf *sql, const char *col, size_t n, int *pi)
{
	size_t i;
	int r = buf_printf(sql, " AND %s IN (", col);

	for (i = 0; r == 0 && i < n; i++)
		r = buf_printf(sql, "%s?%d", i ? "," : "", (*pi)++);
	return r < 0 ? r : buf_addc(sql, ')');
}

static int
version_clause(struct buf *sql, const struct store_query *q, int *pi)
{
	const char *sep = "";
	size_t i;
	int r = 0;

	if (q->ver_flags & STORE_VER_ALL)
		return 0;
	if (q->ver_flags == 0 && q->n_vkeys == 0)
		return buf_adds(sql, " AND is_last = 1");
	r = buf_adds(sql, " AND (");
	if (r == 0 && (q->ver_flags & STORE_VER_LAST)) {
		r = buf_adds(sql, "is_last = 1");
		sep = " OR ";
	}
	if (r == 0 && (q->ver_flags & STORE_VER_FIRST)) {
		r = buf_printf(sql, "%sis_first = 1", sep);
		sep = " OR ";
	}
	if (r == 0 && q->n_vkeys > 0) {
		r = buf_printf(sql, "%sversion_key IN (", sep);
		for (i = 0; r == 0 && i < q->n_vkeys; i++)
			r = buf_printf(sql, "%s?%d", i ? "," : "", (*pi)++);
		if (r == 0)
			r = buf_addc(sql, ')');
	}
	return r < 0 ? r : buf_addc(sql, ')');
}

static int
build_query(const struct store_query *q, int with_body, struct buf *sql)
{
	int pi = 4, r;

	/*
	 * Pick the index instead of trusting the planner without statistics:
	 * ids are few, so find their rows in idx.objects_id and read each by
	 * its date_added (NOT INDEXED: the table's own key, in order); one type
	 * is read in date order from its own index; otherwise walk date order
	 * (the partial index of last versions by default) and filter.
	 */
	const char *idx = q->n_ids ? " NOT INDEXED" :
			  q->n_types == 1 ? " INDEXED BY objects_type" : "";

	r = buf_printf(sql, "SELECT stix_id, type, version, spec_version, date_added%s "
	    "FROM objects%s WHERE coll = ?1 AND date_added > ?2", with_body ? ", body" : "", idx);
	if (r == 0 && q->n_ids) {
		r = buf_adds(sql, " AND date_added IN (SELECT date_added FROM idx.objects_id "
		    "WHERE coll = ?1");
		if (r == 0)
			r = add_in(sql, "id_hash", q->n_ids, &pi);
		if (r == 0)
			r = buf_addc(sql, ')');
	}
	if (r == 0 && q->n_ids)
		r = add_in(sql, "stix_id", q->n_ids, &pi);
	if (r == 0 && q->n_types)
		r = add_in(sql, "type", q->n_types, &pi);
	if (r == 0)
		r = version_clause(sql, q, &pi);
	if (r == 0 && q->n_spec_versions)
		r = add_in(sql, "spec_version", q->n_spec_versions, &pi);
	if (r == 0)
		r = buf_adds(sql, " ORDER BY date_added LIMIT ?3");
	return r;
}

static void
bind_list(sqlite3_stmt *st, const char *const *v, size_t n, int *pi)
{
	size_t i;

	for (i = 0; i < n; i++)
		sqlite3_bind_text(st, (*pi)++, v[i], -1, SQLITE_STATIC);
}

static int
sqlite_objects_query(struct store *base, const struct store_query *q, int with_body,
    store_row_fn fn, void *arg, int *ret_more, struct err *err)
{
	struct sqlite_store *s = ss(base);
	struct buf sql = BUF_INIT(64 * 1024);
	sqlite3_stmt *st = NULL;
	size_t rows = 0, i;
	int r, rc, pi = 4;

	if ((r = build_query(q, with_body, &sql)) < 0) {
		r = err_set(err, LSN_ETOOBIG, "store: query too large");
		goto out;
	}
	if ((r = sqlite_prep(s, sql.data, &st, err)) < 0)
		goto out;
	sqlite3_bind_int64(st, 1, q->coll);
	sqlite3_bind_int64(st, 2, q->after_us);
	sqlite3_bind_int64(st, 3, (int64_t)q->limit + 1);
	for (i = 0; i < q->n_ids; i++)
		sqlite3_bind_int64(st, pi++, id_hash(q->ids[i]));
	bind_list(st, q->ids, q->n_ids, &pi);
	bind_list(st, q->types, q->n_types, &pi);
	if (!(q->ver_flags & STORE_VER_ALL))
		bind_list(st, q->vkeys, q->n_vkeys, &pi);
	bind_list(st, q->spec_versions, q->n_spec_versions, &pi);
	*ret_more = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_row row;

		if (rows == q->limit) {
			*ret_more = 1;
			break;
		}
		row.id = (const char *)sqlite3_column_text(st, 0);
		row.type = (const char *)sqlite3_column_text(st, 1);
		row.version = (const char *)sqlite3_column_text(st, 2);
		row.spec_version = (const char *)sqlite3_column_text(st, 3);
		row.date_added_us = sqlite3_column_int64(st, 4);
		row.body = with_body ? sqlite3_column_blob(st, 5) : NULL;
		row.len = with_body ? (size_t)sqlite3_column_bytes(st, 5) : 0;
		rows++;
		if ((r = fn(arg, &row)) < 0)
			goto out;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = sqlite_db_err(s, err, "reading objects");
out:
	sqlite_unprep(st);
	buf_release(&sql);
	return r;
}

/* After deleting versions of one object: its entries in idx whose row is gone go too. */
static int
drop_ids(struct sqlite_store *s, int64_t coll, const char *id, struct err *err)
{
	static const char sql[] =
		"DELETE FROM idx.objects_id WHERE coll = ?1 AND id_hash = ?2"
		" AND date_added NOT IN (SELECT date_added FROM objects NOT INDEXED WHERE "
		IDS_ROWS("?1", "?2") ")";
	sqlite3_stmt *st;
	int r;

	if ((r = sqlite_prep(s, sql, &st, err)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, coll);
	sqlite3_bind_int64(st, 2, id_hash(id));
	if (sqlite3_step(st) != SQLITE_DONE)
		r = sqlite_db_err(s, err, "dropping deleted objects from the id index");
	sqlite_unprep(st);
	s->ids_dirty = 1;
	return r;
}

/* After deleting versions of one object, the first and last flags are re-derived. */
static int
refresh_flags(struct sqlite_store *s, int64_t coll, const char *id, struct err *err)
{
	static const char sql[] =
		"UPDATE objects NOT INDEXED SET "
		" is_first = (version_key = (SELECT min(version_key) FROM objects NOT INDEXED"
		"   WHERE " IDS_ROWS("?1", "?3") " AND coll = ?1 AND stix_id = ?2)),"
		" is_last = (version_key = (SELECT max(version_key) FROM objects NOT INDEXED"
		"   WHERE " IDS_ROWS("?1", "?3") " AND coll = ?1 AND stix_id = ?2))"
		" WHERE " IDS_ROWS("?1", "?3") " AND coll = ?1 AND stix_id = ?2";
	sqlite3_stmt *st;
	int r;

	if ((r = sqlite_prep(s, sql, &st, err)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, coll);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, id_hash(id));
	if (sqlite3_step(st) != SQLITE_DONE)
		r = sqlite_db_err(s, err, "refreshing version flags");
	sqlite_unprep(st);
	return r;
}

static int
sqlite_objects_delete(struct store *base, int64_t coll, const char *id, unsigned ver_flags,
    const char *const *vkeys, size_t n_vkeys, const char *const *spec, size_t n_spec,
    size_t *ret_deleted, struct err *err)
{
	struct sqlite_store *s = ss(base);
	struct store_query q = { .coll = coll, .ver_flags = ver_flags, .n_vkeys = n_vkeys,
				 .n_spec_versions = n_spec };
	struct buf sql = BUF_INIT(64 * 1024);
	sqlite3_stmt *st = NULL;
	int r, pi = 4;

	if (n_vkeys > STORE_LIST_MAX || n_spec > STORE_LIST_MAX)
		return err_set(err, LSN_ETOOBIG, "store: more than %d versions in one delete",
		    STORE_LIST_MAX);
	if (n_vkeys > 0)
		memcpy(q.vkeys, vkeys, n_vkeys * sizeof(*vkeys));
	if (n_spec > 0)
		memcpy(q.spec_versions, spec, n_spec * sizeof(*spec));
	r = buf_adds(&sql, "DELETE FROM objects NOT INDEXED WHERE " IDS_ROWS("?1", "?3")
	    " AND coll = ?1 AND stix_id = ?2");
	if (r == 0)
		r = version_clause(&sql, &q, &pi);
	if (r == 0 && n_spec)
		r = add_in(&sql, "spec_version", n_spec, &pi);
	if (r < 0) {
		r = err_set(err, LSN_ETOOBIG, "store: query too large");
		goto out;
	}
	if ((r = sqlite_prep(s, sql.data, &st, err)) < 0)
		goto out;
	sqlite3_bind_int64(st, 1, coll);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, id_hash(id));
	pi = 4;
	if (!(ver_flags & STORE_VER_ALL))
		bind_list(st, vkeys, n_vkeys, &pi);
	bind_list(st, spec, n_spec, &pi);
	if (sqlite3_step(st) != SQLITE_DONE) {
		r = sqlite_db_err(s, err, "deleting an object");
		goto out;
	}
	*ret_deleted = (size_t)sqlite3_changes(s->db);
	/* Given back first: refresh_flags' sqlite_prep may evict (finalize) st. */
	sqlite_unprep(st);
	st = NULL;
	if (*ret_deleted > 0 && (r = drop_ids(s, coll, id, err)) == 0)
		r = refresh_flags(s, coll, id, err);
out:
	sqlite_unprep(st);
	buf_release(&sql);
	return r;
}

static int
sqlite_objects_count(struct store *base, int64_t coll, int64_t *ret, struct err *err)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int r;

	if ((r = sqlite_prep(s, coll > 0 ? "SELECT count(*) FROM objects WHERE coll = ?1" :
	    "SELECT count(*) FROM objects", &st, err)) < 0)
		return r;
	if (coll > 0)
		sqlite3_bind_int64(st, 1, coll);
	if (sqlite3_step(st) == SQLITE_ROW)
		*ret = sqlite3_column_int64(st, 0);
	else
		r = sqlite_db_err(s, err, "counting objects");
	sqlite_unprep(st);
	return r;
}

static int
sqlite_status_put(struct store *base, const char *id, int64_t coll, const char *json,
    size_t len, struct err *err)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int r;

	if ((r = sqlite_prep(s, "INSERT OR REPLACE INTO status(id, coll, created_us, body) "
	    "VALUES (?1, ?2, ?3, ?4)", &st, err)) < 0)
		return r;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, coll);
	sqlite3_bind_int64(st, 3, clock_now_us());
	sqlite3_bind_text(st, 4, json, (int)len, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = sqlite_db_err(s, err, "storing a status");
	sqlite_unprep(st);
	return r;
}

static int
sqlite_status_get(struct store *base, const char *id, char **ret_json, size_t *ret_len,
    int64_t *ret_coll, struct err *err)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int r, rc;

	if ((r = sqlite_prep(s, "SELECT body, coll FROM status WHERE id = ?1", &st, err)) < 0)
		return r;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		char *p = malloc(n + 1);
		if (p == NULL) {
			r = err_set(err, LSN_ENOMEM, "store: out of memory");
		} else {
			memcpy(p, sqlite3_column_text(st, 0), n);
			p[n] = '\0';
			*ret_json = p;
			*ret_len = n;
			*ret_coll = sqlite3_column_int64(st, 1);
		}
	} else if (rc == SQLITE_DONE) {
		r = err_set(err, LSN_ENOTFOUND, "no status resource has the id '%s'", id);
	} else {
		r = sqlite_db_err(s, err, "reading a status");
	}
	sqlite_unprep(st);
	return r;
}

static void
row_user(sqlite3_stmt *st, struct store_user *u)
{
	u->rowid = sqlite3_column_int64(st, 0);
	sqlite_copy_text(u->name, sizeof(u->name), st, 1);
	sqlite_copy_text(u->pwhash, sizeof(u->pwhash), st, 2);
	u->admin = sqlite3_column_int(st, 3);
}

static int
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
	sqlite_unprep(st);
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
	sqlite_unprep(st);
	return r;
}

static int
sqlite_user_find(struct store *base, const char *name, struct store_user *ret, struct err *err)
{
	return user_by(ss(base), "SELECT rowid, name, pwhash, admin FROM users WHERE name = ?1",
	    name, 0, ret, err);
}

static int
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

static int
sqlite_user_list(struct store *base, struct store_user **ret, size_t *ret_n, struct err *err)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st;
	int r;

	if ((r = sqlite_prep(s, "SELECT rowid, name, pwhash, admin FROM users ORDER BY name", &st, err)) < 0)
		return r;
	return sqlite_collect(s, st, sizeof(**ret), fill_user, (void **)ret, ret_n, "listing users", err);
}

static int
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
	sqlite_unprep(st);
	return r;
}

static int
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
	sqlite_unprep(st);
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

static int
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

static int
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
	sqlite_unprep(st);
	return r;
}

static int
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
	sqlite_unprep(st);
	return r;
}

/* PRAGMA data_version also starts the read transaction, so it is current. */
static int
sqlite_data_version(struct store *base, int64_t *ret, struct err *err)
{
	struct sqlite_store *s = ss(base);
	sqlite3_stmt *st = stmt(s, ST_DATA_VERSION);
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
