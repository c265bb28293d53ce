/*
 * PostgreSQL backend, objects: collections, STIX object versions as the
 * exact bytes received (bytea) with the columns TAXII queries need, and
 * status resources. Mirrors sqlite_objects.c, with the writer's batch
 * done as a batch: objects_add costs two round trips whatever its size
 * (the clock, the versions already stored), not one per object; its
 * inserts (INSERT_ROWS rows a statement) and the flags it clears are
 * deferred (pg_defer), sent with the transaction's next statement.
 *
 * date_added comes from the clock row (pg_schema.c), whose lock every
 * adding transaction holds until it commits: across every daemon of a
 * node, a larger date_added always commits later, so a client paging with
 * added_after or next never skips or repeats a version.
 */
#include "store/pg_int.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/ts.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COLL_COLS "rowid, id, title, description, created_us, partner"
#define INSERT_ROWS 1024
/* Pages below this many objects have a prepared statement of their own (build_query). */
#define PAGE_LITERAL 64

static void
row_collection(PGresult *res, int row, struct store_collection *c)
{
	c->rowid = pg_i64(res, row, 0);
	pg_copy_text(c->id, sizeof(c->id), res, row, 1);
	pg_copy_text(c->title, sizeof(c->title), res, row, 2);
	pg_copy_text(c->description, sizeof(c->description), res, row, 3);
	c->created_us = pg_i64(res, row, 4);
	c->partner = pg_i64(res, row, 5);
}

int
pg_coll_add(struct store *base, struct store_collection *c, struct err *err)
{
	int r;

	c->created_us = clock_now_us();
	r = pg_row1(ps(base), "INSERT INTO collections(id, title, description, created_us, partner) "
	    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING rowid",
	    "adding a collection", err, pg_fill_int64, &c->rowid,
	    PG_BINDS(PB_TEXT(c->id), PB_TEXT(c->title), PB_TEXT(c->description),
	    PB_INT(c->created_us), PB_INT(c->partner)));
	if (r == -LSN_ENOTFOUND)
		return err_set(err, LSN_EEXIST, "a collection with id %s or title '%s' already exists",
		    c->id, c->title);
	return r;
}

static int
fill_collection_row(void *arg, PGresult *res, int row, struct err *err)
{
	row_collection(res, row, arg);
	return 0;
}

int
pg_coll_find(struct store *base, const char *key, struct store_collection *ret, struct err *err)
{
	int r = pg_row1(ps(base), "SELECT " COLL_COLS " FROM collections WHERE id = $1 OR "
	    "title = $1 ORDER BY id = $1 DESC LIMIT 1", "finding a collection", err,
	    fill_collection_row, ret, PG_BINDS(PB_TEXT(key)));

	if (r == -LSN_ENOTFOUND)
		err_set(err, LSN_ENOTFOUND, "no collection has the id or title '%s'", key);
	return r;
}

static void
fill_collection(PGresult *res, int row, void *el)
{
	row_collection(res, row, el);
}

int
pg_coll_list(struct store *base, struct store_collection **ret, size_t *ret_n, struct err *err)
{
	return pg_collect(ps(base), "SELECT " COLL_COLS " FROM collections ORDER BY rowid",
	    "listing collections", err, sizeof(**ret), fill_collection, (void **)ret, ret_n,
	    PG_NOBINDS);
}

/*
 * ---- objects_add: one batch ----
 *
 * Every version the batch knows of its ids: those stored (from one query)
 * and those the batch adds, chained per id through a hash table, so the
 * duplicate check and the first/last flags of each input cost no query.
 */
struct known {
	const char *id, *vkey;
	uint8_t hash[CX_SHA256_LEN];
	int64_t date_added;
	int first, last;
	int stored;                 /* a row of the database (else an input of this batch) */
	int clear_first, clear_last;/* stored, and its flag must go */
	size_t in;                  /* the input it is (not stored) */
	size_t next;                /* the next version of the same id; SIZE_MAX: none */
};

struct batch {
	struct known *k;
	size_t n_k;
	size_t *slots;              /* hash of the id -> first known, SIZE_MAX: empty */
	size_t mask;
	PGresult *stored;
};

static uint64_t
id_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* The slot of id: its chain's head, or the empty slot where it goes. */
static size_t *
slot_of(struct batch *b, const char *id)
{
	size_t i = (size_t)id_hash(id) & b->mask;

	while (b->slots[i] != SIZE_MAX && strcmp(b->k[b->slots[i]].id, id) != 0)
		i = (i + 1) & b->mask;
	return &b->slots[i];
}

static void
known_add(struct batch *b, const struct known *k)
{
	size_t *slot = slot_of(b, k->id), i = b->n_k++;

	b->k[i] = *k;
	b->k[i].next = *slot;
	*slot = i;
}

static int
batch_init(struct batch *b, size_t n_in, size_t n_stored, struct err *err)
{
	size_t want = 2 * (n_in + n_stored) + 2, cap = 16, i;

	while (cap < want)
		cap <<= 1;
	b->k = malloc((n_in + n_stored) * sizeof(*b->k) + 1);
	b->slots = malloc(cap * sizeof(*b->slots));
	if (b->k == NULL || b->slots == NULL)
		return err_set(err, LSN_ENOMEM, "store: out of memory");
	for (i = 0; i < cap; i++)
		b->slots[i] = SIZE_MAX;
	b->mask = cap - 1;
	b->n_k = 0;
	return 0;
}

static void
batch_free(struct batch *b)
{
	free(b->k);
	free(b->slots);
	PQclear(b->stored);
}

/*
 * The versions stored of the batch's ids, into b (one query). Each id is
 * looked up on its own in objects_id (the subquery under LATERAL, kept
 * apart by OFFSET 0), so the plan cannot depend on the column statistics:
 * with `stix_id = ANY(...)` a young table's default estimates chose a
 * scan of the whole collection per batch (2.7 ms a batch at 10k objects,
 * growing with the collection).
 */
static int
load_stored(struct pg_store *p, int64_t coll, const struct store_obj_in *in, size_t n,
    struct batch *b, struct err *err)
{
	struct pg_arr ids = { 0 };
	size_t i;
	int r, rows;

	r = pg_arr_start(&ids, PG_ELEM_TEXT, n);
	for (i = 0; r == 0 && i < n; i++)
		r = pg_arr_text(&ids, in[i].meta->id);
	if (r < 0) {
		pg_arr_release(&ids);
		return err_set(err, r == -LSN_ENOMEM ? LSN_ENOMEM : LSN_ETOOBIG,
		    "store: too many ids in one batch");
	}
	b->stored = pg_query(p, "SELECT o.stix_id, o.version_key, o.hash, o.date_added, "
	    "o.is_first, o.is_last FROM (SELECT DISTINCT id FROM unnest($2::text[]) AS u(id)) AS u, "
	    "LATERAL (SELECT * FROM objects WHERE coll = $1 AND stix_id = u.id OFFSET 0) AS o",
	    "looking up object versions", err, PG_BINDS(PB_INT(coll), PB_ARRAY(ids)));
	pg_arr_release(&ids);
	if (b->stored == NULL)
		return pg_errcode(err);
	rows = PQntuples(b->stored);
	if ((r = batch_init(b, n, (size_t)rows, err)) < 0)
		return r;
	for (i = 0; i < (size_t)rows; i++) {
		struct known k = { .stored = 1 };

		k.id = pg_text(b->stored, (int)i, 0);
		k.vkey = pg_text(b->stored, (int)i, 1);
		pg_copy_hash(k.hash, b->stored, (int)i, 2);
		k.date_added = pg_i64(b->stored, (int)i, 3);
		k.first = (int)pg_i64(b->stored, (int)i, 4);
		k.last = (int)pg_i64(b->stored, (int)i, 5);
		known_add(b, &k);
	}
	return 0;
}

static int
same_json(const char *a, size_t alen, const char *bb, size_t blen)
{
	json_t *x = json_loadb(a, alen, 0, NULL), *y = json_loadb(bb, blen, 0, NULL);
	int same = x != NULL && y != NULL && json_equal(x, y);

	json_decref(x);
	json_decref(y);
	return same;
}

/* The same version is known: a duplicate if the bytes or the JSON are the same. */
static int
duplicate_of(struct pg_store *p, int64_t coll, const struct known *k,
    const struct store_obj_in *all, const struct store_obj_in *in, const uint8_t *hash,
    struct err *err)
{
	PGresult *res;
	size_t len;
	const uint8_t *body;
	int same;

	if (memcmp(k->hash, hash, CX_SHA256_LEN) == 0)
		return 1;
	if (!k->stored)
		return same_json(all[k->in].body, all[k->in].len, in->body, in->len);
	res = pg_query(p, "SELECT body FROM objects WHERE coll = $1 AND date_added = $2",
	    "reading an object", err, PG_BINDS(PB_INT(coll), PB_INT(k->date_added)));
	if (res == NULL)
		return pg_errcode(err);
	body = PQntuples(res) ? pg_bytes(res, 0, 0, &len) : NULL;
	same = body != NULL && same_json((const char *)body, len, in->body, in->len);
	PQclear(res);
	return same;
}

/* The flags of a new version against those known of its id, which lose theirs. */
static void
place_version(struct batch *b, size_t head, struct known *nk)
{
	size_t i;
	int first = 1, last = 1;

	for (i = head; i != SIZE_MAX; i = b->k[i].next) {
		if (strcmp(nk->vkey, b->k[i].vkey) >= 0)
			first = 0;
		if (strcmp(nk->vkey, b->k[i].vkey) <= 0)
			last = 0;
	}
	for (i = head; i != SIZE_MAX; i = b->k[i].next) {
		struct known *o = &b->k[i];

		if (first && o->first) {
			o->first = 0;
			o->clear_first = o->stored;
		}
		if (last && o->last) {
			o->last = 0;
			o->clear_last = o->stored;
		}
	}
	nk->first = first;
	nk->last = last;
}

/* Decides every input: duplicate, conflict or new (with its date_added from *next). */
static int
decide(struct pg_store *p, int64_t coll, const struct store_obj_in *in, size_t n, struct batch *b,
    int64_t *next, struct store_obj_result *res, struct err *err)
{
	size_t i, j;
	int r;

	for (i = 0; i < n; i++) {
		struct known nk = { .id = in[i].meta->id, .vkey = in[i].meta->version_key, .in = i };
		size_t head = *slot_of(b, nk.id);

		cx_sha256(in[i].body, in[i].len, nk.hash);
		for (j = head; j != SIZE_MAX; j = b->k[j].next)
			if (strcmp(b->k[j].vkey, nk.vkey) == 0)
				break;
		if (j != SIZE_MAX) {
			if ((r = duplicate_of(p, coll, &b->k[j], in, &in[i], nk.hash, err)) < 0)
				return r;
			res[i].outcome = r ? STORE_DUPLICATE : STORE_CONFLICT;
			res[i].date_added_us = b->k[j].date_added;
			continue;
		}
		place_version(b, head, &nk);
		nk.date_added = (*next)++;
		res[i].outcome = STORE_ADDED;
		res[i].date_added_us = nk.date_added;
		known_add(b, &nk);
	}
	return 0;
}

/*
 * The batch's new versions: one prepared statement over binary arrays, a
 * column each, so a chunk of any size has one plan and the server parses
 * no text. Chunks of INSERT_ROWS rows bound the memory of a large batch.
 */
enum { A_DATE, A_ID, A_TYPE, A_VERSION, A_VKEY, A_SPEC, A_FIRST, A_LAST, A_TLP, A_HASH, A_BODY,
	A_COLS };

static const enum pg_elem insert_elems[A_COLS] = {
	PG_ELEM_INT8, PG_ELEM_TEXT, PG_ELEM_TEXT, PG_ELEM_TEXT, PG_ELEM_TEXT, PG_ELEM_TEXT,
	PG_ELEM_INT2, PG_ELEM_INT2, PG_ELEM_INT2, PG_ELEM_BYTEA, PG_ELEM_BYTEA,
};

static int
insert_row(struct pg_arr *a, const struct known *k, const struct store_obj_in *in)
{
	const struct stix_meta *m = in->meta;
	int r;

	if ((r = pg_arr_int(&a[A_DATE], k->date_added)) < 0 ||
	    (r = pg_arr_text(&a[A_ID], m->id)) < 0 ||
	    (r = pg_arr_text(&a[A_TYPE], m->type)) < 0 ||
	    (r = pg_arr_text(&a[A_VERSION], m->version)) < 0 ||
	    (r = pg_arr_text(&a[A_VKEY], m->version_key)) < 0 ||
	    (r = pg_arr_text(&a[A_SPEC], m->spec_version)) < 0 ||
	    (r = pg_arr_int(&a[A_FIRST], k->first)) < 0 ||
	    (r = pg_arr_int(&a[A_LAST], k->last)) < 0 ||
	    (r = pg_arr_int(&a[A_TLP], (int)m->tlp)) < 0 ||
	    (r = pg_arr_bytes(&a[A_HASH], k->hash, CX_SHA256_LEN)) < 0)
		return r;
	return pg_arr_bytes(&a[A_BODY], in->body, in->len);
}

static int
insert_chunk(struct pg_store *p, int64_t coll, const struct store_obj_in *in,
    const struct batch *b, size_t from, size_t rows, struct pg_arr *a, struct err *err)
{
	size_t i, c, done = 0;
	int r = 0;

	for (c = 0; c < A_COLS && r == 0; c++)
		r = pg_arr_start(&a[c], insert_elems[c], rows);
	for (i = from; i < b->n_k && done < rows && r == 0; i++)
		if (!b->k[i].stored) {
			r = insert_row(a, &b->k[i], &in[b->k[i].in]);
			done++;
		}
	if (r < 0)
		return err_set(err, r == -LSN_ENOMEM ? LSN_ENOMEM : LSN_ETOOBIG,
		    "store: %zu objects are too large for one statement", rows);
	return pg_defer(p, "INSERT INTO objects(date_added, coll, stix_id, type, version, "
	    "version_key, spec_version, is_first, is_last, tlp, hash, body) "
	    "SELECT d, $1, i, t, v, k, s, f, l, p, h, b FROM unnest($2::int8[], $3::text[], "
	    "$4::text[], $5::text[], $6::text[], $7::text[], $8::int2[], $9::int2[], $10::int2[], "
	    "$11::bytea[], $12::bytea[]) AS u(d, i, t, v, k, s, f, l, p, h, b)",
	    "inserting objects", err, PG_BINDS(PB_INT(coll), PB_ARRAY(a[A_DATE]),
	    PB_ARRAY(a[A_ID]), PB_ARRAY(a[A_TYPE]), PB_ARRAY(a[A_VERSION]), PB_ARRAY(a[A_VKEY]),
	    PB_ARRAY(a[A_SPEC]), PB_ARRAY(a[A_FIRST]), PB_ARRAY(a[A_LAST]), PB_ARRAY(a[A_TLP]),
	    PB_ARRAY(a[A_HASH]), PB_ARRAY(a[A_BODY])));
}

static int
insert_new(struct pg_store *p, int64_t coll, const struct store_obj_in *in,
    const struct batch *b, struct err *err)
{
	struct pg_arr a[A_COLS] = { 0 };
	size_t i, from = 0, rows = 0, c;
	int r = 0;

	for (i = 0; i <= b->n_k && r == 0; i++) {
		if (i < b->n_k && !b->k[i].stored && rows++ == 0)
			from = i;
		if (rows == 0 || (rows < INSERT_ROWS && i < b->n_k))
			continue;
		r = insert_chunk(p, coll, in, b, from, rows, a, err);
		rows = 0;
	}
	for (c = 0; c < A_COLS; c++)
		pg_arr_release(&a[c]);
	return r;
}

/*
 * Stored versions that lost their first or last flag to a new one: a join
 * of the array with objects, found by its primary key row by row (as in
 * load_stored, not `date_added = ANY(...)`, whose plan depends on the
 * statistics).
 */
static int
clear_flags(struct pg_store *p, int64_t coll, const struct batch *b, struct err *err)
{
	static const char *const sql[2] = {
		"UPDATE objects AS o SET is_first = 0 FROM unnest($1::int8[]) AS u(d) "
		"WHERE o.coll = $2 AND o.date_added = u.d",
		"UPDATE objects AS o SET is_last = 0 FROM unnest($1::int8[]) AS u(d) "
		"WHERE o.coll = $2 AND o.date_added = u.d",
	};
	struct pg_arr arr = { 0 };
	size_t i, m;
	int which, r = 0;

	for (which = 0; which < 2 && r == 0; which++) {
		for (i = m = 0; i < b->n_k; i++)
			m += which ? b->k[i].clear_last : b->k[i].clear_first;
		if (m == 0)
			continue;
		r = pg_arr_start(&arr, PG_ELEM_INT8, m);
		for (i = 0; r == 0 && i < b->n_k; i++)
			if (which ? b->k[i].clear_last : b->k[i].clear_first)
				r = pg_arr_int(&arr, b->k[i].date_added);
		if (r < 0)
			r = err_set(err, LSN_ENOMEM, "store: out of memory");
		else
			r = pg_defer(p, sql[which], "updating version flags", err,
			    PG_BINDS(PB_ARRAY(arr), PB_INT(coll)));
	}
	pg_arr_release(&arr);
	return r;
}

/*
 * Takes the clock's lock and reserves n values: date_added from the
 * returned value on, above every one given out and not before now. The
 * UPDATE is sent, and its answer read with the lookup of the stored
 * versions that follows it: one round trip for both. The lookup runs
 * after the lock is taken, so it sees every batch committed before.
 */
static int
clock_send(struct pg_store *p, size_t n, PGresult **res, struct err *err)
{
	return pg_defer_keep(p, "UPDATE clock SET last_us = greatest(last_us + 1, $1) + $2 - 1 "
	    "WHERE one = 1 RETURNING last_us", "advancing the clock", err, res,
	    PG_BINDS(PB_INT(clock_now_us()), PB_INT((int64_t)n)));
}

static int
clock_first(PGresult *res, size_t n, int64_t *ret_first, struct err *err)
{
	if (res == NULL || PQntuples(res) != 1)
		return err_set(err, LSN_EIO, "store: the clock row is missing");
	*ret_first = pg_i64(res, 0, 0) - (int64_t)n + 1;
	return 0;
}

static int
add_batch(struct pg_store *p, int64_t coll, const struct store_obj_in *in, size_t n,
    struct store_obj_result *res, struct err *err)
{
	struct batch b = { 0 };
	PGresult *clock = NULL;
	int64_t next = 0;
	int r;

	if ((r = clock_send(p, n, &clock, err)) == 0 &&
	    (r = load_stored(p, coll, in, n, &b, err)) == 0 &&
	    (r = clock_first(clock, n, &next, err)) == 0 &&
	    (r = decide(p, coll, in, n, &b, &next, res, err)) == 0 &&
	    (r = insert_new(p, coll, in, &b, err)) == 0)
		r = clear_flags(p, coll, &b, err);
	if (r < 0)
		pg_flush(p, NULL);    /* the clock's answer is read before clock goes */
	PQclear(clock);
	batch_free(&b);
	return r;
}

int
pg_objects_add(struct store *base, int64_t coll, const struct store_obj_in *in, size_t n,
    struct store_obj_result *res, struct err *err)
{
	struct pg_store *p = ps(base);
	int own = !p->tx, r;

	if (n == 0)
		return 0;
	/* outside a transaction, one of its own: the clock's lock must last until the commit */
	if (own && (r = pg_exec1(p, "BEGIN", "beginning a transaction", err, PG_NOBINDS)) < 0)
		return r;
	p->tx = 1;
	r = add_batch(p, coll, in, n, res, err);
	if (own) {
		p->tx = 0;
		if (r == 0)
			r = pg_exec1(p, "COMMIT", "committing objects", err, PG_NOBINDS);
		else
			pg_exec1(p, "ROLLBACK", "rolling back", NULL, PG_NOBINDS);
	}
	return r;
}

/* ---- queries ---- */

/* " AND col IN ($k, ...)", numbering from *pi. */
static int
add_in(struct buf *sql, const char *col, size_t n, int *pi)
{
	size_t i;
	int r = buf_printf(sql, " AND %s IN (", col);

	for (i = 0; r == 0 && i < n; i++)
		r = buf_printf(sql, "%s$%d", i ? "," : "", (*pi)++);
	return r < 0 ? r : buf_addc(sql, ')');
}

static int
version_clause(struct buf *sql, unsigned flags, size_t n_vkeys, int *pi, const char *k)
{
	const char *sep = "";
	size_t i;
	int r;

	if (flags & STORE_VER_ALL)
		return 0;
	if (flags == 0 && n_vkeys == 0)
		return buf_printf(sql, " AND is_last%s = 1", k);
	r = buf_adds(sql, " AND (");
	if (r == 0 && (flags & STORE_VER_LAST)) {
		r = buf_printf(sql, "is_last%s = 1", k);
		sep = " OR ";
	}
	if (r == 0 && (flags & STORE_VER_FIRST)) {
		r = buf_printf(sql, "%sis_first%s = 1", sep, k);
		sep = " OR ";
	}
	if (r == 0 && n_vkeys > 0) {
		r = buf_printf(sql, "%sversion_key IN (", sep);
		for (i = 0; r == 0 && i < n_vkeys; i++)
			r = buf_printf(sql, "%s$%d", i ? "," : "", (*pi)++);
		if (r == 0)
			r = buf_addc(sql, ')');
	}
	return r < 0 ? r : buf_addc(sql, ')');
}

/* The SQL and the parameters of a query ($1 coll, $2 after, $3 limit + 1, then the lists). */
static int
build_query(const struct store_query *q, int with_body, struct buf *sql, struct pg_bind *pb,
    size_t *ret_n)
{
	int pi = 4, r;
	size_t n = 3, i;
	size_t nv = q->ver_flags & STORE_VER_ALL ? 0 : q->n_vkeys;

	/*
	 * With ids, the plan must start from the id index: a prepared
	 * statement's generic plan would otherwise walk another index (date
	 * order, or the partial one of last versions) and filter by id (5-20 ms
	 * a lookup at 10-25k objects). Written "+ 0", the other columns match
	 * no index, so the few rows found by id are filtered and sorted.
	 */
	const char *k = q->n_ids ? " + 0" : "";
	const char *dir = q->newest_first ? " DESC" : "";

	r = buf_printf(sql, "SELECT stix_id, type, version, spec_version, date_added%s "
	    "FROM objects WHERE coll = $1 AND date_added%s > $2", with_body ? ", body" : "", k);
	if (r == 0 && q->n_ids)
		r = add_in(sql, "stix_id", q->n_ids, &pi);
	if (r == 0 && q->n_types)
		r = add_in(sql, "type", q->n_types, &pi);
	if (r == 0)
		r = version_clause(sql, q->ver_flags, nv, &pi, k);
	if (r == 0 && q->n_spec_versions)
		r = add_in(sql, "spec_version", q->n_spec_versions, &pi);
	/*
	 * A small page names its LIMIT in the text. As a parameter, the
	 * generic plan is costed for a tenth of the rows, so the server made a
	 * custom plan at every run (45 us of planning for a page of one at 1M
	 * objects, four times the query). A large page's planning is small
	 * beside it, and one statement serves every large limit.
	 */
	if (r == 0 && q->limit < PAGE_LITERAL)
		r = buf_printf(sql, " ORDER BY date_added%s%s LIMIT %zu", k, dir, q->limit + 1);
	else if (r == 0)
		r = buf_printf(sql, " ORDER BY date_added%s%s LIMIT $3", k, dir);
	pb[0] = (struct pg_bind)PB_INT(q->coll);
	pb[1] = (struct pg_bind)PB_INT(q->after_us);
	pb[2] = (struct pg_bind)PB_INT((int64_t)q->limit + 1);
	for (i = 0; i < q->n_ids; i++)
		pb[n++] = (struct pg_bind)PB_TEXT(q->ids[i]);
	for (i = 0; i < q->n_types; i++)
		pb[n++] = (struct pg_bind)PB_TEXT(q->types[i]);
	for (i = 0; i < nv; i++)
		pb[n++] = (struct pg_bind)PB_TEXT(q->vkeys[i]);
	for (i = 0; i < q->n_spec_versions; i++)
		pb[n++] = (struct pg_bind)PB_TEXT(q->spec_versions[i]);
	*ret_n = n;
	return r;
}

int
pg_objects_query(struct store *base, const struct store_query *q, int with_body,
    store_row_fn fn, void *arg, int *ret_more, struct err *err)
{
	struct pg_store *p = ps(base);
	struct buf sql = BUF_INIT(64 * 1024);
	struct pg_bind pb[3 + 4 * STORE_LIST_MAX];
	PGresult *res = NULL;
	size_t n = 0;
	int r, i, rows;

	*ret_more = 0;
	if ((r = build_query(q, with_body, &sql, pb, &n)) < 0) {
		r = err_set(err, LSN_ETOOBIG, "store: query too large");
		goto out;
	}
	if ((res = pg_query(p, sql.data, "reading objects", err, pb, n)) == NULL) {
		r = pg_errcode(err);
		goto out;
	}
	rows = PQntuples(res);
	for (i = 0; i < rows; i++) {
		struct store_row row;

		if ((size_t)i == q->limit) {
			*ret_more = 1;
			break;
		}
		row.id = pg_text(res, i, 0);
		row.type = pg_text(res, i, 1);
		row.version = pg_text(res, i, 2);
		row.spec_version = pg_text(res, i, 3);
		row.date_added_us = pg_i64(res, i, 4);
		row.body = with_body ? (const char *)pg_bytes(res, i, 5, &row.len) : NULL;
		if (!with_body)
			row.len = 0;
		if ((r = fn(arg, &row)) < 0)
			break;
	}
out:
	PQclear(res);
	buf_release(&sql);
	return r;
}

/* After deleting versions of one object, its first and last flags are derived again. */
static int
refresh_flags(struct pg_store *p, int64_t coll, const char *id, struct err *err)
{
	return pg_exec1(p, "UPDATE objects o SET"
	    " is_first = CASE WHEN o.version_key = m.mn THEN 1 ELSE 0 END,"
	    " is_last = CASE WHEN o.version_key = m.mx THEN 1 ELSE 0 END"
	    " FROM (SELECT min(version_key) AS mn, max(version_key) AS mx FROM objects"
	    "   WHERE coll = $1 AND stix_id = $2) m"
	    " WHERE o.coll = $1 AND o.stix_id = $2", "refreshing version flags", err,
	    PG_BINDS(PB_INT(coll), PB_TEXT(id)));
}

int
pg_objects_delete(struct store *base, int64_t coll, const char *id, unsigned ver_flags,
    const char *const *vkeys, size_t n_vkeys, const char *const *spec, size_t n_spec,
    size_t *ret_deleted, struct err *err)
{
	struct pg_store *p = ps(base);
	struct buf sql = BUF_INIT(64 * 1024);
	struct pg_bind pb[2 + 2 * STORE_LIST_MAX];
	size_t n = 2, i, nv = ver_flags & STORE_VER_ALL ? 0 : n_vkeys;
	PGresult *res;
	int r, pi = 3;

	if (n_vkeys > STORE_LIST_MAX || n_spec > STORE_LIST_MAX)
		return err_set(err, LSN_ETOOBIG, "store: more than %d versions in one delete",
		    STORE_LIST_MAX);
	r = buf_adds(&sql, "DELETE FROM objects WHERE coll = $1 AND stix_id = $2");
	if (r == 0)
		r = version_clause(&sql, ver_flags, nv, &pi, "");
	if (r == 0 && n_spec)
		r = add_in(&sql, "spec_version", n_spec, &pi);
	if (r < 0) {
		buf_release(&sql);
		return err_set(err, LSN_ETOOBIG, "store: query too large");
	}
	pb[0] = (struct pg_bind)PB_INT(coll);
	pb[1] = (struct pg_bind)PB_TEXT(id);
	for (i = 0; i < nv; i++)
		pb[n++] = (struct pg_bind)PB_TEXT(vkeys[i]);
	for (i = 0; i < n_spec; i++)
		pb[n++] = (struct pg_bind)PB_TEXT(spec[i]);
	/* the clock's lock: no version of it is added beside the delete */
	if ((r = pg_exec1(p, "SELECT 1 FROM clock WHERE one = 1 FOR UPDATE", "locking the clock",
	    err, PG_NOBINDS)) == 0) {
		res = pg_query(p, sql.data, "deleting an object", err, pb, n);
		r = res ? 0 : pg_errcode(err);
		*ret_deleted = res ? (size_t)strtoull(PQcmdTuples(res), NULL, 10) : 0;
		PQclear(res);
	}
	buf_release(&sql);
	if (r == 0 && *ret_deleted > 0)
		r = refresh_flags(p, coll, id, err);
	return r;
}

int
pg_objects_count(struct store *base, int64_t coll, int64_t *ret, struct err *err)
{
	if (coll > 0)
		return pg_row1(ps(base), "SELECT count(*) FROM objects WHERE coll = $1",
		    "counting objects", err, pg_fill_int64, ret, PG_BINDS(PB_INT(coll)));
	return pg_row1(ps(base), "SELECT count(*) FROM objects", "counting objects", err,
	    pg_fill_int64, ret, PG_NOBINDS);
}

int
pg_status_put(struct store *base, const char *id, int64_t coll, const char *json, size_t len,
    struct err *err)
{
	return pg_defer(ps(base), "INSERT INTO status(id, coll, created_us, body) "
	    "VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET coll = excluded.coll, "
	    "created_us = excluded.created_us, body = excluded.body", "storing a status", err,
	    PG_BINDS(PB_TEXT(id), PB_INT(coll), PB_INT(clock_now_us()), PB_TEXTN(json, len)));
}

struct status_out {
	char **json;
	size_t *len;
	int64_t *coll;
};

static int
fill_status(void *arg, PGresult *res, int row, struct err *err)
{
	struct status_out *o = arg;
	size_t n = (size_t)PQgetlength(res, row, 0);
	char *s = malloc(n + 1);

	if (s == NULL)
		return err_set(err, LSN_ENOMEM, "store: out of memory");
	memcpy(s, PQgetvalue(res, row, 0), n);
	s[n] = '\0';
	*o->json = s;
	*o->len = n;
	*o->coll = pg_i64(res, row, 1);
	return 0;
}

int
pg_status_get(struct store *base, const char *id, char **ret_json, size_t *ret_len,
    int64_t *ret_coll, struct err *err)
{
	struct status_out o = { ret_json, ret_len, ret_coll };
	int r = pg_row1(ps(base), "SELECT body, coll FROM status WHERE id = $1",
	    "reading a status", err, fill_status, &o, PG_BINDS(PB_TEXT(id)));

	if (r == -LSN_ENOTFOUND)
		err_set(err, LSN_ENOTFOUND, "no status resource has the id '%s'", id);
	return r;
}

const struct store_objects_ops pg_objects_ops = {
	.version = STORE_OBJECTS_VERSION,
	.coll_add = pg_coll_add,
	.coll_find = pg_coll_find,
	.coll_list = pg_coll_list,
	.objects_add = pg_objects_add,
	.objects_query = pg_objects_query,
	.objects_delete = pg_objects_delete,
	.objects_count = pg_objects_count,
	.status_put = pg_status_put,
	.status_get = pg_status_get,
	.user_add = pg_user_add,
	.user_find = pg_user_find,
	.user_get = pg_user_get,
	.user_list = pg_user_list,
	.user_remove = pg_user_remove,
	.grant_set = pg_grant_set,
	.grant_list = pg_grant_list,
	.token_add = pg_token_add,
	.token_find = pg_token_find,
};
