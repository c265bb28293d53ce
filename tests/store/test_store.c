/* The store interface, against the SQLite backend: versions, filters, keyset pages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "scratch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ids_file.h"
#include "store/store.h"
#include "store/writer.h"
#include "util/err.h"
#include "util/ts.h"

struct fx {
	char dir[SCRATCH_DIR_MAX];
	char path[SCRATCH_PATH_MAX];
	struct store *s;
	struct store_collection coll;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct err err = ERR_INIT;

	scratch_store_open("store", f->dir, f->path, &f->s);
	snprintf(f->coll.id, sizeof(f->coll.id), "11111111-2222-4333-8444-555555555555");
	snprintf(f->coll.title, sizeof(f->coll.title), "shared");
	assert_int_equal(store_coll_add(f->s, &f->coll, &err), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	scratch_store_remove(f->s, f->dir);
	free(f);
	return 0;
}

static void
meta(struct stix_meta *m, const char *id, const char *modified)
{
	struct ts t;

	memset(m, 0, sizeof(*m));
	m->kind = STIX_KIND_SDO;
	snprintf(m->type, sizeof(m->type), "indicator");
	snprintf(m->id, sizeof(m->id), "%s", id);
	snprintf(m->spec_version, sizeof(m->spec_version), "2.1");
	if (modified) {
		snprintf(m->version, sizeof(m->version), "%s", modified);
		assert_int_equal(ts_parse(modified, strlen(modified), &t, NULL), 0);
		ts_key(&t, m->version_key);
	}
}

static int
add(struct fx *f, const char *id, const char *modified, const char *body,
    enum store_add_outcome *ret)
{
	struct stix_meta m;
	struct store_obj_in in;
	struct store_obj_result res;
	struct err err = ERR_INIT;
	int r;

	meta(&m, id, modified);
	in.meta = &m;
	in.body = body;
	in.len = strlen(body);
	assert_int_equal(store_begin(f->s, &err), 0);
	r = store_objects_add(f->s, f->coll.rowid, &in, 1, &res, &err);
	assert_int_equal(store_commit(f->s, &err), 0);
	if (ret)
		*ret = res.outcome;
	return r;
}

struct collect {
	char ids[64][80];
	char versions[64][40];
	int64_t added[64];
	size_t n;
};

static int
on_row(void *arg, const struct store_row *row)
{
	struct collect *c = arg;

	snprintf(c->ids[c->n], sizeof(c->ids[0]), "%s", row->id);
	snprintf(c->versions[c->n], sizeof(c->versions[0]), "%s", row->version);
	c->added[c->n] = row->date_added_us;
	c->n++;
	return 0;
}

static size_t
query(struct fx *f, struct store_query *q, struct collect *c, int *more)
{
	struct err err = ERR_INIT;

	memset(c, 0, sizeof(*c));
	q->coll = f->coll.rowid;
	if (q->limit == 0)
		q->limit = 50;
	assert_int_equal(store_objects_query(f->s, q, 1, on_row, c, more, &err), 0);
	return c->n;
}

#define ID_A "indicator--aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
#define ID_B "indicator--bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"

static void
test_versions_and_duplicates(void **state)
{
	struct fx *f = *state;
	enum store_add_outcome o;
	struct store_query q = { 0 };
	struct collect c;
	int more;

	assert_int_equal(add(f, ID_A, "2020-01-01T00:00:00.000Z", "{\"v\":1}", &o), 0);
	assert_int_equal(o, STORE_ADDED);
	/* the same instant written differently is the same version */
	assert_int_equal(add(f, ID_A, "2020-01-01T00:00:00Z", "{ \"v\" : 1 }", &o), 0);
	assert_int_equal(o, STORE_DUPLICATE);
	assert_int_equal(add(f, ID_A, "2020-01-01T00:00:00Z", "{\"v\":2}", &o), 0);
	assert_int_equal(o, STORE_CONFLICT);
	/* a newer and then an older version arrive */
	assert_int_equal(add(f, ID_A, "2021-01-01T00:00:00Z", "{\"v\":3}", &o), 0);
	assert_int_equal(add(f, ID_A, "2019-01-01T00:00:00Z", "{\"v\":0}", &o), 0);
	assert_int_equal(o, STORE_ADDED);

	q.ver_flags = 0; /* default: last */
	assert_int_equal(query(f, &q, &c, &more), 1);
	assert_string_equal(c.versions[0], "2021-01-01T00:00:00Z");
	q.ver_flags = STORE_VER_FIRST;
	assert_int_equal(query(f, &q, &c, &more), 1);
	assert_string_equal(c.versions[0], "2019-01-01T00:00:00Z");
	q.ver_flags = STORE_VER_ALL;
	assert_int_equal(query(f, &q, &c, &more), 3);
	/* date_added order, strictly increasing */
	assert_true(c.added[0] < c.added[1] && c.added[1] < c.added[2]);
	assert_string_equal(c.versions[2], "2019-01-01T00:00:00Z");
	q.ver_flags = STORE_VER_FIRST | STORE_VER_LAST;
	assert_int_equal(query(f, &q, &c, &more), 2);
	q.ver_flags = 0;
	q.vkeys[0] = "2020-01-01T00:00:00.000000000Z";
	q.n_vkeys = 1;
	assert_int_equal(query(f, &q, &c, &more), 1);
	assert_string_equal(c.versions[0], "2020-01-01T00:00:00.000Z");
}

static void
test_filters_and_keyset(void **state)
{
	struct fx *f = *state;
	struct store_query q = { 0 };
	struct collect c;
	char id[80];
	int more, i;
	int64_t last;

	for (i = 0; i < 25; i++) {
		snprintf(id, sizeof(id), "indicator--%08d-aaaa-4aaa-8aaa-aaaaaaaaaaaa", i);
		assert_int_equal(add(f, id, "2020-01-01T00:00:00Z", "{}", NULL), 0);
	}
	q.limit = 10;
	q.after_us = INT64_MIN;
	assert_int_equal(query(f, &q, &c, &more), 10);
	assert_true(more);
	last = c.added[9];
	q.after_us = last;
	assert_int_equal(query(f, &q, &c, &more), 10);
	assert_true(more);
	assert_true(c.added[0] > last);
	q.after_us = c.added[9];
	assert_int_equal(query(f, &q, &c, &more), 5);
	assert_false(more);
	assert_string_equal(c.ids[4], "indicator--00000024-aaaa-4aaa-8aaa-aaaaaaaaaaaa");

	memset(&q, 0, sizeof(q));
	q.after_us = INT64_MIN;
	q.ids[0] = "indicator--00000003-aaaa-4aaa-8aaa-aaaaaaaaaaaa";
	q.ids[1] = "indicator--00000007-aaaa-4aaa-8aaa-aaaaaaaaaaaa";
	q.n_ids = 2;
	assert_int_equal(query(f, &q, &c, &more), 2);
	q.n_ids = 0;
	q.types[0] = "malware";
	q.n_types = 1;
	assert_int_equal(query(f, &q, &c, &more), 0);
	q.types[0] = "indicator";
	q.spec_versions[0] = "2.0";
	q.n_spec_versions = 1;
	assert_int_equal(query(f, &q, &c, &more), 0);
	q.spec_versions[0] = "2.1";
	assert_int_equal(query(f, &q, &c, &more), 25);
}


static void
reopen_closed(struct fx *f)
{
	struct err err = ERR_INIT;

	assert_null(f->s);
	if (store_open(f->path, 0, &f->s, &err) != 0)
		fail_msg("%s", err.msg);
}

/* The versions of one id, by id; also checks that the id is known to the writer's dedup. */
static size_t
by_id(struct fx *f, const char *id, struct collect *c)
{
	struct store_query q = { .ver_flags = STORE_VER_ALL, .n_ids = 1 };
	int more;

	q.ids[0] = id;
	q.after_us = INT64_MIN;
	return query(f, &q, c, &more);
}

#define ID_C "indicator--cccccccc-cccc-4ccc-8ccc-cccccccccccc"

/*
 * The id index is derived: whatever a power cut, a lost file or a file from
 * another store leaves, opening the store brings it level with the objects,
 * and entries that point at the wrong row never show.
 */
static void
test_id_index_rebuilds(void **state)
{
	struct fx *f = *state;

	/* the id index is SQLite's own file (store.db-ids); PostgreSQL indexes in its tables */
	if (scratch_pg() != NULL)
		skip();
	enum store_add_outcome o;
	struct collect c;
	struct err err = ERR_INIT;
	struct store *other;
	struct stix_meta m;
	struct store_obj_in in;
	struct store_obj_result res;
	char cmd[512], path[160];
	int64_t newest;
	size_t n = 0;

	assert_int_equal(add(f, ID_A, "2020-01-01T00:00:00Z", "{\"a\":1}", NULL), 0);
	assert_int_equal(add(f, ID_A, "2021-01-01T00:00:00Z", "{\"a\":2}", NULL), 0);
	assert_int_equal(add(f, ID_B, "2020-01-01T00:00:00Z", "{\"b\":1}", NULL), 0);
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(ids_file_int(f->path, "SELECT count(*) FROM objects_id"), 3);
	newest = ids_file_int(f->path, "SELECT max(date_added) FROM objects_id");
	assert_int_equal(ids_file_int(f->path, "SELECT value FROM ids_meta WHERE key = 'upto'"), newest);

	/* a power cut took the index's last commit: B's entry and the mark that covered it */
	assert_int_equal(ids_file_int(f->path, "DELETE FROM objects_id WHERE date_added = "
	    "(SELECT max(date_added) FROM objects_id) RETURNING 1"), 1);
	assert_int_equal(ids_file_int(f->path, "UPDATE ids_meta SET value = "
	    "(SELECT max(date_added) FROM objects_id) WHERE key = 'upto' RETURNING 1"), 1);
	reopen_closed(f);
	assert_int_equal(by_id(f, ID_B, &c), 1);
	assert_int_equal(add(f, ID_B, "2020-01-01T00:00:00Z", "{\"b\":1}", &o), 0);
	assert_int_equal(o, STORE_DUPLICATE);

	/* the file is gone */
	store_close(f->s);
	f->s = NULL;
	snprintf(cmd, sizeof(cmd), "rm %s-ids %s-ids-wal %s-ids-shm 2>/dev/null; true", f->path, f->path,
	    f->path);
	assert_int_equal(system(cmd), 0);
	reopen_closed(f);
	assert_int_equal(by_id(f, ID_A, &c), 2);
	assert_int_equal(by_id(f, ID_B, &c), 1);
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(ids_file_int(f->path, "SELECT count(*) FROM objects_id"), 3);

	/*
	 * Another store's index in its place, and one that goes further than
	 * these objects (its object came later): catching up after its mark
	 * would index nothing, so only starting over finds A again.
	 */
	snprintf(path, sizeof(path), "%s/other.db", f->dir);
	assert_int_equal(store_open(path, 1, &other, &err), 0);
	assert_int_equal(store_coll_add(other, &f->coll, &err), 0);
	meta(&m, ID_C, "2020-01-01T00:00:00Z");
	in.meta = &m;
	in.body = "{\"c\":1}";
	in.len = strlen(in.body);
	assert_int_equal(store_begin(other, &err), 0);
	assert_int_equal(store_objects_add(other, f->coll.rowid, &in, 1, &res, &err), 0);
	assert_int_equal(store_commit(other, &err), 0);
	store_close(other);
	snprintf(cmd, sizeof(cmd), "cp %s-ids %s-ids && rm -f %s-ids-wal %s-ids-shm", path, f->path,
	    f->path, f->path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(ids_file_int(f->path, "SELECT count(*) FROM objects_id"), 1);
	assert_true(ids_file_int(f->path, "SELECT value FROM ids_meta WHERE key = 'upto'") > newest);
	reopen_closed(f);
	assert_int_equal(by_id(f, ID_A, &c), 2);
	assert_int_equal(by_id(f, ID_C, &c), 0);
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(ids_file_int(f->path, "SELECT count(*) FROM objects_id"), 3);

	/* an entry under B's hash that points at one of A's rows never shows as B */
	assert_int_equal(ids_file_int(f->path, "INSERT INTO objects_id SELECT coll, (SELECT id_hash FROM "
	    "objects_id WHERE date_added = (SELECT max(date_added) FROM objects_id)), min(date_added) "
	    "FROM objects_id RETURNING 1"), 1);
	reopen_closed(f);
	assert_int_equal(by_id(f, ID_B, &c), 1);
	assert_string_equal(c.ids[0], ID_B);
	assert_int_equal(by_id(f, ID_C, &c), 0);

	/*
	 * Deleting B takes B's own entry. The stray one stays (its row is A's, and
	 * two ids may share a hash) and still never shows.
	 */
	assert_int_equal(store_objects_delete(f->s, f->coll.rowid, ID_B, STORE_VER_ALL, NULL, 0,
	    NULL, 0, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(by_id(f, ID_B, &c), 0);
	assert_int_equal(by_id(f, ID_A, &c), 2);
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(ids_file_int(f->path, "SELECT count(*) FROM objects_id"), 3);
	reopen_closed(f);
	assert_int_equal(by_id(f, ID_B, &c), 0);
}

/*
 * Writes meta(key) = value through a plain SQLite (or libpq) connection, as
 * another process would.
 */
static void
outside_meta_set(const char *path, const char *key, const char *value)
{
	char sql[256];
	sqlite3 *db;

	if (scratch_pg() != NULL) {
		PGconn *c = PQconnectdb(path);
		PGresult *res;

		snprintf(sql, sizeof(sql), "INSERT INTO meta(key, value) VALUES ('%s', '%s') "
		    "ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value);
		res = PQexec(c, sql);
		assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
		PQclear(res);
		PQfinish(c);
		return;
	}
	snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO meta(key, value) VALUES ('%s', '%s')",
	    key, value);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static int64_t
count_in(struct store *s, int64_t coll)
{
	struct err err = ERR_INIT;
	int64_t n = -1;

	assert_int_equal(store_read_begin(s, &err), 0);
	assert_int_equal(store_objects_count(s, coll, &n, &err), 0);
	assert_int_equal(store_read_end(s), 0);
	return n;
}

static void
test_read_linger(void **state)
{
	struct fx *f = *state;
	struct store *rd;
	struct err err = ERR_INIT;
	char v[32];

	assert_int_equal(store_open(f->path, 0, &rd, &err), 0);
	store_read_linger(rd, 1);
	assert_int_equal(add(f, ID_A, "2020-01-01T00:00:00Z", "{\"a\":1}", NULL), 0);
	/* Read transactions nest; the outer one keeps its snapshot after read_end. */
	assert_int_equal(store_read_begin(rd, &err), 0);
	assert_int_equal(count_in(rd, f->coll.rowid), 1);
	assert_int_equal(store_read_end(rd), 0);
	/* A commit of this process on another connection: the next read sees it. */
	assert_int_equal(add(f, ID_B, "2020-01-01T00:00:00Z", "{\"b\":1}", NULL), 0);
	assert_int_equal(count_in(rd, f->coll.rowid), 2);
	/* Another process's commit shows after read_release ... */
	outside_meta_set(f->path, "linger", "one");
	assert_int_equal(store_read_begin(rd, &err), 0);
	assert_int_equal(store_meta_get(rd, "linger", v, sizeof(v), &err), -LSN_ENOTFOUND);
	assert_int_equal(store_read_end(rd), 0);
	store_read_release(rd);
	assert_int_equal(store_read_begin(rd, &err), 0);
	assert_int_equal(store_meta_get(rd, "linger", v, sizeof(v), &err), 0);
	assert_string_equal(v, "one");
	assert_int_equal(store_read_end(rd), 0);
	/* ... and at once to a call made outside read_begin/read_end. */
	outside_meta_set(f->path, "linger", "two");
	assert_int_equal(store_meta_get(rd, "linger", v, sizeof(v), &err), 0);
	assert_string_equal(v, "two");
	/* Without linger, read_end ends the transaction: another process sees no reader. */
	assert_int_equal(count_in(rd, f->coll.rowid), 2);
	store_read_linger(rd, 0);
	outside_meta_set(f->path, "linger", "three");
	assert_int_equal(store_read_begin(rd, &err), 0);
	assert_int_equal(store_meta_get(rd, "linger", v, sizeof(v), &err), 0);
	assert_string_equal(v, "three");
	assert_int_equal(store_read_end(rd), 0);
	store_close(rd);
}

static void
test_delete_refreshes_flags(void **state)
{
	struct fx *f = *state;
	struct store_query q = { 0 };
	struct collect c;
	struct err err = ERR_INIT;
	const char *vk[1] = { "2021-01-01T00:00:00.000000000Z" };
	size_t n = 0;
	int more;

	assert_int_equal(add(f, ID_B, "2020-01-01T00:00:00Z", "{\"a\":1}", NULL), 0);
	assert_int_equal(add(f, ID_B, "2021-01-01T00:00:00Z", "{\"a\":2}", NULL), 0);
	assert_int_equal(store_objects_delete(f->s, f->coll.rowid, ID_B, 0, vk, 1, NULL, 0,
	    &n, &err), 0);
	assert_int_equal(n, 1);
	q.after_us = INT64_MIN;
	assert_int_equal(query(f, &q, &c, &more), 1); /* the older one is last now */
	assert_string_equal(c.versions[0], "2020-01-01T00:00:00Z");
	assert_int_equal(store_objects_delete(f->s, f->coll.rowid, ID_B, STORE_VER_ALL, NULL, 0,
	    NULL, 0, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(query(f, &q, &c, &more), 0);
}

static void
test_users_tokens_status(void **state)
{
	struct fx *f = *state;
	struct store_user u = { 0 }, got;
	struct store_grant g = { .coll = f->coll.rowid, .can_read = 1, .can_write = 0 }, *gl;
	struct err err = ERR_INIT;
	uint8_t h[32] = { 1, 2, 3 };
	int64_t uid;
	size_t n;
	char *json;
	size_t len;
	int64_t coll;

	snprintf(u.name, sizeof(u.name), "analyst");
	assert_int_equal(store_user_add(f->s, &u, &err), 0);
	assert_int_equal(store_user_add(f->s, &u, &err), -LSN_EEXIST);
	assert_non_null(strstr(err.msg, "analyst"));
	assert_int_equal(store_grant_set(f->s, u.rowid, &g, &err), 0);
	assert_int_equal(store_grant_list(f->s, u.rowid, &gl, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(gl[0].can_read, 1);
	assert_int_equal(gl[0].can_write, 0);
	free(gl);
	assert_int_equal(store_token_add(f->s, u.rowid, "ci", h, &err), 0);
	assert_int_equal(store_token_find(f->s, h, &uid, &err), 0);
	assert_int_equal(uid, u.rowid);
	assert_int_equal(store_user_get(f->s, uid, &got, &err), 0);
	assert_string_equal(got.name, "analyst");
	/* removing the user removes its tokens */
	assert_int_equal(store_user_remove(f->s, "analyst", &err), 0);
	assert_int_equal(store_token_find(f->s, h, &uid, &err), -LSN_ENOTFOUND);

	assert_int_equal(store_status_put(f->s, "s1", f->coll.rowid, "{\"x\":1}", 7, &err), 0);
	assert_int_equal(store_status_get(f->s, "s1", &json, &len, &coll, &err), 0);
	assert_string_equal(json, "{\"x\":1}");
	assert_int_equal(coll, f->coll.rowid);
	free(json);
	assert_int_equal(store_status_get(f->s, "nope", &json, &len, &coll, &err), -LSN_ENOTFOUND);
}

/* ---- the writer: group commit, per-job savepoints ---- */

struct wjob {
	struct writer_job job;
	struct stix_meta m;
	int64_t coll;
	int fail;
	int finished;
	int rc;
};

static int
wjob_run(struct store *s, struct writer_job *job)
{
	struct wjob *j = (struct wjob *)job;
	struct store_obj_in in = { &j->m, "{}", 2 };
	struct store_obj_result res;
	int r = store_objects_add(s, j->coll, &in, 1, &res, &job->err);

	if (r == 0 && j->fail)
		return err_set(&job->err, LSN_EINVAL, "job asked to fail");
	return r;
}

static void
wjob_done(struct writer_job *job, int rc)
{
	struct wjob *j = (struct wjob *)job;

	j->rc = rc;
	__atomic_store_n(&j->finished, 1, __ATOMIC_RELEASE);
}

static void
test_writer_batches(void **state)
{
	struct fx *f = *state;
	struct store *ws;
	struct writer *w;
	struct err err = ERR_INIT;
	struct wjob jobs[200];
	int64_t n = 0;
	int i;

	assert_int_equal(store_open(f->path, 0, &ws, &err), 0);
	assert_int_equal(writer_new(ws, NULL, 64, &w, &err), 0);
	memset(jobs, 0, sizeof(jobs));
	for (i = 0; i < 200; i++) {
		char id[80];
		snprintf(id, sizeof(id), "indicator--%08d-bbbb-4bbb-8bbb-bbbbbbbbbbbb", i);
		meta(&jobs[i].m, id, "2020-01-01T00:00:00Z");
		jobs[i].coll = f->coll.rowid;
		jobs[i].fail = (i % 10 == 0);
		jobs[i].job.run = wjob_run;
		jobs[i].job.done = wjob_done;
		jobs[i].job.weight = 1;
		writer_submit(w, &jobs[i].job);
	}
	writer_free(w); /* drains the queue */
	for (i = 0; i < 200; i++) {
		assert_true(jobs[i].finished);
		assert_int_equal(jobs[i].rc, jobs[i].fail ? -LSN_EINVAL : 0);
	}
	/* failed jobs rolled back alone: 180 objects stored */
	assert_int_equal(store_objects_count(f->s, f->coll.rowid, &n, &err), 0);
	assert_int_equal(n, 180);
}

/*
 * PostgreSQL defers a job's inserts (pg_defer): one that fails on the
 * server (here a status that is not UTF-8) must fail the transaction,
 * whichever later call reads its error, and the commit with it, so no
 * job of it is reported stored. SQLite keeps any bytes: PostgreSQL only.
 */
static void
test_deferred_failure(void **state)
{
	struct fx *f = *state;
	struct stix_meta ma, mb;
	struct store_obj_in a = { &ma, "{\"a\":1}", 7 }, b = { &mb, "{\"b\":1}", 7 };
	struct store_obj_result res;
	struct err err = ERR_INIT;
	int64_t n = -1;
	enum store_add_outcome o;

	if (scratch_pg() == NULL)
		skip();
	meta(&ma, ID_A, "2020-01-01T00:00:00Z");
	meta(&mb, ID_B, "2020-01-01T00:00:00Z");
	/* read by the next job's statement: that job fails, the release too */
	assert_int_equal(store_begin(f->s, &err), 0);
	assert_int_equal(store_savepoint(f->s, &err), 0);
	assert_int_equal(store_objects_add(f->s, f->coll.rowid, &a, 1, &res, &err), 0);
	assert_int_equal(store_status_put(f->s, "st1", f->coll.rowid, "\xff\xfe", 2, &err), 0);
	assert_int_equal(store_savepoint_release(f->s, 1, &err), 0);
	assert_int_equal(store_savepoint(f->s, &err), 0);
	assert_true(store_objects_add(f->s, f->coll.rowid, &b, 1, &res, &err) < 0);
	assert_non_null(strstr(err.msg, "storing a status"));
	assert_true(store_savepoint_release(f->s, 0, &err) < 0);
	assert_true(store_commit(f->s, &err) < 0);
	store_rollback(f->s);
	assert_int_equal(store_objects_count(f->s, f->coll.rowid, &n, &err), 0);
	assert_int_equal(n, 0);
	/* read by the commit */
	assert_int_equal(store_begin(f->s, &err), 0);
	assert_int_equal(store_objects_add(f->s, f->coll.rowid, &a, 1, &res, &err), 0);
	assert_int_equal(store_status_put(f->s, "st2", f->coll.rowid, "\xff", 1, &err), 0);
	assert_true(store_commit(f->s, &err) < 0);
	assert_non_null(strstr(err.msg, "storing a status"));
	assert_int_equal(store_objects_count(f->s, f->coll.rowid, &n, &err), 0);
	assert_int_equal(n, 0);
	/* and the connection serves the next transaction */
	assert_int_equal(add(f, ID_A, "2020-01-01T00:00:00Z", "{\"a\":1}", &o), 0);
	assert_int_equal(o, STORE_ADDED);
	assert_int_equal(store_objects_count(f->s, f->coll.rowid, &n, &err), 0);
	assert_int_equal(n, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_versions_and_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filters_and_keyset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_refreshes_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_linger, setup, teardown),
		cmocka_unit_test_setup_teardown(test_id_index_rebuilds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_users_tokens_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deferred_failure, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
