/*
 * Objects by id: the index (coll, id_hash, date_added) lives in a database
 * file of its own, `<store>-ids`, attached to every connection as `idx`
 * (decision 0009).
 *
 * STIX ids are random, so each new object lands on a random page of this
 * index. In the store's own file, that page was written to the WAL and
 * synced with every commit: at a million objects, four fifths of what each
 * commit wrote and waited for. Here the index is derived data. Its file
 * commits with `synchronous = NORMAL`: its WAL is written but not synced
 * at each commit, so a commit waits only for the objects themselves, and
 * a power cut can take the last commits of the index but never leave it
 * corrupt (its WAL is checksummed). What a cut took is rebuilt from the
 * objects when the store opens:
 *   - ids_meta.upto: every object with date_added <= upto has its entry.
 *     Each commit that wrote objects sets it, in the same transaction as
 *     the entries; SQLite commits the store's file first, so after a crash
 *     the index can only be behind the objects.
 *   - At open, the objects after upto are indexed again.
 *   - An index that belongs to another store (a store.db put back from a
 *     backup, a copied home) or is ahead of the objects is rebuilt whole;
 *     so is a missing one.
 * Entries whose object is gone (a deletion the cut took back) are harmless:
 * every lookup joins the object row and compares its stix_id.
 */
#include "store/sqlite_int.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>

/* Small pages: a random insert dirties 1 KiB instead of 4 (measured in decision 0009). */
#define IDS_PAGE_SIZE 1024
/*
 * Page caches, per connection: about 40% of the index of a million objects
 * (28 MB), so a lookup by id or a new object's duplicate check reads about
 * one page from the kernel. Larger caches measured no faster and broke the
 * daemon's 64 MiB (decision 0009).
 */
#define IDS_CACHE_KIB 12288

static const char ids_schema[] =
	"CREATE TABLE IF NOT EXISTS idx.objects_id(coll INTEGER NOT NULL, id_hash INTEGER NOT NULL,"
	"  date_added INTEGER NOT NULL, PRIMARY KEY(coll, id_hash, date_added)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS idx.ids_meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
	"INSERT OR IGNORE INTO idx.ids_meta VALUES ('store', ''), ('upto', 0);";

/*
 * Where the index stands against the objects: *start_over if it belongs to
 * another store or goes past the objects; *upto and *newest the date_added
 * it covers and the last object's. -1 if its tables do not exist yet.
 */
static int
ids_state(sqlite3 *db, int *start_over, int64_t *upto, int64_t *newest)
{
	static const char sql[] =
		"SELECT (SELECT value FROM main.meta WHERE key = 'store_id')"
		"   IS NOT (SELECT value FROM idx.ids_meta WHERE key = 'store'),"
		" (SELECT value FROM idx.ids_meta WHERE key = 'upto'),"
		" (SELECT coalesce(max(date_added), 0) FROM main.objects)";
	sqlite3_stmt *st;
	int r = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 1) == SQLITE_INTEGER) {
		*upto = sqlite3_column_int64(st, 1);
		*newest = sqlite3_column_int64(st, 2);
		*start_over = sqlite3_column_int(st, 0) || *upto > *newest;
		r = 0;
	}
	sqlite3_finalize(st);
	return r;
}

/* Another store's index, or one ahead of the objects: empty it, and name this store. */
static const char ids_start_over[] =
	"DELETE FROM idx.objects_id;"
	"UPDATE idx.ids_meta SET value = 0 WHERE key = 'upto';"
	"UPDATE idx.ids_meta SET value = (SELECT value FROM main.meta WHERE key = 'store_id')"
	"  WHERE key = 'store';";

/* The objects after upto, sorted so each page of the index is written once; then the mark. */
static const char ids_catch_up[] =
	"INSERT OR IGNORE INTO idx.objects_id"
	"  SELECT coll, id_hash, date_added FROM main.objects"
	"  WHERE date_added > (SELECT value FROM idx.ids_meta WHERE key = 'upto')"
	"  ORDER BY coll, id_hash, date_added;"
	"UPDATE idx.ids_meta SET value = (SELECT coalesce(max(date_added), 0) FROM main.objects)"
	"  WHERE key = 'upto';";

/* Under the write lock: the state read again, as another connection may have caught up. */
static int
ids_level(sqlite3 *db, char **msg)
{
	int64_t upto, newest;
	int start_over;

	if (sqlite3_exec(db, ids_schema, NULL, NULL, msg) != SQLITE_OK ||
	    ids_state(db, &start_over, &upto, &newest) < 0)
		return -1;
	if (start_over && sqlite3_exec(db, ids_start_over, NULL, NULL, msg) != SQLITE_OK)
		return -1;
	if ((start_over || upto < newest) &&
	    sqlite3_exec(db, ids_catch_up, NULL, NULL, msg) != SQLITE_OK)
		return -1;
	return 0;
}

int
sqlite_ids_open(struct sqlite_store *s, const char *path, struct err *err)
{
	char *msg = NULL, *sql;
	int64_t upto, newest;
	int rc, start_over;

	sql = sqlite3_mprintf("ATTACH %Q AS idx;"
	    "PRAGMA idx.page_size = %d; PRAGMA idx.journal_mode = WAL;"
	    "PRAGMA idx.synchronous = NORMAL; PRAGMA idx.cache_size = -%d;",
	    path, IDS_PAGE_SIZE, IDS_CACHE_KIB);
	if (sql == NULL)
		return err_set(err, LSN_ENOMEM, "store: out of memory");
	rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
	sqlite3_free(sql);
	if (rc != SQLITE_OK)
		goto fail;
	if (ids_state(s->db, &start_over, &upto, &newest) == 0 && !start_over && upto == newest)
		return 0;
	/* The sort of a whole rebuild spills to a temporary file rather than memory. */
	rc = sqlite3_exec(s->db, "PRAGMA temp_store = FILE", NULL, NULL, &msg);
	if (rc == SQLITE_OK && (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
	    ids_level(s->db, &msg) < 0 ||
	    sqlite3_exec(s->db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK)) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		rc = SQLITE_ERROR;
	}
	sqlite3_exec(s->db, "PRAGMA temp_store = MEMORY", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	return 0;
fail:
	err_set(err, LSN_EIO, "store: opening the id index %s failed: %s", path,
	    msg ? msg : sqlite3_errmsg(s->db));
	sqlite3_free(msg);
	return -LSN_EIO;
}

int
sqlite_ids_commit(struct sqlite_store *s, struct err *err)
{
	static const char sql[] =
		"UPDATE idx.ids_meta SET value = (SELECT coalesce(max(date_added), 0) FROM main.objects)"
		" WHERE key = 'upto'";

	if (!s->ids_dirty)
		return 0;
	s->ids_dirty = 0;
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sqlite_db_err(s, err, "recording how far the id index goes");
	return 0;
}
