/*
 * SQLite backend, objects: collections, STIX objects as the exact bytes
 * received plus the index columns TAXII queries need, and status
 * resources. date_added (microseconds, strictly increasing) is the rowid,
 * so keyset pages are B-tree range scans and never offsets. objects_add is
 * the writer's hot path: fixed statements only, nothing allocated. Contains
 * no policy.
 */
#include "store/sqlite_int.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/ts.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int
sqlite_coll_add(struct store *base, struct store_collection *c, struct err *err)
{
	struct sqlite_store *s = ss(base);
	int r;

	c->created_us = clock_now_us();
	r = sqlite_exec1(s, "INSERT INTO collections(id, title, description, created_us, partner) "
	    "VALUES (?1, ?2, ?3, ?4, ?5)", "adding a collection", err,
	    SQLITE_BINDS(SB_TEXT(c->id), SB_TEXT(c->title), SB_TEXT(c->description),
	    SB_INT(c->created_us), SB_INT(c->partner)));
	if (r == -LSN_EEXIST)
		return err_set(err, LSN_EEXIST, "a collection with id %s or title '%s' already exists",
		    c->id, c->title);
	if (r == 0)
		c->rowid = sqlite3_last_insert_rowid(s->db);
	return r;
}

static int
fill_collection_row(void *arg, sqlite3_stmt *st, struct err *err)
{
	row_collection(st, arg);
	return 0;
}

int
sqlite_coll_find(struct store *base, const char *key, struct store_collection *ret, struct err *err)
{
	int r = sqlite_row1(ss(base), "SELECT rowid, id, title, description, created_us, partner "
	    "FROM collections WHERE id = ?1 OR title = ?1 ORDER BY id = ?1 DESC LIMIT 1",
	    "finding a collection", err, fill_collection_row, ret, SQLITE_BINDS(SB_TEXT(key)));

	if (r == -LSN_ENOTFOUND)
		err_set(err, LSN_ENOTFOUND, "no collection has the id or title '%s'", key);
	return r;
}

static void
fill_collection(sqlite3_stmt *st, void *el)
{
	row_collection(st, el);
}

int
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
	sqlite3_stmt *st = sqlite_fixed_get(s, ST_OBJ_BODY);
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
	sqlite3_stmt *st = sqlite_fixed_get(s, id);
	int rc;

	sqlite3_bind_int64(st, 1, coll);
	sqlite3_bind_text(st, 2, stix_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, idh);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sqlite_db_err(s, err, "updating version flags");
}

/* The stored versions of one object: none, or their lowest and highest version_key. */
struct version_span {
	int existing;
	char mn[TS_KEY_LEN], mx[TS_KEY_LEN];
};

/* One probe of the (coll, stix_id, version_key) index answers the common case: new. */
static void
version_span(struct sqlite_store *s, int64_t coll, const char *id, int64_t idh,
    struct version_span *v)
{
	sqlite3_stmt *st = sqlite_fixed_get(s, ST_OBJ_MINMAX);

	v->existing = 0;
	v->mn[0] = v->mx[0] = '\0';
	sqlite3_bind_int64(st, 1, coll);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, idh);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		v->existing = 1;
		snprintf(v->mn, sizeof(v->mn), "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(v->mx, sizeof(v->mx), "%s", (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_reset(st);
}

/*
 * The same version already stored: 1 with res filled (a duplicate if the
 * bytes or the JSON are the same, else a conflict), 0 if it is new.
 */
static int
version_stored(struct sqlite_store *s, int64_t coll, const struct store_obj_in *in, int64_t idh,
    const uint8_t hash[static CX_SHA256_LEN], struct store_obj_result *res, struct err *err)
{
	sqlite3_stmt *st = sqlite_fixed_get(s, ST_OBJ_EXACT);
	int rc;

	sqlite3_bind_int64(st, 1, coll);
	sqlite3_bind_text(st, 2, in->meta->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, in->meta->version_key, -1, SQLITE_STATIC);
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
		return 1;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sqlite_db_err(s, err, "looking up an object version");
	return 0;
}

/* The row and its id index entry, at the next date_added. */
static int
version_insert(struct sqlite_store *s, int64_t coll, const struct store_obj_in *in, int64_t idh,
    const uint8_t hash[static CX_SHA256_LEN], int is_first, int is_last, struct err *err)
{
	const struct stix_meta *m = in->meta;
	int64_t now = clock_now_us();
	sqlite3_stmt *st;
	int rc;

	/* Strictly increasing per stored version: clients page with added_after. */
	s->last_date_added = now > s->last_date_added ? now : s->last_date_added + 1;
	st = sqlite_fixed_get(s, ST_OBJ_INSERT);
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
	st = sqlite_fixed_get(s, ST_IDS_INSERT);
	sqlite3_bind_int64(st, 1, coll);
	sqlite3_bind_int64(st, 2, idh);
	sqlite3_bind_int64(st, 3, s->last_date_added);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sqlite_db_err(s, err, "indexing an object by id");
	s->ids_dirty = 1;
	return 0;
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
	struct version_span v;
	uint8_t hash[CX_SHA256_LEN];
	int is_first = 1, is_last = 1, rc;
	int64_t idh = sqlite_id_hash(m->id);

	cx_sha256(in->body, in->len, hash);
	version_span(s, coll, m->id, idh, &v);
	if (v.existing && strcmp(m->version_key, v.mn) >= 0 && strcmp(m->version_key, v.mx) <= 0 &&
	    (rc = version_stored(s, coll, in, idh, hash, res, err)) != 0)
		return rc < 0 ? rc : 0;
	if (v.existing) {
		is_first = strcmp(m->version_key, v.mn) < 0;
		is_last = strcmp(m->version_key, v.mx) > 0;
	}
	if (v.existing && is_last &&
	    (rc = clear_flag(s, ST_OBJ_CLEAR_LAST, coll, m->id, idh, err)) < 0)
		return rc;
	if (v.existing && is_first &&
	    (rc = clear_flag(s, ST_OBJ_CLEAR_FIRST, coll, m->id, idh, err)) < 0)
		return rc;
	if ((rc = version_insert(s, coll, in, idh, hash, is_first, is_last, err)) < 0)
		return rc;
	res->outcome = STORE_ADDED;
	res->date_added_us = s->last_date_added;
	return 0;
}

int
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
		r = buf_adds(sql, q->newest_first ? " ORDER BY date_added DESC LIMIT ?3" :
		    " ORDER BY date_added LIMIT ?3");
	return r;
}

static void
bind_list(sqlite3_stmt *st, const char *const *v, size_t n, int *pi)
{
	size_t i;

	for (i = 0; i < n; i++)
		sqlite3_bind_text(st, (*pi)++, v[i], -1, SQLITE_STATIC);
}

int
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
		sqlite3_bind_int64(st, pi++, sqlite_id_hash(q->ids[i]));
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
	sqlite_unprep(s, st);
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
	int r = sqlite_exec1(s, sql, "dropping deleted objects from the id index", err,
	    SQLITE_BINDS(SB_INT(coll), SB_INT(sqlite_id_hash(id))));

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

	return sqlite_exec1(s, sql, "refreshing version flags", err,
	    SQLITE_BINDS(SB_INT(coll), SB_TEXT(id), SB_INT(sqlite_id_hash(id))));
}

int
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
	sqlite3_bind_int64(st, 3, sqlite_id_hash(id));
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
	sqlite_unprep(s, st);
	st = NULL;
	if (*ret_deleted > 0 && (r = drop_ids(s, coll, id, err)) == 0)
		r = refresh_flags(s, coll, id, err);
out:
	sqlite_unprep(s, st);
	buf_release(&sql);
	return r;
}

int
sqlite_objects_count(struct store *base, int64_t coll, int64_t *ret, struct err *err)
{
	/* the count without a collection has no parameter: bind none */
	return sqlite_row1(ss(base), coll > 0 ? "SELECT count(*) FROM objects WHERE coll = ?1" :
	    "SELECT count(*) FROM objects", "counting objects", err, sqlite_fill_int64, ret,
	    (const struct sqlite_bind[]){ SB_INT(coll) }, coll > 0);
}

int
sqlite_status_put(struct store *base, const char *id, int64_t coll, const char *json,
    size_t len, struct err *err)
{
	return sqlite_exec1(ss(base), "INSERT OR REPLACE INTO status(id, coll, created_us, body) "
	    "VALUES (?1, ?2, ?3, ?4)", "storing a status", err,
	    SQLITE_BINDS(SB_TEXT(id), SB_INT(coll), SB_INT(clock_now_us()), SB_TEXTN(json, len)));
}

struct status_out {
	char **json;
	size_t *len;
	int64_t *coll;
};

static int
fill_status(void *arg, sqlite3_stmt *st, struct err *err)
{
	struct status_out *o = arg;
	size_t n = (size_t)sqlite3_column_bytes(st, 0);
	char *p = malloc(n + 1);

	if (p == NULL)
		return err_set(err, LSN_ENOMEM, "store: out of memory");
	memcpy(p, sqlite3_column_text(st, 0), n);
	p[n] = '\0';
	*o->json = p;
	*o->len = n;
	*o->coll = sqlite3_column_int64(st, 1);
	return 0;
}

int
sqlite_status_get(struct store *base, const char *id, char **ret_json, size_t *ret_len,
    int64_t *ret_coll, struct err *err)
{
	struct status_out o = { ret_json, ret_len, ret_coll };
	int r = sqlite_row1(ss(base), "SELECT body, coll FROM status WHERE id = ?1",
	    "reading a status", err, fill_status, &o, SQLITE_BINDS(SB_TEXT(id)));

	if (r == -LSN_ENOTFOUND)
		err_set(err, LSN_ENOTFOUND, "no status resource has the id '%s'", id);
	return r;
}
