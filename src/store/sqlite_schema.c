/*
 * The SQLite store's schema: every version as it was released, and the
 * migrations that bring an older file to the current one in a single
 * transaction. Must never change a released version's text (migrations
 * replay it) nor touch a file newer than this program.
 */
#include "store/sqlite_int.h"
#include "util/err.h"

#include <sqlite3.h>
#include <stdio.h>

#define SCHEMA_VERSION 8

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

/*
 * Version 8 (the dashboard, docs/dashboard.md): when the partner's TLS
 * certificate expires, as last seen in a handshake; the policy log by
 * time, so the border page counts a day or a week of refusals from an
 * index that covers the count; and each case's nearest deadline
 * (store_case_deadline), so the hotline pages its open cases in that order.
 */
static const char schema_v8[] =
	"ALTER TABLE partners ADD COLUMN cert_not_after INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX policy_log_time ON policy_log(time_us, partner, dir, rule);"
	"ALTER TABLE cases ADD COLUMN due_us INTEGER GENERATED ALWAYS AS (CASE WHEN acked_us = 0 AND ack_by > 0 THEN ack_by WHEN respond_by > 0 THEN respond_by WHEN preserve_until > 0 THEN preserve_until ELSE 9223372036854775807 END) VIRTUAL;"
	"CREATE INDEX cases_due ON cases(due_us, id) WHERE state < 6;";

/* migrations[v] takes a database from schema version v to v + 1. */
static const char *const migrations[SCHEMA_VERSION] = { schema_v1, schema_v2, schema_v3,
	schema_v4, schema_v5, schema_v6, schema_v7, schema_v8 };
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
int
sqlite_schema_migrate(struct sqlite_store *s, struct err *err)
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
