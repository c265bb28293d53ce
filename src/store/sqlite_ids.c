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

/* Where the index stands against the objects; 0 if nothing is to be done. */
static int
ids_behind(sqlite3 *db)
{
	static const char sql[] =
		"SELECT (SELECT value FROM main.meta WHERE key = 'store_id')"
		"   IS NOT (SELECT value FROM idx.ids_meta WHERE key = 'store'),"
		" (SELECT value FROM idx.ids_meta WHERE key = 'upto'),"
		" (SELECT coalesce(max(date_added), 0) FROM main.objects)";
	sqlite3_stmt *st;
	int behind = 1;

	/* the tables may not exist yet: then everything is to be done */
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return 1;
	if (sqlite3_step(st) == SQLITE_ROW)
		behind = sqlite3_column_int(st, 0) || sqlite3_column_type(st, 1) != SQLITE_INTEGER ||
			 sqlite3_column_int64(st, 1) != sqlite3_column_int64(st, 2);
	sqlite3_finalize(st);
	return behind;
}

/* Under the write lock: rebuild or catch up, then record how far the index goes. */
static const char ids_catch_up[] =
	/* another store's index, or one ahead of the objects: start again */
	"DELETE FROM idx.objects_id WHERE"
	"  (SELECT value FROM main.meta WHERE key = 'store_id')"
	"    IS NOT (SELECT value FROM idx.ids_meta WHERE key = 'store')"
	"  OR (SELECT value FROM idx.ids_meta WHERE key = 'upto')"
	"    > (SELECT coalesce(max(date_added), 0) FROM main.objects);"
	"UPDATE idx.ids_meta SET value = 0 WHERE key = 'upto' AND"
	"  ((SELECT value FROM main.meta WHERE key = 'store_id')"
	"    IS NOT (SELECT value FROM idx.ids_meta WHERE key = 'store')"
	"  OR value > (SELECT coalesce(max(date_added), 0) FROM main.objects));"
	"UPDATE idx.ids_meta SET value = (SELECT value FROM main.meta WHERE key = 'store_id')"
	"  WHERE key = 'store';"
	/* sorted, so each page of the index is written once */
	"INSERT OR IGNORE INTO idx.objects_id"
	"  SELECT coll, id_hash, date_added FROM main.objects"
	"  WHERE date_added > (SELECT value FROM idx.ids_meta WHERE key = 'upto')"
	"  ORDER BY coll, id_hash, date_added;"
	"UPDATE idx.ids_meta SET value = (SELECT coalesce(max(date_added), 0) FROM main.objects)"
	"  WHERE key = 'upto';";

int
sqlite_ids_open(struct sqlite_store *s, const char *path, struct err *err)
{
	char *msg = NULL, *sql;
	int rc;

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
	if (!ids_behind(s->db))
		return 0;
	/*
	 * Read again under the lock: another connection may have caught up
	 * meanwhile. The sort of a whole rebuild spills to a temporary file
	 * rather than holding every entry in memory.
	 */
	rc = sqlite3_exec(s->db, "PRAGMA temp_store = FILE", NULL, NULL, &msg);
	if (rc == SQLITE_OK && (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(s->db, ids_schema, NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(s->db, ids_catch_up, NULL, NULL, &msg) != SQLITE_OK ||
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
