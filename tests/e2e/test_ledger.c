/*
 * End-to-end: the witnessed ledger. Two real nodes A and B exchange a few
 * hundred indicators both ways; then every envelope has a stored inclusion
 * proof in the partner's log whose index is the leaf the partner's receipt
 * names, `log verify` passes on both, each node's checkpoint carries the
 * other's witness cosignature, and `log prove` gives a tlog-proof that
 * recomputes the checkpoint root. Tampering with a stopped node's database
 * copy (an entry changed, deleted or swapped, an envelope's bytes, a
 * checkpoint) makes `log verify` exit 1 naming the leaf. Last, a fake
 * partner C (its own keys, mutual TLS, never started) forks its log in
 * front of A's witness: 200 with a cosignature, 409 with the size held,
 * 422 on a second root for one size, the evidence kept, C marked
 * compromised and refused (403) from then on.
 */
#include "e2e.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/cx.h"
#include "wire/envelope.h"
#include "exchange/exchange.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "util/enc.h"
#include "util/err.h"

#define PW "ledger-password"
#define A_OBJECTS 300
#define B_OBJECTS 60
#define PER_POST 50
#define DELIVER_TIMEOUT_S 90

static struct e2e_node A, B, C;
static struct e2e_client a_admin, b_admin;
static char a_shared[64], b_shared[64], a_from_b[64], b_from_a[64];
static struct note_key a_logk, a_witk, b_logk, b_witk;
static int64_t t_start;

#define log_time(...) e2e_log_time(t_start, __VA_ARGS__)

/* ---- the store, read-only or on a copy ---- */

/* The node's store from outside, SQLite file or PostgreSQL database (e2e_db.c). */
static struct e2e_db *
db_open(const struct e2e_node *n, int rw)
{
	return e2e_db_open(n, rw);
}

/* The single integer a query gives. */
static long long
db_int(struct e2e_db *db, const char *sql)
{
	return e2e_db_int(db, sql);
}

static void
db_exec(struct e2e_db *db, const char *sql)
{
	if (e2e_db_exec(db, sql, NULL) != 0)
		fail_msg("'%s' failed", sql);
}

/* Copies of a blob column's value (malloc'd; *ret_len). NULL if no row. */
static uint8_t *
db_blob(struct e2e_db *db, const char *sql, long long arg, size_t *ret_len)
{
	return e2e_db_blob(db, sql, arg, ret_len);
}

static void
db_set_blob(struct e2e_db *db, const char *sql, const uint8_t *b, size_t n, long long arg)
{
	e2e_db_set_blob(db, sql, b, n, arg);
}

/* ---- notes and keys ---- */

/* Line i (0-based) of s into out; 0 if there is none. */
static int
nth_line(const char *s, int i, char *out, size_t cap)
{
	const char *e;

	for (; i > 0 && s != NULL; i--)
		s = (s = strchr(s, '\n')) ? s + 1 : NULL;
	if (s == NULL || *s == '\0')
		return 0;
	e = strchrnul(s, '\n');
	snprintf(out, cap, "%.*s", (int)(e - s), s);
	return 1;
}

/* n's `log key`: its log key (line 1) and witness key (line 2), checked by name. */
static void
load_vkeys(const struct e2e_node *n, struct note_key *logk, struct note_key *witk)
{
	struct err err = ERR_INIT;
	char *out = NULL, l1[NOTE_VKEY_MAX], l2[NOTE_VKEY_MAX], want[160];
	int rc = e2e_liaison(n, NULL, &out, NULL, "log", "key", NULL);

	if (rc != 0 || !nth_line(out, 0, l1, sizeof(l1)) || !nth_line(out, 1, l2, sizeof(l2)))
		fail_msg("liaison log key (%s) exited %d: %s", n->name, rc, out ? out : "");
	if (note_vkey_parse(l1, strlen(l1), logk, &err) < 0 ||
	    note_vkey_parse(l2, strlen(l2), witk, &err) < 0)
		fail_msg("`log key` of %s does not parse (%s): %s", n->name, err.msg, out);
	snprintf(want, sizeof(want), "liaison/%s/log/", n->name);
	if (strncmp(logk->name, want, strlen(want)) != 0 || logk->type != NOTE_TYPE_ED25519)
		fail_msg("%s's log key is '%s' type %d", n->name, logk->name, logk->type);
	snprintf(want, sizeof(want), "liaison/%s/witness/", n->name);
	if (strncmp(witk->name, want, strlen(want)) != 0 || witk->type != NOTE_TYPE_COSIG)
		fail_msg("%s's witness key is '%s' type %d", n->name, witk->name, witk->type);
	if (strcmp(logk->name + strlen("liaison/") + strlen(n->name) + 5,
	    witk->name + strlen("liaison/") + strlen(n->name) + 9) != 0)
		fail_msg("%s's log and witness names end differently: %s %s", n->name, logk->name,
		    witk->name);
	free(out);
}

/* Parses a signed checkpoint note; returns note_verify's result for key k (sig must be there). */
static int
ckpt_check(const char *note, size_t len, const struct note_key *k, struct checkpoint *cp)
{
	struct err err = ERR_INIT;
	struct note n;

	if (note_parse(note, len, &n, &err) < 0 || checkpoint_parse(n.text, n.text_len, cp, &err) < 0)
		fail_msg("not a signed checkpoint (%s):\n%.*s", err.msg, (int)len, note);
	return note_verify(&n, k, NULL, &err);
}

static uint64_t
be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* ---- exchange ---- */

static void
post_indicators(struct e2e_client *c, const char *coll, size_t n, const char *tag)
{
	char u[37], id[64], name[96], o[1024];
	char **v = calloc(PER_POST, sizeof(*v));
	size_t i = 0, k;

	while (i < n) {
		json_t *st;
		for (k = 0; k < PER_POST && i + k < n; k++) {
			e2e_uuid4(u);
			snprintf(id, sizeof(id), "indicator--%s", u);
			snprintf(name, sizeof(name), "%s-%zu", tag, i + k);
			e2e_indicator(o, sizeof(o), id, name, (int64_t)(i + k));
			v[k] = strdup(o);
		}
		st = e2e_post_objs(c, coll, (const char *const *)v, k);
		e2e_assert_status(st, k, k, 0);
		json_decref(st);
		while (k > 0)
			free(v[--k]);
		i += PER_POST;
	}
	free(v);
}

/* Leaves of a node's log: its envelopes, and one for each agreement it came to hold. */
static long long
leaf_count(const struct e2e_node *n)
{
	struct e2e_db *db = db_open(n, 0);
	long long v = db_int(db, "SELECT count(*) FROM ledger_entries");

	e2e_db_close(db);
	return v;
}

/* Envelopes of one node: total, without proof, sent without receipt. */
static void
env_counts(const struct e2e_node *n, long long *total, long long *no_proof, long long *no_rcpt,
    long long *no_leaf)
{
	struct e2e_db *db = db_open(n, 0);

	*total = db_int(db, "SELECT count(*) FROM envelopes");
	*no_proof = db_int(db, "SELECT count(*) FROM envelopes WHERE proof IS NULL");
	*no_rcpt = db_int(db, "SELECT count(*) FROM envelopes WHERE dir = 0 AND receipt IS NULL");
	*no_leaf = db_int(db, "SELECT count(*) FROM envelopes WHERE leaf IS NULL");
	e2e_db_close(db);
}

/* The latest checkpoint of n, with a cosignature of witness key k that verifies; 0 if not yet. */
static int
ckpt_cosigned(const struct e2e_node *n, const struct note_key *own, const struct note_key *k,
    struct checkpoint *cp)
{
	char *out = NULL;
	int rc = e2e_liaison(n, NULL, &out, NULL, "log", "checkpoint", NULL), ok;

	if (rc != 0)
		fail_msg("liaison log checkpoint (%s) exited %d", n->name, rc);
	if (ckpt_check(out, strlen(out), own, cp) != 0)
		fail_msg("%s's checkpoint does not verify with its own log key:\n%s", n->name, out);
	ok = ckpt_check(out, strlen(out), k, cp) == 0;
	free(out);
	return ok;
}

static void
test_exchange_and_proofs(void **state)
{
	const char *a_started[] = { "\"event\":\"link_started\"", "\"partner\":\"cert-b\"", NULL };
	const char *b_started[] = { "\"event\":\"link_started\"", "\"partner\":\"cert-a\"", NULL };
	int64_t t0, dl;
	long long ta, pa, ra, la, tb, pb, rb, lb;
	struct checkpoint cpa, cpb;
	int ok;

	(void)state;
	json_decref(e2e_pair(&A, &B, NULL));
	json_decref(e2e_pair(&B, &A, NULL));
	e2e_coll_id(&A, "from-cert-b", a_from_b);
	e2e_coll_id(&B, "from-cert-a", b_from_a);
	if (e2e_log_wait(&A, a_started, 1, 5000) != 1 || e2e_log_wait(&B, b_started, 1, 5000) != 1)
		fail_msg("a daemon did not start its link within 5 s of `partner add`");
	load_vkeys(&A, &a_logk, &a_witk);
	load_vkeys(&B, &b_logk, &b_witk);

	t0 = e2e_now_ms();
	post_indicators(&a_admin, a_shared, A_OBJECTS, "from-a");
	post_indicators(&b_admin, b_shared, B_OBJECTS, "from-b");
	log_time("posted %d objects on A, %d on B", A_OBJECTS, B_OBJECTS);

	/* delivered, every envelope a leaf with a stored proof, each checkpoint cosigned */
	dl = t0 + DELIVER_TIMEOUT_S * 1000;
	for (;;) {
		size_t nb = e2e_count(&b_admin, b_from_a), na = e2e_count(&a_admin, a_from_b);
		env_counts(&A, &ta, &pa, &ra, &la);
		env_counts(&B, &tb, &pb, &rb, &lb);
		ok = nb == A_OBJECTS && na == B_OBJECTS && ta > 0 && ta == tb && pa == 0 && pb == 0 &&
		    ra == 0 && rb == 0 && la == 0 && lb == 0;
		if (ok)
			ok = ckpt_cosigned(&A, &a_logk, &b_witk, &cpa) &&
			    ckpt_cosigned(&B, &b_logk, &a_witk, &cpb) &&
			    cpa.size == (uint64_t)leaf_count(&A) && cpb.size == (uint64_t)leaf_count(&B);
		if (ok)
			break;
		if (e2e_now_ms() > dl)
			fail_msg("not settled within %d s: B has %zu/%d objects, A %zu/%d; A: %lld envelopes, "
			    "%lld without proof, %lld unreceipted, %lld without leaf; B: %lld, %lld, %lld, %lld",
			    DELIVER_TIMEOUT_S, nb, A_OBJECTS, na, B_OBJECTS, ta, pa, ra, la, tb, pb, rb, lb);
		e2e_sleep_ms(200);
	}
	log_time("settled in %.1f s: %lld envelopes on each side, all with proofs; checkpoints "
	    "A %" PRIu64 ", B %" PRIu64 " cosigned", (double)(e2e_now_ms() - t0) / 1000, ta,
	    cpa.size, cpb.size);
}

/* `log verify` passes, and its JSON report counts what the database holds. */
static void
check_verify_ok(const struct e2e_node *n)
{
	char *out = NULL, *err = NULL;
	json_t *j;
	struct e2e_db *db;
	long long envs, leaves;
	int rc = e2e_liaison(n, NULL, &out, &err, "log", "verify", NULL);

	if (rc != 0 || strstr(out, "ledger OK:") == NULL)
		fail_msg("liaison log verify (%s) exited %d: %s %s", n->name, rc, out, err);
	free(out);
	free(err);
	j = e2e_liaison_json(n, "log", "verify", NULL);
	db = db_open(n, 0);
	envs = db_int(db, "SELECT count(*) FROM envelopes");
	leaves = db_int(db, "SELECT count(*) FROM ledger_entries");
	if (!json_is_true(json_object_get(j, "ok")) ||
	    json_integer_value(json_object_get(j, "leaves")) != leaves ||
	    json_integer_value(json_object_get(j, "envelope_entries")) != envs ||
	    leaves != envs + db_int(db, e2e_db_is_pg(db) ?
	    "SELECT count(*) FROM ledger_entries WHERE get_byte(entry, 4) = 2" :
	    "SELECT count(*) FROM ledger_entries WHERE substr(entry, 5, 1) = x'02'") ||
	    json_integer_value(json_object_get(j, "first_bad_index")) != -1 ||
	    json_integer_value(json_object_get(j, "checkpoints")) < 1 ||
	    json_integer_value(json_object_get(j, "cosignatures")) < 1 ||
	    json_integer_value(json_object_get(j, "partner_checkpoints")) < 1)
		fail_msg("%s: log verify --json %s, but the db has %lld envelopes and %lld entries",
		    n->name, json_dumps(j, JSON_COMPACT), envs, leaves);
	if (db_int(db, "SELECT max(idx) FROM ledger_entries") != leaves - 1)
		fail_msg("%s: ledger_entries indexes are not 0..%lld", n->name, leaves - 1);
	e2e_db_close(db);
	json_decref(j);
}

/* `log prove --index idx` on n: a tlog-proof whose entry and hashes give the checkpoint root. */
static void
check_prove(const struct e2e_node *n, uint64_t idx, const struct note_key *logk,
    const struct note_key *peer_witk)
{
	struct err err = ERR_INIT;
	struct tlog_proof *p = calloc(1, sizeof(*p));
	struct checkpoint cp;
	uint8_t leaf[MERKLE_HASH_LEN], *entry;
	char *out = NULL, arg[32];
	size_t elen = 0;
	struct e2e_db *db;
	int rc;

	snprintf(arg, sizeof(arg), "%" PRIu64, idx);
	rc = e2e_liaison(n, NULL, &out, NULL, "log", "prove", "--index", arg, NULL);
	if (rc != 0)
		fail_msg("liaison log prove --index %s (%s) exited %d", arg, n->name, rc);
	if (strncmp(out, "c2sp.org/tlog-proof@v1\n", 23) != 0)
		fail_msg("log prove does not start with the tlog-proof magic: %s", out);
	if (tlog_proof_parse(out, strlen(out), p, &err) < 0)
		fail_msg("log prove output does not parse (%s):\n%s", err.msg, out);
	/* an envelope's entry, or the agreement the node came to hold (the first leaf) */
	if (p->index != idx || !p->has_extra || memcmp(p->extra, LEDGER_ENTRY_MAGIC, 4) != 0 ||
	    !((p->extra_len == ENV_ENTRY_LEN && p->extra[4] == LEDGER_ENTRY_ENVELOPE) ||
	    (p->extra_len == AGR_ENTRY_LEN && p->extra[4] == LEDGER_ENTRY_AGREEMENT)))
		fail_msg("proof of %s: index %" PRIu64 ", extra %zu bytes starting %.4s type %d", arg,
		    p->index, p->extra_len, (const char *)p->extra, p->extra[4]);
	/* the extra is the stored entry */
	db = db_open(n, 0);
	entry = db_blob(db, "SELECT entry FROM ledger_entries WHERE idx = ?", (long long)idx, &elen);
	e2e_db_close(db);
	if (entry == NULL || elen != p->extra_len || memcmp(entry, p->extra, elen) != 0)
		fail_msg("the proof's extra is not ledger entry %s of %s", arg, n->name);
	free(entry);
	if (ckpt_check(p->checkpoint, p->checkpoint_len, logk, &cp) != 0)
		fail_msg("the proof's checkpoint is not signed by %s's log key", n->name);
	if (ckpt_check(p->checkpoint, p->checkpoint_len, peer_witk, &cp) != 0)
		fail_msg("the proof's checkpoint has no valid cosignature of %s", peer_witk->name);
	if (strcmp(cp.origin, logk->name) != 0 || cp.size <= idx)
		fail_msg("the proof's checkpoint is of origin %s size %" PRIu64, cp.origin, cp.size);
	merkle_leaf_hash(p->extra, p->extra_len, leaf);
	if (merkle_verify_inclusion(idx, cp.size, leaf, (const merkle_hash *)p->hashes, p->n_hashes,
	    cp.root, &err) < 0)
		fail_msg("the proof of leaf %s does not give the checkpoint's root: %s", arg, err.msg);
	/* and one flipped bit of the entry does not */
	p->extra[p->extra_len / 2] ^= 1;
	merkle_leaf_hash(p->extra, p->extra_len, leaf);
	if (merkle_verify_inclusion(idx, cp.size, leaf, (const merkle_hash *)p->hashes, p->n_hashes,
	    cp.root, &err) == 0)
		fail_msg("a changed entry still verifies against the checkpoint");
	free(out);
	free(p);
}

/*
 * On snd, every envelope sent to rcv: the receipt (208 bytes) names leaf L
 * of rcv's log at bytes 136..143, the stored proof has index L, its entry
 * is rcv's ledger entry L, the proof gives the root of a checkpoint signed
 * by rcv's log key, and rcv's envelope row has leaf L. Returns how many.
 */
static size_t
check_receipts(const struct e2e_node *snd, const struct e2e_node *rcv,
    const struct note_key *rcv_logk)
{
	struct err err = ERR_INIT;
	struct tlog_proof *p = calloc(1, sizeof(*p));
	struct e2e_db *ds = db_open(snd, 0), *dr = db_open(rcv, 0);
	struct checkpoint cp;
	uint8_t leaf[MERKLE_HASH_LEN], *entry, *rc;
	size_t n = 0, elen = 0, rlen = 0, plen = 0;
	long long seq, last = db_int(ds, "SELECT coalesce(max(seq), 0) FROM envelopes WHERE dir = 0");

	for (seq = 1; seq <= last; seq++) {
		char *proof;
		long long at;
		uint64_t L;
		int found;

		rc = db_blob(ds, "SELECT receipt FROM envelopes WHERE dir = 0 AND seq = ?", seq, &rlen);
		if (rc == NULL || rlen != 208)
			fail_msg("%s's envelope %lld to %s: receipt of %zu bytes", snd->name, seq, rcv->name,
			    rc ? rlen : 0);
		L = be64(rc + 136);
		free(rc);
		proof = (char *)db_blob(ds, "SELECT proof FROM envelopes WHERE dir = 0 AND seq = ?", seq,
		    &plen);
		if (proof == NULL || tlog_proof_parse(proof, strlen(proof), p, &err) < 0)
			fail_msg("%s's envelope %lld: stored proof does not parse (%s): %s", snd->name, seq,
			    err.msg, proof ? proof : "(null)");
		free(proof);
		if (p->index != L)
			fail_msg("%s's envelope %lld: receipt names leaf %" PRIu64 ", the proof index %" PRIu64,
			    snd->name, seq, L, p->index);
		entry = db_blob(dr, "SELECT entry FROM ledger_entries WHERE idx = ?", (long long)L, &elen);
		if (entry == NULL || elen != p->extra_len || memcmp(entry, p->extra, elen) != 0)
			fail_msg("%s's envelope %lld: the proof's entry is not %s's ledger entry %" PRIu64,
			    snd->name, seq, rcv->name, L);
		free(entry);
		if (ckpt_check(p->checkpoint, p->checkpoint_len, rcv_logk, &cp) != 0)
			fail_msg("%s's envelope %lld: the proof's checkpoint is not signed by %s", snd->name,
			    seq, rcv->name);
		merkle_leaf_hash(p->extra, p->extra_len, leaf);
		if (merkle_verify_inclusion(L, cp.size, leaf, (const merkle_hash *)p->hashes, p->n_hashes,
		    cp.root, &err) < 0)
			fail_msg("%s's envelope %lld: proof does not verify: %s", snd->name, seq, err.msg);
		at = e2e_db_int1(dr, "SELECT leaf FROM envelopes WHERE dir = 1 AND seq = ?", seq, &found);
		if (!found || (uint64_t)at != L)
			fail_msg("%s's envelope %lld: %s has it at leaf %lld, the receipt says %" PRIu64,
			    snd->name, seq, rcv->name, at, L);
		n++;
	}
	e2e_db_close(ds);
	e2e_db_close(dr);
	free(p);
	if (n == 0)
		fail_msg("%s sent no envelopes to %s", snd->name, rcv->name);
	return n;
}

static void
test_verify_prove_receipts(void **state)
{
	struct checkpoint cp;
	size_t ab, ba;

	(void)state;
	check_verify_ok(&A);
	check_verify_ok(&B);
	if (!ckpt_cosigned(&A, &a_logk, &b_witk, &cp) || !ckpt_cosigned(&B, &b_logk, &a_witk, &cp))
		fail_msg("a checkpoint lost its partner's cosignature");
	check_prove(&A, 0, &a_logk, &b_witk);
	check_prove(&B, 0, &b_logk, &a_witk);
	check_prove(&A, 7, &a_logk, &b_witk);
	check_prove(&B, 1, &b_logk, &a_witk);
	ab = check_receipts(&A, &B, &b_logk);
	ba = check_receipts(&B, &A, &a_logk);
	log_time("verify OK on both; prove checked; %zu receipts A->B and %zu B->A match their proofs",
	    ab, ba);
}

/* ---- evidence: exported from the running pair, verified offline ---- */

/* `liaison evidence verify FILE --json` with no node home: its exit code; ret_n envelopes. */
static int
verify_bundle(const char *file, long long *ret_n)
{
	char bin[512], *out = NULL, *err = NULL;
	const char *argv[] = { e2e_bin("liaison", bin), "evidence", "verify", file, "--json", NULL };
	json_error_t je;
	json_t *j;
	int rc = e2e_run2(argv, NULL, &out, &err);

	if (ret_n != NULL && (j = json_loads(out ? out : "", 0, &je)) != NULL) {
		*ret_n = (long long)json_array_size(json_object_get(j, "envelopes"));
		json_decref(j);
	}
	free(out);
	free(err);
	return rc;
}

static char *
read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long n = 0;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0)
		fail_msg("cannot read %s", path);
	rewind(f);
	b = malloc((size_t)n);
	if (b == NULL || fread(b, 1, (size_t)n, f) != (size_t)n)
		fail_msg("cannot read %s", path);
	fclose(f);
	*ret_len = (size_t)n;
	return b;
}

static void
write_file(const char *path, const char *b, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(b, 1, len, f) != len || fclose(f) != 0)
		fail_msg("cannot write %s", path);
}

/* Exports (retrying while the last envelopes wait for their witness) into file. */
static void
export_bundle(const struct e2e_node *n, const char *file, const char *sel, const char *val)
{
	char *out = NULL, *err = NULL;
	int rc = -1, tries;

	for (tries = 0; tries < 50; tries++) {
		free(out);
		free(err);
		out = err = NULL;
		rc = e2e_liaison(n, NULL, &out, &err, "evidence", "export", sel, val, "-o", file,
		    NULL);
		if (rc == 0)
			break;
		e2e_sleep_ms(200);
	}
	if (rc != 0)
		fail_msg("evidence export %s %s on %s exited %d: %s %s", sel, val, n->name, rc, out,
		    err);
	free(out);
	free(err);
}

static void
test_evidence(void **state)
{
	char file[300], bad[300], id[65];
	char *b, *out = NULL, *err = NULL;
	long long n = -1, want;
	size_t len, pos, flips = 0;
	json_error_t je;
	json_t *j;

	(void)state;
	{
		long long np, nr, nl;
		env_counts(&A, &want, &np, &nr, &nl);
	}
	snprintf(file, sizeof(file), "%s/a.evidence", A.home);
	export_bundle(&A, file, "--partner", "cert-b");
	if (verify_bundle(file, &n) != 0 || n != want)
		fail_msg("A's bundle: verify failed or holds %lld envelopes, want %lld", n, want);
	/* one envelope, by id, from B's side */
	if (e2e_liaison(&B, NULL, &out, &err, "envelope", "list", "--partner", "cert-a", "--in",
	    "--limit", "1", "--json", NULL) != 0 || (j = json_loads(out, 0, &je)) == NULL)
		fail_msg("envelope list on B: %s %s", out, err);
	snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(json_array_get(
	    json_object_get(j, "envelopes"), 0), "id")));
	json_decref(j);
	snprintf(bad, sizeof(bad), "%s/b-one.evidence", B.home);
	export_bundle(&B, bad, "--envelope", id);
	if (verify_bundle(bad, &n) != 0 || n != 1)
		fail_msg("B's one-envelope bundle: verify failed or holds %lld envelopes", n);
	/* one altered byte anywhere: sampled across the whole file, ends included */
	b = read_file(file, &len);
	snprintf(bad, sizeof(bad), "%s/bad.evidence", A.home);
	for (pos = 0; pos < len; pos += pos < 64 || pos + 64 > len ? 1 : len / 97 + 1) {
		b[pos] ^= 0x01;
		write_file(bad, b, len);
		if (verify_bundle(bad, NULL) != 1)
			fail_msg("a bundle with byte %zu of %zu altered still verifies", pos, len);
		b[pos] ^= 0x01;
		flips++;
	}
	free(b);
	free(out);
	free(err);
	log_time("evidence: %lld envelopes exported by A verify offline; %zu one-byte changes all "
	    "refused; one envelope exported by id from B verifies", want, flips);
}

/* ---- tampering with a stopped node's copy ---- */

static int n_copies;

/* A fresh copy of B's (stopped) home; *copy names it. */
static void
copy_home(struct e2e_node *copy)
{
	const char *argv[] = { "/bin/cp", "-a", B.home, NULL, NULL };
	char dst[256];

	char url[512];

	*copy = B;
	snprintf(dst, sizeof(dst), "%s.copy%d", B.home, n_copies++);
	argv[3] = dst;
	if (e2e_run(argv, NULL, NULL) != 0)
		fail_msg("cp -a %s %s failed", B.home, dst);
	snprintf(copy->home, sizeof(copy->home), "%s", dst);
	copy->pid = 0;
	/* on PostgreSQL the store is not in the home: the copy gets a copy of the database */
	if (B.db[0] != '\0') {
		e2e_pg_copy(B.db, copy->db, url);
		e2e_node_conf(copy, "store", "url", url);
	}
}

static void
drop_copy(const struct e2e_node *copy)
{
	const char *argv[] = { "/bin/rm", "-rf", copy->home, NULL };

	if (getenv("E2E_KEEP") == NULL)
		e2e_run(argv, NULL, NULL);
	e2e_pg_drop(copy->db);
}

/*
 * `log verify` on copy exits 1 and names index want (-1: any problem, no
 * index required); the JSON report agrees.
 */
static void
expect_bad(const struct e2e_node *copy, long long want, const char *what)
{
	char *out = NULL, *err = NULL, needle[64];
	long long got = -2;
	json_t *j;
	json_error_t je;
	int rc = e2e_liaison(copy, NULL, &out, &err, "log", "verify", NULL);
	const char *p;

	if (rc != 1)
		fail_msg("%s: log verify exited %d (want 1): %s %s", what, rc, out, err);
	if ((p = strstr(err, "ledger BAD")) == NULL)
		fail_msg("%s: log verify said: %s", what, err);
	if (want >= 0) {
		snprintf(needle, sizeof(needle), "ledger BAD at index %lld:", want);
		if (strstr(err, needle) == NULL)
			fail_msg("%s: log verify should name index %lld: %s", what, want, err);
	}
	log_time("%s: %.*s", what, (int)strcspn(p, "\n"), p);
	free(out);
	free(err);
	out = err = NULL;
	rc = e2e_liaison(copy, NULL, &out, &err, "log", "verify", "--json", NULL);
	j = json_loads(out ? out : "", 0, &je);
	if (rc != 1 || j == NULL || !json_is_false(json_object_get(j, "ok")))
		fail_msg("%s: log verify --json exited %d: %s %s", what, rc, out, err);
	got = json_integer_value(json_object_get(j, "first_bad_index"));
	if (want >= 0 && got != want)
		fail_msg("%s: log verify --json first_bad_index %lld, want %lld", what, got, want);
	json_decref(j);
	free(out);
	free(err);
}

static void
test_tampering(void **state)
{
	struct e2e_node cp;
	struct e2e_db *db;
	uint8_t *b, *b2;
	size_t n, n2;
	long long leaves, k, i, j, env, leaf, size;
	int stopped = 0, rc;
	char *note;

	(void)state;
	rc = e2e_node_stop(&B, &stopped);
	if (rc != 0 || !stopped)
		fail_msg("B did not stop cleanly (status %d, stopped logged %d)", rc, stopped);

	/* the untouched copy verifies: the method itself is sound */
	copy_home(&cp);
	check_verify_ok(&cp);
	db = db_open(&cp, 0);
	leaves = db_int(db, "SELECT count(*) FROM ledger_entries");
	e2e_db_close(db);
	drop_copy(&cp);
	if (leaves < 6)
		fail_msg("B's log has only %lld leaves", leaves);
	k = leaves / 2;

	/* (a) one byte of entry k */
	copy_home(&cp);
	db = db_open(&cp, 1);
	b = db_blob(db, "SELECT entry FROM ledger_entries WHERE idx = ?", k, &n);
	b[n / 2] ^= 0x01;
	db_set_blob(db, "UPDATE ledger_entries SET entry = ? WHERE idx = ?", b, n, k);
	free(b);
	e2e_db_close(db);
	expect_bad(&cp, k, "(a) byte of entry changed");
	drop_copy(&cp);

	/* (b) entry k deleted */
	copy_home(&cp);
	db = db_open(&cp, 1);
	{
		char sql[96];
		snprintf(sql, sizeof(sql), "DELETE FROM ledger_entries WHERE idx = %lld", k);
		db_exec(db, sql);
	}
	e2e_db_close(db);
	expect_bad(&cp, k, "(b) entry deleted");
	drop_copy(&cp);

	/* (c) entries i < j swapped */
	i = 1;
	j = leaves - 2;
	copy_home(&cp);
	db = db_open(&cp, 1);
	b = db_blob(db, "SELECT entry FROM ledger_entries WHERE idx = ?", i, &n);
	b2 = db_blob(db, "SELECT entry FROM ledger_entries WHERE idx = ?", j, &n2);
	if (n == n2 && memcmp(b, b2, n) == 0)
		fail_msg("entries %lld and %lld are identical", i, j);
	db_set_blob(db, "UPDATE ledger_entries SET entry = ? WHERE idx = ?", b2, n2, i);
	db_set_blob(db, "UPDATE ledger_entries SET entry = ? WHERE idx = ?", b, n, j);
	free(b);
	free(b2);
	e2e_db_close(db);
	expect_bad(&cp, i, "(c) entries swapped");
	drop_copy(&cp);

	/* (d) one byte of an envelope's bytes: its leaf is named */
	copy_home(&cp);
	db = db_open(&cp, 1);
	env = db_int(db, "SELECT rowid FROM envelopes WHERE dir = 1 ORDER BY seq LIMIT 1 OFFSET 1");
	leaf = db_int(db, "SELECT leaf FROM envelopes WHERE dir = 1 ORDER BY seq LIMIT 1 OFFSET 1");
	b = db_blob(db, "SELECT bytes FROM envelope_bytes WHERE envelope = ?", env, &n);
	if (b == NULL)
		fail_msg("envelope %lld has no bytes", env);
	b[n - 10] ^= 0x20;
	db_set_blob(db, "UPDATE envelope_bytes SET bytes = ? WHERE envelope = ?", b, n, env);
	free(b);
	e2e_db_close(db);
	expect_bad(&cp, leaf, "(d) envelope bytes changed");
	drop_copy(&cp);

	/* (e1) the root of the latest checkpoint B signed */
	copy_home(&cp);
	db = db_open(&cp, 1);
	size = db_int(db, "SELECT max(size) FROM checkpoints WHERE partner = 0");
	b = db_blob(db, "SELECT root FROM checkpoints WHERE partner = 0 AND size = ?", size, &n);
	b[3] ^= 0x80;
	db_set_blob(db, "UPDATE checkpoints SET root = ? WHERE partner = 0 AND size = ?", b, n, size);
	free(b);
	e2e_db_close(db);
	expect_bad(&cp, -1, "(e) checkpoint root changed");
	drop_copy(&cp);

	/* (e2) one character of that checkpoint's note (in its root line) */
	copy_home(&cp);
	db = db_open(&cp, 1);
	note = (char *)db_blob(db, "SELECT note FROM checkpoints WHERE partner = 0 AND size = ?", size, &n);
	{
		char *l3 = strchr(strchr(note, '\n') + 1, '\n') + 1;
		l3[5] = l3[5] == 'A' ? 'B' : 'A';
		db_set_blob(db, "UPDATE checkpoints SET note = CAST(? AS TEXT) WHERE partner = 0 AND size = ?",
		    (const uint8_t *)note, n, size);
	}
	free(note);
	e2e_db_close(db);
	expect_bad(&cp, -1, "(e) checkpoint note changed");
	drop_copy(&cp);

	/* (e3) a partner checkpoint B cosigned: one character of its note */
	copy_home(&cp);
	db = db_open(&cp, 1);
	size = db_int(db, "SELECT max(size) FROM checkpoints WHERE partner != 0");
	note = (char *)db_blob(db, "SELECT note FROM checkpoints WHERE partner != 0 AND size = ?", size, &n);
	{
		char *l3 = strchr(strchr(note, '\n') + 1, '\n') + 1;
		l3[5] = l3[5] == 'A' ? 'B' : 'A';
		db_set_blob(db, "UPDATE checkpoints SET note = CAST(? AS TEXT) WHERE partner != 0 AND size = ?",
		    (const uint8_t *)note, n, size);
	}
	free(note);
	e2e_db_close(db);
	expect_bad(&cp, -1, "(e) cosigned partner checkpoint changed");
	drop_copy(&cp);
}

/* ---- a partner that forks its log ---- */

static struct ledger_id c_id;
static struct cx_key *c_key;

/* C's checkpoint of size with root, as a note signed with C's log key. */
static void
c_note(uint64_t size, const uint8_t root[32], char *out, size_t cap, size_t *ret_len)
{
	struct err err = ERR_INIT;
	struct checkpoint cp = { 0 };
	char text[512], sig[512];
	size_t tl, sl;

	snprintf(cp.origin, sizeof(cp.origin), "%s", c_id.origin);
	cp.size = size;
	memcpy(cp.root, root, 32);
	if (checkpoint_format(&cp, text, sizeof(text), &tl, &err) < 0 ||
	    note_sign(&c_id.log_key, c_key, text, tl, sig, sizeof(sig), &sl, &err) < 0)
		fail_msg("cannot sign C's checkpoint: %s", err.msg);
	*ret_len = (size_t)snprintf(out, cap, "%s\n%s", text, sig);
}

/* POSTs an add-checkpoint request (old, C's note) to A as C. */
static void
add_checkpoint(struct e2e_peer *pc, uint64_t old, const char *note, size_t len, struct e2e_resp *r)
{
	struct err err = ERR_INIT;
	char body[NOTE_MAX];
	size_t bl;
	int rc;

	if (witness_req_format(old, NULL, 0, note, len, body, sizeof(body), &bl, &err) < 0)
		fail_msg("witness_req_format: %s", err.msg);
	rc = e2e_peer_do(pc, "/peer/v1/log/add-checkpoint", body, bl, 0, r);
	if (rc != 0)
		fail_msg("add-checkpoint: curl error %d", rc);
}

static void
test_fork(void **state)
{
	const char *started[] = { "\"event\":\"link_started\"", "\"partner\":\"cert-c\"", NULL };
	const char *equiv[] = { "\"event\":\"equivocation\"", "\"partner\":\"cert-c\"", NULL };
	struct err err = ERR_INIT;
	struct e2e_peer pc;
	struct e2e_resp r = { 0 };
	struct note n;
	uint8_t c_pub[32], root1[32], root2[32], root3[32];
	char n1[NOTE_MAX], n2[NOTE_MAX], n3[NOTE_MAX], cert[320], key[320], pin[128], buf[NOTE_MAX];
	size_t l1, l2, l3, i;
	uint64_t t = 0;
	json_t *j, *p;
	struct e2e_db *db;
	const char *ct;
	char kp[400];

	(void)state;
	C.peer_port = 1;              /* C never runs */
	json_decref(e2e_pair(&A, &C, NULL));
	if (e2e_log_wait(&A, started, 1, 5000) != 1)
		fail_msg("A did not start a link to cert-c");
	snprintf(kp, sizeof(kp), "%s/keys/signing.pem", C.home);
	if (cx_key_load(kp, &c_key, &err) < 0)
		fail_msg("cannot load %s: %s", kp, err.msg);
	cx_key_public(c_key, c_pub);
	if (ledger_id_init(&c_id, "cert-c", c_pub, &err) < 0)
		fail_msg("ledger_id_init: %s", err.msg);
	{
		/* origin "liaison/cert-c/log/<first 8 hex of SHA-256(pub)>" as C's own CLI says */
		struct note_key lk, wk;
		load_vkeys(&C, &lk, &wk);
		if (strcmp(lk.name, c_id.origin) != 0)
			fail_msg("C's origin %s, its `log key` names %s", c_id.origin, lk.name);
	}
	j = e2e_liaison_json(&A, "identity", "show", NULL);
	snprintf(pin, sizeof(pin), "sha256//%s", json_string_value(json_object_get(j, "tls_spki_sha256")));
	json_decref(j);
	snprintf(cert, sizeof(cert), "%s/tls/cert.pem", C.home);
	snprintf(key, sizeof(key), "%s/tls/key.pem", C.home);
	e2e_peer_init(&pc, &A, cert, key, pin);

	for (i = 0; i < 32; i++) {
		root1[i] = (uint8_t)(i * 7 + 1);
		root2[i] = (uint8_t)(i * 11 + 3);
		root3[i] = (uint8_t)(i * 13 + 5);
	}
	c_note(2, root1, n1, sizeof(n1), &l1);
	c_note(2, root2, n2, sizeof(n2), &l2);
	c_note(3, root3, n3, sizeof(n3), &l3);

	/* size 2 from 0: cosigned with A's witness key */
	add_checkpoint(&pc, 0, n1, l1, &r);
	if (r.status != 200)
		fail_msg("first add-checkpoint: %ld %s", r.status, r.body);
	if (strncmp(r.body, "\xe2\x80\x94 ", 4) != 0 || strncmp(r.body + 4, a_witk.name, strlen(a_witk.name)) != 0)
		fail_msg("the cosignature line is not A's witness's: %s", r.body);
	{
		size_t tl = (size_t)(strstr(n1, "\n\n") - n1) + 1;
		snprintf(buf, sizeof(buf), "%.*s\n%s", (int)tl, n1, r.body);
	}
	if (note_parse(buf, strlen(buf), &n, &err) < 0 || note_verify(&n, &a_witk, &t, &err) < 0)
		fail_msg("A's cosignature does not verify with its `log key` witness key (%s): %s", err.msg,
		    r.body);
	if (t + 120 < (uint64_t)time(NULL) || t > (uint64_t)time(NULL) + 120)
		fail_msg("the cosignature's time %" PRIu64 " is not now", t);
	/* the same again (a heartbeat): cosigned again */
	add_checkpoint(&pc, 2, n1, l1, &r);
	if (r.status != 200)
		fail_msg("repeated add-checkpoint: %ld %s", r.status, r.body);

	/* a wrong old size: 409 with the size A holds */
	add_checkpoint(&pc, 1, n3, l3, &r);
	ct = e2e_hdr(&r, "Content-Type");
	if (r.status != 409 || ct == NULL || strncmp(ct, "text/x.tlog.size", 16) != 0 ||
	    strcmp(r.body, "2\n") != 0)
		fail_msg("wrong old size: %ld %s '%s'", r.status, ct ? ct : "(no type)", r.body);

	/* a second root for size 2: 422, the fork is proven */
	add_checkpoint(&pc, 2, n2, l2, &r);
	if (r.status != 422)
		fail_msg("second root for size 2: %ld %s", r.status, r.body);
	log_time("fork: 422 %s", r.body);
	if (e2e_log_wait(&A, equiv, 1, 5000) != 1)
		fail_msg("A logged no equivocation event for cert-c");

	db = db_open(&A, 0);
	if (db_int(db, "SELECT count(*) FROM equivocations") != 1)
		fail_msg("A's equivocations table has %lld rows", db_int(db, "SELECT count(*) FROM equivocations"));
	{
		size_t la, lb, ln;
		char *na = (char *)db_blob(db, "SELECT e.note_a FROM equivocations e WHERE e.rowid >= ? "
		    "ORDER BY e.rowid LIMIT 1", 0, &la);
		char *nb = (char *)db_blob(db, "SELECT e.note_b FROM equivocations e WHERE e.rowid >= ? "
		    "ORDER BY e.rowid LIMIT 1", 0, &lb);
		char *who = (char *)db_blob(db, "SELECT p.name FROM equivocations e JOIN partners p ON "
		    "p.rowid = e.partner WHERE e.rowid >= ? ORDER BY e.rowid LIMIT 1", 0, &ln);
		int found;
		long long since = e2e_db_int1(db, "SELECT p.compromised_us FROM equivocations e JOIN "
		    "partners p ON p.rowid = e.partner WHERE e.rowid >= ? ORDER BY e.rowid LIMIT 1", 0,
		    &found);
		struct checkpoint ca, cb;

		if (na == NULL || nb == NULL || who == NULL)
			fail_msg("no equivocation row");
		if (strcmp(who, "cert-c") != 0 || since == 0)
			fail_msg("equivocation of %s, compromised_us %lld", who, since);
		if (ckpt_check(na, strlen(na), &c_id.log_key, &ca) != 0 ||
		    ckpt_check(nb, strlen(nb), &c_id.log_key, &cb) != 0)
			fail_msg("the kept notes are not both signed by C:\n%s\n%s", na, nb);
		if (ca.size != 2 || cb.size != 2 || memcmp(ca.root, root1, 32) != 0 ||
		    memcmp(cb.root, root2, 32) != 0)
			fail_msg("the kept notes are not the two checkpoints of size 2:\n%s\n%s", na, nb);
		if (strncmp(na, n1, l1) != 0 || strcmp(nb, n2) != 0)
			fail_msg("the kept notes differ from what C sent:\n%s\n%s", na, nb);
		free(na);
		free(nb);
		free(who);
	}
	e2e_db_close(db);

	/* refused from now on, even a consistent-looking request */
	add_checkpoint(&pc, 2, n3, l3, &r);
	if (r.status != 403)
		fail_msg("add-checkpoint after the fork: %ld %s", r.status, r.body);
	add_checkpoint(&pc, 2, n1, l1, &r);
	if (r.status != 403)
		fail_msg("add-checkpoint of the first checkpoint after the fork: %ld %s", r.status, r.body);

	/* status and the partner list */
	j = e2e_liaison_json(&A, "status", NULL);
	{
		json_t *pt = json_object_get(j, "partners"), *lg = json_object_get(j, "ledger");
		if (json_integer_value(json_object_get(pt, "compromised")) != 1 ||
		    strstr(json_string_value(json_object_get(pt, "compromised_names")) ?: "", "cert-c") == NULL ||
		    json_integer_value(json_object_get(lg, "equivocations")) != 1)
			fail_msg("status --json does not show the fork: %s", json_dumps(j, JSON_COMPACT));
	}
	json_decref(j);
	{
		char *out = NULL;
		if (e2e_liaison(&A, NULL, &out, NULL, "status", NULL) != 0 ||
		    strstr(out, "COMPROMISED:") == NULL || strstr(out, "cert-c") == NULL)
			fail_msg("status does not say COMPROMISED cert-c:\n%s", out);
		free(out);
	}
	p = e2e_partner(&A, "cert-c");
	if (p == NULL)
		fail_msg("A lost partner cert-c");
	if (json_object_get(p, "compromised") == NULL)
		log_time("NOTE: `partner list --json` has no compromised member: %s",
		    json_dumps(p, JSON_COMPACT));
	else if (json_is_false(json_object_get(p, "compromised")) ||
	    json_is_null(json_object_get(p, "compromised")))
		fail_msg("partner list shows cert-c not compromised: %s", json_dumps(p, JSON_COMPACT));
	json_decref(p);
	{
		struct e2e_resp m = { 0 };
		e2e_metrics(&a_admin, &m);
		if (e2e_metric(m.body, "liaison_ledger_equivocations_total") != 1)
			fail_msg("liaison_ledger_equivocations_total is %lld",
			    e2e_metric(m.body, "liaison_ledger_equivocations_total"));
		e2e_resp_release(&m);
	}
	e2e_resp_release(&r);
	e2e_peer_release(&pc);
	log_time("fork detected: 422, evidence kept, cert-c compromised, then 403");
}

/* ---- setup ---- */

static void
node_setup(struct e2e_node *n, const char *name)
{
	e2e_node_init_linked(n, name);
	e2e_node_conf(n, "peer", "envelope_objects", "25");
	e2e_node_conf(n, "ledger", "checkpoint_ms", "200");
	e2e_user_add(n, "admin", PW, 1, NULL);
}

static int
setup(void **state)
{
	(void)state;
	t_start = e2e_now_ms();
	e2e_require_bins();
	node_setup(&A, "cert-a");
	node_setup(&B, "cert-b");
	e2e_node_init(&C, "cert-c");
	e2e_coll_id(&A, "shared", a_shared);
	e2e_coll_id(&B, "shared", b_shared);
	e2e_node_start(&A);
	e2e_node_start(&B);
	e2e_client_basic(&a_admin, &A, "admin", PW);
	e2e_client_basic(&b_admin, &B, "admin", PW);
	log_time("nodes started");
	return 0;
}

static int
teardown(void **state)
{
	int rc;

	(void)state;
	e2e_client_release(&a_admin);
	e2e_client_release(&b_admin);
	cx_key_free(c_key);
	rc = e2e_node_finish(&A);
	e2e_node_destroy(&B);
	e2e_node_destroy(&C);
	log_time("done");
	return rc;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exchange_and_proofs),
		cmocka_unit_test(test_verify_prove_receipts),
		cmocka_unit_test(test_evidence),
		cmocka_unit_test(test_tampering),
		cmocka_unit_test(test_fork),
	};

	return cmocka_run_group_tests_name("e2e/ledger", tests, setup, teardown);
}
