/*
 * The ledger over a real SQLite store (src/ledger/ledger.c, witness.c,
 * verify.c): appends keep the stored tree equal to an in-memory one,
 * checkpoints are signed only when the log grew and never against a
 * changed tree, proofs verify against signed roots, the witness side
 * answers 200/409/422/404/403 as c2sp.org/tlog-witness says and keeps
 * equivocation evidence, and ledger_verify names the first bad leaf.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "crypto/cx.h"
#include "ledger/ledger.h"
#include "store/store.h"
#include "util/err.h"
#include "../store/scratch.h"

struct fx {
	char dir[SCRATCH_DIR_MAX], path[SCRATCH_PATH_MAX];
	struct store *s;
	struct cx_key *ka, *kc;       /* this node (a) and a partner (c) */
	uint8_t pa[32], pc[32];
	struct ledger_id ida, idc;
	struct store_partner c;
	struct merkle_range mirror;   /* the same leaves, in memory */
};

static void
entry(uint64_t i, uint8_t out[64])
{
	memset(out, 0, 64);
	memcpy(out, LEDGER_ENTRY_MAGIC, 4);
	out[4] = LEDGER_ENTRY_ENVELOPE;
	memcpy(out + 8, &i, sizeof(i));
}

static void
append_n(struct fx *f, uint64_t n)
{
	struct err err = ERR_INIT;
	uint8_t e[64], h[MERKLE_HASH_LEN];
	uint64_t i, idx;

	assert_int_equal(store_begin(f->s, &err), 0);
	for (i = 0; i < n; i++) {
		entry(f->mirror.size, e);
		assert_int_equal(ledger_append(f->s, e, sizeof(e), &idx, &err), 0);
		assert_true(idx == f->mirror.size);
		merkle_leaf_hash(e, sizeof(e), h);
		merkle_range_append(&f->mirror, h, NULL, NULL);
	}
	assert_int_equal(store_commit(f->s, &err), 0);
}

static uint64_t
sign(struct fx *f, int64_t now, int want)
{
	struct err err = ERR_INIT;
	uint64_t size = 0;
	int r;

	assert_int_equal(store_begin(f->s, &err), 0);
	r = ledger_sign(f->s, &f->ida, f->ka, now, &size, &err);
	if (r < 0)
		store_rollback(f->s);
	else
		assert_int_equal(store_commit(f->s, &err), 0);
	if (r != want)
		fail_msg("ledger_sign: %d (%s), want %d", r, err.msg, want);
	return size;
}

static int
setup(void **state)
{
	static const uint8_t sa[32] = { 1 }, sc[32] = { 3 };
	struct fx *f = calloc(1, sizeof(*f));
	struct store_collection inbox = { 0 };
	struct err err = ERR_INIT;

	scratch_store_open("ledger", f->dir, f->path, &f->s);
	assert_int_equal(cx_key_from_raw(sa, &f->ka, &err), 0);
	assert_int_equal(cx_key_from_raw(sc, &f->kc, &err), 0);
	cx_key_public(f->ka, f->pa);
	cx_key_public(f->kc, f->pc);
	assert_int_equal(ledger_id_init(&f->ida, "cert-a", f->pa, &err), 0);
	assert_int_equal(ledger_id_init(&f->idc, "cert-c", f->pc, &err), 0);
	snprintf(inbox.title, sizeof(inbox.title), "from-cert-c");
	snprintf(inbox.id, sizeof(inbox.id), "11111111-2222-4333-8444-555555555555");
	assert_int_equal(store_coll_add(f->s, &inbox, &err), 0);
	snprintf(f->c.name, sizeof(f->c.name), "cert-c");
	memcpy(f->c.key, f->pc, 32);
	cx_sha256(f->pc, 32, f->c.key_id);
	memset(f->c.spki, 0x5c, 32);
	snprintf(f->c.endpoint, sizeof(f->c.endpoint), "https://127.0.0.1:1");
	f->c.inbox = inbox.rowid;
	f->c.active = 1;
	assert_int_equal(store_partner_add(f->s, &f->c, "{}", &err), 0);
	merkle_range_init(&f->mirror);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	cx_key_free(f->ka);
	cx_key_free(f->kc);
	scratch_store_remove(f->s, f->dir);
	free(f);
	return 0;
}

/* Appends match the in-memory tree; checkpoints only when the log grew; proofs verify. */
static void
test_append_sign_prove(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_checkpoint c;
	struct tlog_proof tp;
	uint8_t root[MERKLE_HASH_LEN], leaf[MERKLE_HASH_LEN];
	char *out = malloc(65536);
	size_t len;

	assert_int_equal(sign(f, 1000000, 0), 0);          /* the empty log */
	append_n(f, 1);
	assert_int_equal(sign(f, 2000000, 0), 1);
	append_n(f, 299);
	assert_int_equal(sign(f, 3000000, 0), 300);
	assert_int_equal(sign(f, 4000000, 0), 300);        /* nothing new: nothing signed */
	assert_int_equal(store_ckpt_latest(f->s, 0, &c, &err), 0);
	assert_true(c.size == 300 && c.time_us == 3000000);
	merkle_range_root(&f->mirror, root);
	assert_memory_equal(c.root, root, 32);
	/* the root the store's rows give is the in-memory tree's */
	assert_int_equal(merkle_root(300, ledger_node, f->s, leaf, &err), 0);
	assert_memory_equal(leaf, root, 32);
	/* a proof needs a cosigned checkpoint */
	assert_int_equal(ledger_prove(f->s, 5, UINT64_MAX, out, 65536, &len, &err), -LSN_ENOTFOUND);
	assert_int_equal(ledger_prove(f->s, 5, 300, out, 65536, &len, &err), 0);
	assert_int_equal(tlog_proof_parse(out, len, &tp, &err), 0);
	assert_true(tp.index == 5 && tp.has_extra && tp.extra_len == 64);
	merkle_leaf_hash(tp.extra, tp.extra_len, leaf);
	assert_int_equal(merkle_verify_inclusion(5, 300, leaf, (const merkle_hash *)tp.hashes,
	    tp.n_hashes, root, &err), 0);
	assert_int_equal(ledger_prove(f->s, 300, 300, out, 65536, &len, &err), -LSN_EINVAL);
	free(out);
}

/*
 * Tampering from outside the store: sql on SQLite, pg_sql (the same change
 * in PostgreSQL's words) on PostgreSQL. 0 if it ran.
 */
static int
exec_sql2(struct fx *f, const char *sql, const char *pg_sql)
{
	sqlite3 *db;
	int r;

	if (scratch_pg() != NULL) {
		PGconn *c = PQconnectdb(f->path);
		PGresult *res = PQexec(c, pg_sql);

		r = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;
		PQclear(res);
		PQfinish(c);
		return r;
	}
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	r = sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
	sqlite3_close(db);
	return r;
}

static void
exec_sql(struct fx *f, const char *sql, const char *pg_sql)
{
	assert_int_equal(exec_sql2(f, sql, pg_sql), 0);
}

/* A changed tree: verify names the leaf, and no checkpoint is signed against it. */
static void
test_refuse_inconsistent(void **state)
{
	struct fx *f = *state;
	struct ledger_verify_report rep;
	struct err err = ERR_INIT;

	append_n(f, 40);
	assert_int_equal(sign(f, 1000000, 0), 40);
	assert_int_equal(ledger_verify(f->s, &f->ida, &rep, &err), 0);
	assert_true(rep.ok && rep.leaves == 40 && rep.checkpoints == 1 &&
	    rep.n_envelope_leaves == 40);
	ledger_verify_release(&rep);
	append_n(f, 5);
	/* leaf 17's entry rewritten: verify names it */
	exec_sql(f, "UPDATE ledger_entries SET entry = X'4c5345310100000000' WHERE idx = 17;",
	    "UPDATE ledger_entries SET entry = '\\x4c5345310100000000'::bytea WHERE idx = 17");
	assert_int_equal(ledger_verify(f->s, &f->ida, &rep, &err), 0);
	assert_false(rep.ok);
	assert_true(rep.first_bad == 17);
	assert_non_null(strstr(rep.problem, "leaf 17"));
	ledger_verify_release(&rep);
	/*
	 * The subtree of leaves 0-31, which the signed root of size 40 covers,
	 * rewritten in leaf 31's row: the stored tree no longer has that root,
	 * and no checkpoint is signed against it.
	 */
	exec_sql(f, "UPDATE ledger_tree SET hashes = substr(hashes, 1, 160) || zeroblob(32) "
	    "WHERE idx = 31;", "UPDATE ledger_tree SET hashes = substr(hashes, 1, 160) || "
	    "decode(repeat('00', 32), 'hex') WHERE idx = 31");
	sign(f, 2000000, -LSN_ECONFLICT);
	assert_int_equal(ledger_verify(f->s, &f->ida, &rep, &err), 0);
	assert_false(rep.ok);
	assert_true(rep.first_bad == 17);   /* still the first bad leaf */
	ledger_verify_release(&rep);
}

/* A checkpoint of partner C's log, signed by C: the add-checkpoint body for it. */
static size_t
req_by(const struct ledger_id *id, const struct cx_key *key, uint64_t old, uint64_t size,
    uint8_t fill, char *out, size_t cap)
{
	struct checkpoint cp = { 0 };
	struct err err = ERR_INIT;
	char note[1024];
	size_t tlen, slen, len;

	snprintf(cp.origin, sizeof(cp.origin), "%s", id->origin);
	cp.size = size;
	memset(cp.root, fill, 32);
	assert_int_equal(checkpoint_format(&cp, note, sizeof(note), &tlen, &err), 0);
	note[tlen] = '\n';
	assert_int_equal(note_sign(&id->log_key, key, note, tlen, note + tlen + 1,
	    sizeof(note) - tlen - 1, &slen, &err), 0);
	assert_int_equal(witness_req_format(old, NULL, 0, note, tlen + 1 + slen, out, cap, &len,
	    &err), 0);
	return len;
}

static size_t
c_request(struct fx *f, uint64_t old, uint64_t size, uint8_t fill, char *out, size_t cap)
{
	return req_by(&f->idc, f->kc, old, size, fill, out, cap);
}

static int
witness(struct fx *f, const char *body, size_t len, struct ledger_witness_out *out)
{
	struct err err = ERR_INIT;
	struct store_partner p;

	assert_int_equal(store_partner_find(f->s, "cert-c", &p, &err), 0);
	assert_int_equal(store_begin(f->s, &err), 0);
	assert_int_equal(ledger_witness_add(f->s, &f->ida, f->ka, &p, body, len, 5000000, out,
	    &err), 0);
	assert_int_equal(store_commit(f->s, &err), 0);
	return out->status;
}

static void
test_witness(void **state)
{
	struct fx *f = *state;
	struct ledger_witness_out out;
	struct store_checkpoint c;
	struct store_partner p;
	struct err err = ERR_INIT;
	struct note n;
	char body[4096], note[4096];
	uint64_t eq = 0;
	size_t len;

	len = c_request(f, 0, 4, 0xaa, body, sizeof(body));
	assert_int_equal(witness(f, body, len, &out), 200);
	/* the cosignature verifies with A's witness key */
	assert_int_equal(store_ckpt_latest(f->s, f->c.rowid, &c, &err), 0);
	assert_true(c.size == 4);
	memcpy(note, c.note, c.note_len);
	assert_int_equal(note_parse(note, c.note_len, &n, &err), 0);
	assert_int_equal(note_verify(&n, &f->ida.witness_key, NULL, &err), 0);
	assert_int_equal(note_verify(&n, &f->idc.log_key, NULL, &err), 0);
	/* stale old size: 409 with the size held */
	len = c_request(f, 2, 6, 0xbb, body, sizeof(body));
	assert_int_equal(witness(f, body, len, &out), 409);
	assert_true(out.size == 4);
	/* another origin: 404; C's origin signed by another key: 403 */
	len = req_by(&f->ida, f->ka, 4, 4, 0xaa, body, sizeof(body));
	assert_int_equal(witness(f, body, len, &out), 404);
	{
		struct ledger_id forged = f->idc;
		forged.log_key = f->ida.log_key;
		snprintf(forged.log_key.name, sizeof(forged.log_key.name), "%s", f->idc.origin);
		assert_int_equal(note_key_init(&forged.log_key, f->idc.origin, NOTE_TYPE_ED25519,
		    f->pa, &err), 0);
		len = req_by(&forged, f->ka, 4, 4, 0xaa, body, sizeof(body));
		assert_int_equal(witness(f, body, len, &out), 403);
	}
	/* the same checkpoint again (a heartbeat): cosigned again */
	len = c_request(f, 4, 4, 0xaa, body, sizeof(body));
	assert_int_equal(witness(f, body, len, &out), 200);
	/* a second root for size 4: 422, equivocation kept, compromised, then 403 */
	len = c_request(f, 4, 4, 0xcc, body, sizeof(body));
	assert_int_equal(witness(f, body, len, &out), 422);
	assert_true(out.equivocation);
	assert_int_equal(store_equivocation_count(f->s, 0, &eq, &err), 0);
	assert_true(eq == 1);
	assert_int_equal(store_partner_find(f->s, "cert-c", &p, &err), 0);
	assert_true(p.compromised_us == 5000000);
	len = c_request(f, 4, 4, 0xaa, body, sizeof(body));
	assert_int_equal(witness(f, body, len, &out), 403);
	/* the evidence cannot be deleted */
	assert_int_not_equal(exec_sql2(f, "DELETE FROM equivocations", "DELETE FROM equivocations"),
	    0);
	assert_int_equal(store_equivocation_count(f->s, 0, &eq, &err), 0);
	assert_true(eq == 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_sign_prove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_inconsistent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_witness, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
